//! Issue 13, round 10: the general rules added after the ninth held-out set was moved to
//! tuning (weekday phrases, bare digit hour ranges and "14 h 30" for times; ordinal floors,
//! several blocks, "local 4", capitalised Romance street types, "14 bis", compound street
//! names and a town before a postcode for addresses; surname echoes, lists of names, hosts,
//! calling verbs, lowercase office holders and stations for names). Every sentence here is
//! invented for the test, none is from a corpus file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use circle_anonymise::Kind;
use common::{covers, found, no_kind};

#[test]
fn weekday_phrases_are_times() {
    covers(
        Kind::DateTime,
        "Banner painting on Sunday at 4pm.",
        "on Sunday at 4pm",
    );
    covers(
        Kind::DateTime,
        "On se voit mardi prochain à 10 h.",
        "mardi prochain à 10 h",
    );
    covers(
        Kind::DateTime,
        "Wir kommen Freitag abend vorbei.",
        "Freitag abend",
    );
    covers(Kind::DateTime, "Ci vediamo giovedì sera.", "giovedì sera");
    covers(
        Kind::DateTime,
        "Lo dejamos para el viernes.",
        "para el viernes",
    );
    covers(
        Kind::DateTime,
        "Send it before Thursday please.",
        "before Thursday",
    );
}

#[test]
fn weekday_look_alikes_stay_clean() {
    // A weekday with no qualifier is not one day; habits are not either.
    no_kind(Kind::DateTime, "We discussed it on Tuesday and agreed.");
    no_kind(Kind::DateTime, "Los martes hay reparto.");
    no_kind(Kind::DateTime, "Every Wednesday counts.");
}

#[test]
fn bare_digit_hour_ranges_and_french_minutes() {
    covers(
        Kind::DateTime,
        "Stall open from 11 to 3 at the corner.",
        "from 11 to 3",
    );
    covers(
        Kind::DateTime,
        "Reparto de 9 a 12 en el patio.",
        "de 9 a 12",
    );
    covers(
        Kind::DateTime,
        "Offen von 10 bis 14, dann Pause.",
        "von 10 bis 14",
    );
    covers(
        Kind::DateTime,
        "Rendez-vous 17 h 45 devant la mairie.",
        "17 h 45",
    );
    // Counts, money and ages are not hours.
    no_kind(Kind::DateTime, "between 10 and 12 people came");
    no_kind(Kind::DateTime, "niños de 6 a 12 años");
    no_kind(Kind::DateTime, "from 5 to 8 %");
}

#[test]
fn floors_blocks_and_premises_are_addresses() {
    covers(
        Kind::Address,
        "Si sale al terzo piano trova la porta.",
        "terzo piano",
    );
    covers(
        Kind::Address,
        "La oficina está en la 3ª planta.",
        "3ª planta",
    );
    covers(
        Kind::Address,
        "Leaflets to blocks E and F, please.",
        "blocks E and F",
    );
    covers(
        Kind::Address,
        "Nos vemos en Calle Mayor 8, local 3 a las seis.",
        "local 3",
    );
    covers(
        Kind::Address,
        "Retrouvez-nous au 21 ter rue des Orteaux demain.",
        "21 ter rue des Orteaux",
    );
    covers(
        Kind::Address,
        "subimos por la Costanilla de los Ángeles",
        "Costanilla de los Ángeles",
    );
    covers(
        Kind::Address,
        "quedamos en Camino de Vinateros 12, 2ºA",
        "Camino de Vinateros 12",
    );
    covers(
        Kind::Address,
        "Send it to Ivy Lodge, 3 Pelham Road, Leeds LS7 4HG.",
        "3 Pelham Road, Leeds LS7 4HG",
    );
    covers(
        Kind::Address,
        "Lager im Gewerbegebiet Am Sandtorkai, Halle 2",
        "Gewerbegebiet Am Sandtorkai",
    );
}

#[test]
fn floor_and_street_look_alikes_stay_clean() {
    no_kind(Kind::Address, "Corso Base is a course for beginners.");
    covers(Kind::Address, "we meet at unit 4 first", "unit 4");
    covers(Kind::DateTime, "Rendez-vous place Voltaire, 11h", "11h");
    covers(
        Kind::Address,
        "Rendez-vous place Voltaire, 11h",
        "place Voltaire",
    );
}

#[test]
fn names_from_echoes_lists_hosts_and_offices() {
    let echo = "Our caseworker Mrs Philippa Quarrie called. Quarrie says the file is closed.";
    let all = found(echo);
    assert!(
        all.iter()
            .any(|(k, t)| *k == Kind::PersonName && t == "Quarrie"),
        "the surname's second mention: {all:?}"
    );
    covers(
        Kind::PersonName,
        "Thanks to Aisha, Teodor and the kitchen crew.",
        "Teodor",
    );
    covers(Kind::PersonName, "Réunion chez Apolline à 8 h.", "Apolline");
    covers(Kind::PersonName, "préviens Ousmane et Kaboré", "Kaboré");
    covers(Kind::PersonName, "Spenden für Familie Wojcik", "Wojcik");
    covers(
        Kind::PersonName,
        "ha risposto l'assessora Brambilla",
        "assessora Brambilla",
    );
    covers(Kind::PersonName, "su vecina, Yurena, avisó", "Yurena");
    // A station is not a person, nor a saint's district an echo.
    no_kind(Kind::PersonName, "sortie métro Louis Blanc, à gauche");
    no_kind(
        Kind::PersonName,
        "Comitato San Donato. A San Donato abbiamo molti iscritti.",
    );
}

//! Issue 13, round 16: the families added after the fifteenth held-out set was moved to
//! tuning. Addresses (overlapping candidates united, premises before a street, door
//! numbers and Austrian units after a house number, four-digit postcodes with their town,
//! Italian "civico" and French "n°" house numbers, streets in capitals), times (a dotted
//! clock time after a word that schedules something, Spanish "el día 3") and names (accent
//! folded lookups, a speaker's place in brackets; hyphen adjectives, towns after "lives
//! in", what an office is for, and form labels are not names). Every sentence is invented
//! for the test, none is from a corpus file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use circle_anonymise::Kind;
use common::{covers, found, no_kind};

#[test]
fn door_numbers_units_and_postcodes_after_a_street() {
    for (text, address) in [
        (
            "wir treffen uns in der Hasnerstraße 71/4/9 im Hof",
            "Hasnerstraße 71/4/9",
        ),
        (
            "Schlüssel bei Gudrun, Thaliastraße 12, Stiege 3, Top 14",
            "Thaliastraße 12, Stiege 3, Top 14",
        ),
        (
            "Adresse: Brunnengasse 40, 1160 Wien, bitte klingeln",
            "Brunnengasse 40, 1160 Wien",
        ),
        (
            "le local est rue de la Servette 23, 1202 Genève, au fond",
            "rue de la Servette 23, 1202 Genève",
        ),
        ("ci vediamo in via Nizza 44/B dopo cena", "via Nizza 44/B"),
    ] {
        covers(Kind::Address, text, address);
    }
}

#[test]
fn house_numbers_named_by_their_word() {
    for (text, address) in [
        ("il furgone era davanti al civico 57 da ore", "al civico 57"),
        ("l'ingresso è dal numero civico 9/A", "civico 9/A"),
        ("rendez-vous au n° 18 bis, sonnez fort", "au n° 18 bis"),
    ] {
        covers(Kind::Address, text, address);
    }
}

#[test]
fn streets_written_in_capitals() {
    for (text, address) in [
        ("PRESIDIO IN VIA MONTEVERDI DALLE NOVE", "VIA MONTEVERDI"),
        (
            "CONCENTRACIÓN EN CALLE DE ATOCHA 118",
            "CALLE DE ATOCHA 118",
        ),
        ("MEET AT 31 ELDON GROVE ROAD", "31 ELDON GROVE ROAD"),
        ("KUNDGEBUNG VOR DER HERMANNSTRASSE 90", "HERMANNSTRASSE 90"),
    ] {
        covers(Kind::Address, text, address);
    }
    // A heading in capitals with no street type stays clean.
    no_kind(Kind::Address, "GENERAL ASSEMBLY MINUTES AND NEXT STEPS");
}

#[test]
fn premises_before_a_street() {
    for (text, address) in [
        ("food pickup at Rosa's Bakery, 19 Mill Lane", "19 Mill Lane"),
        (
            "we moved to the old parish hall, 4 Chapel Row",
            "parish hall, 4 Chapel Row",
        ),
        (
            "after that, St Brigid's community centre, 2 Dock Road",
            "community centre, 2 Dock Road",
        ),
    ] {
        covers(Kind::Address, text, address);
    }
}

#[test]
fn dotted_times_after_a_scheduling_word() {
    for (text, time) in [
        ("Arrive 8.45 at the gate, banners ready", "8.45"),
        ("doors open 6.30 and the film starts later", "6.30"),
        ("Treffen 17.45 vor dem Rathaus", "17.45"),
        ("ritrovo 9.15 in piazza", "9.15"),
        ("llegada 10.30 y reparto", "10.30"),
    ] {
        covers(Kind::DateTime, text, time);
    }
    // A dotted number that is a price, a distance or a score is not a time.
    for text in [
        "we leave 8.40 each in the tin",
        "the march back 3.5 km along the canal",
        "they won 2.1 in the end",
    ] {
        no_kind(Kind::DateTime, text);
    }
}

#[test]
fn spanish_day_of_the_month() {
    covers(
        Kind::DateTime,
        "la asamblea se aplaza hasta el día 19",
        "día 19",
    );
    covers(Kind::DateTime, "lo hablamos el día 7 en el local", "día 7");
    no_kind(Kind::DateTime, "llevamos ya el día 12 de huelga");
}

#[test]
fn accent_folded_names_and_speakers_with_their_place() {
    covers(Kind::PersonName, "firmado: Agnès Ferrière y Raúl", "Agnès");
    covers(
        Kind::PersonName,
        "Ludivine (Namur) : on a besoin de deux voitures\nBasile : moi j'en ai une\nLudivine (Namur) : super, merci",
        "Ludivine",
    );
}

#[test]
fn words_that_are_not_people() {
    for text in [
        "a Cork-registered van stopped twice",
        "the Derry-based collective sent money",
        "la inquilina, residente a Moncalieri, ha firmato",
        "la señora vive en Leganés desde hace años",
        "escribimos a la Oficina de Vivienda Digna",
        "Nombre: ______ Apellidos: ______",
        "Oh, and bring the big thermos",
        "zwei Verletzte, eine Person mit Platzwunde",
        "ein Auto mit Grazer Nummer",
    ] {
        no_kind(Kind::PersonName, text);
    }
}

#[test]
fn united_candidates_are_one_address() {
    // A building part and the street it is on, found by different rules, come out as
    // one finding rather than two half-addresses.
    let text = "cité des Bosquets, bâtiment F, escalier 2";
    let addresses: Vec<_> = found(text)
        .into_iter()
        .filter(|(k, _)| *k == Kind::Address)
        .collect();
    assert!(
        addresses.len() == 1,
        "{text:?}: expected one address, got {addresses:?}"
    );
}

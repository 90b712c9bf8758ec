//! Issue 13, round 9: the general context rules that replaced one string family per
//! held-out miss (speakers, echoes, coordination and naming cues for names; relative
//! days, approximators, joined parts and word hours for times; units, buildings,
//! districts, Romance street words and a number after a place preposition for
//! addresses). Every sentence here is invented for the test, none is from a corpus file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use circle_anonymise::Kind;
use common::{covers, found, no_kind};

#[test]
fn chat_speakers_and_their_echoes_are_names() {
    let chat = "zuri: who has the banner\nbongani: me, at the depot\nzuri: ok\nbongani: ask zuri for the tape\n";
    covers(Kind::PersonName, chat, "zuri");
    let all = found(chat);
    let zuri = all
        .iter()
        .filter(|(k, t)| *k == Kind::PersonName && t == "zuri")
        .count();
    assert_eq!(zuri, 3, "every mention of the speaker: {all:?}");
    // Line labels are not speakers.
    no_kind(
        Kind::PersonName,
        "Update: van left\nUpdate: van back\nNote: all fine\n",
    );
}

#[test]
fn coordination_and_naming_cues_make_names() {
    covers(
        Kind::PersonName,
        "Bring the flask, Peter and Zebulon will help.",
        "Zebulon",
    );
    covers(Kind::PersonName, "Keys: ask Tendai, he knows.", "Tendai");
    covers(
        Kind::PersonName,
        "Noura, Elin and Bo will staff the stall.",
        "Bo",
    );
    no_kind(Kind::PersonName, "Buy paint from Smith and Co tomorrow.");
    covers(
        Kind::PersonName,
        "Pregunta a Xiomara por la llave.",
        "Xiomara",
    );
    covers(
        Kind::PersonName,
        "Vive con il figlio Tonio al piano terra.",
        "Tonio",
    );
    covers(
        Kind::PersonName,
        "We spoke to Ludovica Ferraresi yesterday.",
        "Ludovica Ferraresi",
    );
    // A saint's name names a church or a district.
    no_kind(Kind::PersonName, "Il comitato di San Lorenzo si riunisce.");
    // A run of capitalised words in a title is not a two-word name.
    no_kind(Kind::PersonName, "Protokoll Plenum Hausprojekt Nord");
}

#[test]
fn times_take_in_their_context_words() {
    covers(
        Kind::DateTime,
        "Domani mattina alle 7 partiamo.",
        "Domani mattina alle 7",
    );
    covers(
        Kind::DateTime,
        "Morgen früh um 6 geht's los.",
        "Morgen früh um 6",
    );
    covers(
        Kind::DateTime,
        "On se voit ce soir 20 h 15.",
        "ce soir 20 h 15",
    );
    covers(
        Kind::DateTime,
        "Arriviamo verso le 21:40.",
        "verso le 21:40",
    );
    covers(Kind::DateTime, "Kommt gegen halb 9.", "gegen halb 9");
    covers(
        Kind::DateTime,
        "Rendez-vous 18 heures devant la mairie.",
        "18 heures",
    );
    covers(Kind::DateTime, "Stand: 3.12., Kasse geprüft.", "3.12.");
    covers(
        Kind::DateTime,
        "Distribution jeudi 11 à 15 h, salle 2.",
        "jeudi 11 à 15 h",
    );
    covers(Kind::DateTime, "Festival du 5 au 7 juin.", "5 au 7 juin");
    covers(
        Kind::DateTime,
        "El sábado 9, de once a dos.",
        "de once a dos",
    );
    covers(
        Kind::DateTime,
        "Shift Tue: stacking, 9-12, then lunch.",
        "9-12",
    );
    covers(
        Kind::DateTime,
        "Monday 3 March 2025, 14.15 in the hall",
        "3 March 2025, 14.15",
    );
    covers(
        Kind::DateTime,
        "Abrimos a las nueve y a las tres cerramos.",
        "a las tres",
    );
    covers(Kind::DateTime, "Gates shut at midnight.", "midnight");
    covers(Kind::DateTime, "Ci vediamo alle h 21 al circolo.", "h 21");
    // Joining "at 0745" and "0745 hours" leaves the bare "at" in the text.
    let joined = found("printed 500 at 0745 hours, then home");
    assert_eq!(joined, vec![(Kind::DateTime, "0745 hours".to_string())]);
}

#[test]
fn time_look_alikes_stay_clean() {
    no_kind(Kind::DateTime, "We talked for 18 hours straight.");
    no_kind(Kind::DateTime, "Hemos estado dos horas esperando.");
    no_kind(Kind::DateTime, "Server runs Debian 12.5. Fine.");
    no_kind(Kind::DateTime, "Un bel après-midi au soleil.");
}

#[test]
fn addresses_from_units_buildings_and_places() {
    covers(
        Kind::Address,
        "Parcels for flat 3, Rowan House please.",
        "flat 3, Rowan House",
    );
    covers(
        Kind::Address,
        "Meeting on Level 2, Tower Block.",
        "Level 2, Tower Block",
    );
    covers(
        Kind::Address,
        "Leave it at no. 17 if nobody answers.",
        "no. 17",
    );
    covers(
        Kind::Address,
        "Flyers for the Thornbury estate.",
        "Thornbury estate",
    );
    covers(
        Kind::Address,
        "Reparto en la Colonia Las Flores.",
        "Colonia Las Flores",
    );
    covers(
        Kind::Address,
        "Presidio in piazza dell'Unità alle 10.",
        "piazza dell'Unità",
    );
    covers(
        Kind::Address,
        "Départ place Louise Michel.",
        "place Louise Michel",
    );
    covers(
        Kind::Address,
        "Asamblea en el local de Lavapiés 14.",
        "Lavapiés 14",
    );
    covers(
        Kind::Address,
        "Treffen am Schlesischen Tor.",
        "Schlesischen Tor",
    );
    covers(
        Kind::Address,
        "Bins at the rear of 40 Quarry Road.",
        "rear of 40 Quarry Road",
    );
    covers(
        Kind::Address,
        "Elle habite 8, impasse des Lilas.",
        "8, impasse des Lilas",
    );
    covers(
        Kind::Address,
        "Il vit au rez-de-chaussée, à gauche.",
        "rez-de-chaussée",
    );
    covers(
        Kind::Address,
        "She is at the Marlowe Court, 3rd floor.",
        "3rd floor",
    );
    covers(
        Kind::Address,
        "Entrega en Calle Mayor s/n.",
        "Calle Mayor s/n",
    );
    covers(
        Kind::Address,
        "Vive en el bloque 2, 5º A.",
        "bloque 2, 5º A",
    );
    covers(Kind::Address, "Meet on Talbot St at six.", "Talbot St");
}

#[test]
fn address_look_alikes_stay_clean() {
    no_kind(Kind::Address, "Hoy viven en el edificio 9 familias.");
    no_kind(Kind::Address, "Im Schnitt 180 Euro pro Haushalt.");
    no_kind(Kind::Address, "Companies House number 09876543.");
    no_kind(Kind::Address, "The talk is in Room 4 at the library.");
    no_kind(Kind::Address, "Die Küche ist im Erdgeschoss.");
}

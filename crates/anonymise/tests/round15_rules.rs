//! Issue 13, round 15: the families added after the fourteenth held-out set was moved to
//! tuning. Plates in national formats taken from the formats' rules (UK current with any
//! letters, prefix and suffix; French SIV and FNI; Italian with any letters; Dutch side
//! codes and Portuguese; Swiss, Austrian, Irish, Danish, Czech; US state shapes; a plate
//! after a plate word and a comma), phones (a country code joined to the area code, five
//! digit area codes in brackets, Spanish and Italian mobiles in other groupings), names
//! (lowercase legal titles; interjections, pronouns, compass points, broadcasters and form
//! labels are not names) and units (French and Italian flats and floors, Spanish floor and
//! door as ordinals). Every sentence is invented for the test, none is from a corpus file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use circle_anonymise::Kind;
use common::{covers, found, no_kind};

#[test]
fn national_plate_formats() {
    for (text, plate) in [
        ("the van, QA07 ZIV, was back", "QA07 ZIV"),
        ("an old Escort, F318 MNB, parked up", "F318 MNB"),
        ("a 1978 Cortina reg TXD 114R outside", "TXD 114R"),
        ("Clio grise UK-742-IO devant l'école", "UK-742-IO"),
        (
            "une 205 immatriculée 7712 RX 69 en double file",
            "7712 RX 69",
        ),
        ("la Punto UU341QI sotto casa", "UU341QI"),
        ("bestelbus 34-VLP-8 voor de deur", "34-VLP-8"),
        ("de auto was 7-TZR-05", "7-TZR-05"),
        ("carrinha BQ-31-TL à porta", "BQ-31-TL"),
        ("ein Wagen mit VD 312 448 vor dem Haus", "VD 312 448"),
        ("Wagen mit Kennzeichen G-30517 X gesehen", "G-30517 X"),
        ("a Corolla 162-C-2281 near the quay", "162-C-2281"),
        ("bilen XK 41 907 ved døren", "XK 41 907"),
        ("dodávka 4B7 2210 před domem", "4B7 2210"),
        ("a sedan 7MU4410 and a truck", "7MU4410"),
        ("Massachusetts car 2KRT55 idling", "2KRT55"),
        ("a Jersey plate B27-KLR, blue", "B27-KLR"),
        ("Minnesota car 317-TVW at the gate", "317-TVW"),
        ("Ohio truck HQZ 5521 outside", "HQZ 5521"),
        ("Texas plates, KPD 903, dark red", "KPD 903"),
        ("Halter: Auto DU-K 7 vor der Tür", "DU-K 7"),
    ] {
        covers(Kind::LicencePlate, text, plate);
    }
}

#[test]
fn plate_look_alikes_stay_clean() {
    for text in [
        "the summit COP 2025 in Belém",
        "PIN 4417 for the door panel",
        "a Ford F-150 XLT pickup",
        "expiry 01-JAN-25 on the card",
        "we paid 250 EUR 12 times",
        "the file is 15 MB 20 pages",
        "Room 101 and the Labour Party",
    ] {
        no_kind(Kind::LicencePlate, text);
    }
}

#[test]
fn phones_in_more_national_shapes() {
    covers(
        Kind::Phone,
        "Tel. +44161 4960922 after six",
        "+44161 4960922",
    );
    covers(Kind::Phone, "Telefon: (01632) 960443", "(01632) 960443");
    covers(
        Kind::Phone,
        "llama al 6123 45678 cuando puedas",
        "6123 45678",
    );
    covers(Kind::Phone, "chiama il 3471 234567 domani", "3471 234567");
    no_kind(Kind::Phone, "in 2023 we had 4500 21000 pieces");
}

#[test]
fn lowercase_legal_titles_and_words_that_are_not_names() {
    covers(
        Kind::PersonName,
        "lo lleva la letrada Villanueva desde mayo",
        "Villanueva",
    );
    covers(Kind::PersonName, "le notaire Vidal a signé", "Vidal");
    for text in [
        "NARRATOR : Bon, on reprend.",
        "CALLER 3: Hi, I'm calling about the flats.",
        "Team Süd übernimmt den Eingang.",
        "Indirizzo: non ancora noto",
        "ascoltate Radio Onda Verde stasera",
    ] {
        no_kind(Kind::PersonName, text);
    }
}

#[test]
fn flats_and_floors_in_more_words() {
    covers(
        Kind::Address,
        "elle vit appartement 31, au fond",
        "appartement 31",
    );
    covers(
        Kind::Address,
        "salite al piano 4, porta a destra",
        "piano 4",
    );
    covers(Kind::Address, "vive en el 5º 1ª desde 2019", "5º 1ª");
    let all = found("tocó el piano dos horas");
    assert!(all.iter().all(|(k, _)| *k != Kind::Address), "{all:?}");
}

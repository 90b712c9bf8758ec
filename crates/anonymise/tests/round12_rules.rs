//! Issue 13, round 12: the general rules added after the eleventh held-out set was moved
//! to tuning (approximate and spoken hours, afternoon hours in words, "-ish", which week a
//! weekday is in, a relative day with its part, a day of the month alone, holidays, the weekday or
//! part of the day and the approximation around a time, a second clock time offered as an
//! alternative; a Spanish phone's prefix written apart; building parts and premises before a street, kilometre posts and
//! doorbells after one, a word and number before a floor, Spanish floor and door, city
//! gates, named German "-hof"s, Roman numerals in street names; attendance lists, names
//! coordinated with an alias, echoes of names found by a cue, titles with their article).
//! Every sentence here is invented for the test, none is from a corpus file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use circle_anonymise::Kind;
use common::{covers, found, no_kind};

#[test]
fn approximate_and_spoken_hours() {
    covers(Kind::DateTime, "We were out until gone nine.", "gone nine");
    covers(
        Kind::DateTime,
        "Sie kam kurz vor acht an die Tür.",
        "kurz vor acht",
    );
    covers(
        Kind::DateTime,
        "Ci vediamo poco dopo le sei.",
        "poco dopo le sei",
    );
    covers(
        Kind::DateTime,
        "Llegaron poco antes de las diez.",
        "poco antes de las diez",
    );
    covers(
        Kind::DateTime,
        "Rendez-vous à dix-huit heures devant la mairie.",
        "dix-huit heures",
    );
    covers(
        Kind::DateTime,
        "Die Kundgebung beginnt um siebzehn Uhr.",
        "siebzehn Uhr",
    );
    covers(Kind::DateTime, "Text me at 8ish.", "8ish");
    covers(
        Kind::DateTime,
        "Nos vemos el jueves siguiente a las ocho.",
        "jueves siguiente a las ocho",
    );
    covers(Kind::DateTime, "The hearing is Monday week.", "Monday week");
    covers(
        Kind::DateTime,
        "Je vous appelle demain matin.",
        "demain matin",
    );
    covers(
        Kind::DateTime,
        "Rent is due by the 3rd, as always.",
        "by the 3rd",
    );
    covers(Kind::DateTime, "Pagamos el día 4.", "día 4");
    covers(
        Kind::DateTime,
        "La salle est fermée depuis le 9.",
        "depuis le 9",
    );
    covers(
        Kind::DateTime,
        "Das Lager ist am Heiligabend zu.",
        "Heiligabend",
    );
    no_kind(
        Kind::DateTime,
        "Christmas Eve is a long night for the shelter.",
    );
}

#[test]
fn words_around_a_time_join_it() {
    covers(
        Kind::DateTime,
        "Pick-up Saturday just after 9.",
        "Saturday just after 9",
    );
    covers(Kind::DateTime, "Call Weds 7ish.", "7ish");
    covers(
        Kind::DateTime,
        "Drop-in late morning, around 11.",
        "late morning, around 11",
    );
    covers(
        Kind::DateTime,
        "On finit vers minuit et quart.",
        "minuit et quart",
    );
    covers(
        Kind::DateTime,
        "Llegamos a las nueve y pico.",
        "nueve y pico",
    );
    covers(
        Kind::DateTime,
        "the bus is at 0715 not 7.45 now",
        "0715 not 7.45",
    );
}

#[test]
fn counts_and_floors_stay_ordinary() {
    no_kind(
        Kind::DateTime,
        "It took seven years, after seven years of waiting.",
    );
    no_kind(Kind::DateTime, "Ab drei Personen brauchen wir einen Raum.");
    no_kind(Kind::DateTime, "Lifts serve the 4th to 9th floors.");
    no_kind(Kind::DateTime, "Sono arrivate le 15 persone previste.");
}

#[test]
fn a_spanish_prefix_apart_from_the_rest() {
    covers(
        Kind::Phone,
        "Llamad al 622-481937 si hay redada.",
        "622-481937",
    );
    covers(
        Kind::Phone,
        "Llamad al 6 2 2 – 4 8 1 9 3 7 si hay redada.",
        "6 2 2 – 4 8 1 9 3 7",
    );
}

#[test]
fn the_edges_of_an_address() {
    covers(
        Kind::Address,
        "They live in the basement flat at 7 Hazel Grove.",
        "basement flat at 7 Hazel Grove",
    );
    covers(
        Kind::Address,
        "Soup at the Old Forge Café, 12 Mill Lane, from noon.",
        "Old Forge Café, 12 Mill Lane",
    );
    covers(
        Kind::Address,
        "Réunion au 4e gauche du 9 rue Hoche.",
        "4e gauche du 9 rue Hoche",
    );
    covers(
        Kind::Address,
        "Nave en la carretera de Valencia, km 9, junto al cruce.",
        "carretera de Valencia, km 9",
    );
    covers(
        Kind::Address,
        "Sportello in via Nizza 40, citofono Ferri.",
        "citofono Ferri",
    );
    covers(
        Kind::Address,
        "Wir wohnen Birkenhain 7, 2. OG, gleich neben dem Bäcker.",
        "Birkenhain 7, 2. OG",
    );
    covers(Kind::Address, "Vive en el 3º B con su madre.", "3º B");
    covers(
        Kind::Address,
        "Concentración en la Puerta de Toledo.",
        "Puerta de Toledo",
    );
    covers(
        Kind::Address,
        "Treffen am Kranichhof um drei.",
        "Kranichhof",
    );
    covers(
        Kind::Address,
        "Almacén en calle Felipe II 14, nave 2.",
        "calle Felipe II 14",
    );
    covers(
        Kind::Address,
        "Ci vediamo in vico Santa Chiara 3, secondo piano.",
        "vico Santa Chiara 3",
    );
}

#[test]
fn premises_need_a_premises_shape() {
    let all = found("Thanks Maria, 12 Mill Lane is fine for Sunday.");
    assert!(
        all.iter()
            .all(|(k, t)| *k != Kind::Address || !t.contains("Maria")),
        "{all:?}"
    );
    no_kind(Kind::Address, "Treffen am Bahnhof, dann am Friedhof.");
}

#[test]
fn names_from_lists_aliases_and_titles() {
    covers(
        Kind::PersonName,
        "Présents : Oumou, Gilles Ferrand, Nadège. Oumou ouvre la séance.",
        "Oumou",
    );
    let all = found("Présents : Oumou, Gilles Ferrand. Plus tard, Oumou ouvre la séance.");
    let oumous = all
        .iter()
        .filter(|(k, t)| *k == Kind::PersonName && t == "Oumou")
        .count();
    assert_eq!(oumous, 2, "{all:?}");
    covers(
        Kind::PersonName,
        "On a vu le père Anselme à la porte.",
        "le père Anselme",
    );
}

#[test]
fn a_name_coordinated_with_an_alias() {
    let lexicon = circle_anonymise::Lexicon {
        member_aliases: vec!["Garza".into()],
        redact_words: vec![],
    };
    let text = "- Quique y Garza pintan la pancarta";
    let all = circle_anonymise::Anonymiser::new(&lexicon).scan(text);
    assert!(
        all.iter()
            .any(|f| f.kind == Kind::PersonName && f.text == "Quique"),
        "{all:?}"
    );
}

//! Issue 13, round 17: families found by scanning invented sentences before the
//! sixteenth held-out set was first scanned (rosters written surname first, Italian
//! abbreviated street types, two streets of a corner joined by a slash, French hours in
//! words with their minutes), and then the families of that set's misses. Every sentence
//! is invented for the test, none is from a corpus file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use circle_anonymise::Kind;
use common::{covers, found, no_kind};

#[test]
fn rosters_written_surname_first() {
    let text = "Present: Okafor, Chidi; Deshpande, Aarav (minutes); Quispe, Wayra";
    for name in ["Okafor, Chidi", "Deshpande, Aarav", "Quispe, Wayra"] {
        covers(Kind::PersonName, text, name);
    }
    let lines = "Sign-in sheet\n- Nkemdirim, Obiageli\n- Halvorsen, Tuva\n- Smith, J.\n";
    for name in ["Nkemdirim, Obiageli", "Halvorsen, Tuva", "Smith, J."] {
        covers(Kind::PersonName, lines, name);
    }
    // Places written "town, country" are no roster.
    no_kind(Kind::PersonName, "Venues: Lyon, France; Porto, Portugal");
}

#[test]
fn italian_abbreviated_street_types() {
    for (text, address) in [
        (
            "ci vediamo in c.so Buenos Aires 12 alle sei",
            "c.so Buenos Aires 12",
        ),
        ("sede in v.le Monza 88, citofono Lega", "v.le Monza 88"),
        ("presidio in p.zza Garibaldi domani", "p.zza Garibaldi"),
        ("il furgone è in L.go Augusto 3", "L.go Augusto 3"),
    ] {
        covers(Kind::Address, text, address);
    }
}

#[test]
fn two_streets_of_a_corner_with_a_slash() {
    covers(
        Kind::Address,
        "Treffpunkt Ecke Oranienstraße/Adalbertstraße um 14:30",
        "Oranienstraße/Adalbertstraße",
    );
    // A slash in a web address still glues.
    let all = found("see example.org/Hauptstraße for the map");
    assert!(all.iter().all(|(k, _)| *k != Kind::Address), "{all:?}");
}

#[test]
fn french_hours_in_words_with_minutes() {
    for (text, time) in [
        (
            "rendez-vous à dix-neuf heures trente devant la mairie",
            "dix-neuf heures trente",
        ),
        (
            "on se retrouve vers dix-huit heures au local",
            "dix-huit heures",
        ),
        ("à 19 heures 30 place Clichy", "19 heures 30"),
    ] {
        covers(Kind::DateTime, text, time);
    }
    // The minutes are not a house number.
    let all = found("à 19 heures 30 place Clichy");
    assert!(
        all.iter()
            .any(|(k, t)| *k == Kind::Address && t == "place Clichy"),
        "{all:?}"
    );
}

//! The floor of a meeting room is not an address (round 13 of issue 13).
//!
//! "Salle au rez-de-chaussée, accessible", "nella sala del quartiere, al piano terra di un
//! palazzo", "la sala 2.1 en el primer piso": flyers and directions name the floor of a
//! public room, and nothing there says who lives where. A floor alone stays an address
//! elsewhere ("La oficina está en la 3ª planta", "Si sale al terzo piano trova la porta"),
//! and also after a room word when it has what makes it someone's: a street or building
//! next to it ("via Bonomea 23, primo piano"), a person ("M. Robert Giraud, au
//! rez-de-chaussée"), a verb of living or a door in its sentence.

use std::sync::LazyLock;

use regex::Regex;

use crate::util::compile;
use crate::{Finding, Kind};

/// How far (bytes) from the floor the street, building or person may stand.
const NEAR: usize = 80;

/// A floor and nothing else, with the article, preposition or room number that leads it.
static FLOOR_ONLY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)^(?:\d{1,3}[ \t]*,[ \t]*)?(?:(?:au|at[ \t]+the|on[ \t]+the|al|nel|nello|el|la|il|the|im|en[ \t]+el|en[ \t]+la)[ \t]+)?(?:rez-de-chaussée|planta[ \t]+baja|piano[ \t]+terra|pianterreno|erdgeschoss|ground[ \t]+floor|basement|entresuelo|sous-sol|souterrain|\d{1,2}(?:º|ª|°|er|re|e|ème|\.|st|nd|rd|th)?[ \t]?(?:planta|piso|piano|étage|floor|stock|og|etage)|(?:primer|segundo|tercer|cuarto|quinto|sexto|primera|segunda|tercera|cuarta|quinta|sexta|última)[ \t]+(?:planta|piso)|(?:primo|secondo|terzo|quarto|quinto|sesto|ultimo)[ \t]+piano|(?:premier|deuxième|troisième|quatrième|cinquième|sixième|dernier)[ \t]+étage|(?:first|second|third|fourth|fifth|sixth|top)[ \t]+floor)$",
    )
});

/// Whether `s` is a floor and nothing else (round 14: the room before such a floor is not
/// joined to it, so that the lone-floor check still sees the floor alone).
pub(crate) fn is_floor_only(s: &str) -> bool {
    FLOOR_ONLY.as_ref().is_some_and(|re| re.is_match(s.trim()))
}

/// Verbs of living somewhere, and the door or bell of a home: "Il vit au rez-de-chaussée",
/// "Si sale al terzo piano trova la porta" say whose floor it is.
static DWELLING: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)\b(?:lives?|living|moved|stays|resides?|vit|vivent|habite|habitent|logée?s?|relogée?s?|viven?|vivo|vivía|wohnt|wohnen|wohnte|abita|abitano|vive|vivono|doors?|doorbell|buzzer|porta|puerta|porte|tür|wohnungstür|timbre|citofono|campanello|klingel|sonnette|interphone)\b",
    )
});

/// Rooms of a meeting place: a floor after one of these locates the room.
static ROOM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(r"(?i)\b(?:salle|salles|sala|salas|room|rooms|hall|saal|raum|aula|salón)\b")
});

/// Drops the addresses that are a floor alone, with no street, building or person near.
pub(crate) fn drop_lone_floors(text: &str, findings: &mut Vec<Finding>) {
    let Some(re) = FLOOR_ONLY.as_ref() else {
        return;
    };
    let lone: Vec<usize> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == Kind::Address && re.is_match(f.text.trim()))
        .filter(|(_, f)| after_room(text, f))
        .filter(|(i, f)| !anchored(text, findings, *i, f))
        .map(|(i, _)| i)
        .collect();
    for i in lone.into_iter().rev() {
        findings.remove(i);
    }
}

/// Whether another address or a person's name stands within [`NEAR`] bytes of `floor`,
/// in the same sentence, or the sentence says someone lives there.
fn anchored(text: &str, findings: &[Finding], index: usize, floor: &Finding) -> bool {
    let (from, to) = sentence_around(text, floor.start, floor.end);
    let from = from.max(floor.start.saturating_sub(NEAR));
    let to = to.min(floor.end + NEAR);
    let dwelling = DWELLING.as_ref().is_some_and(|re| {
        re.is_match(&text[from..floor.start]) || re.is_match(&text[floor.end..to])
    });
    dwelling
        || findings.iter().enumerate().any(|(i, f)| {
            i != index
                && matches!(f.kind, Kind::Address | Kind::PersonName | Kind::Coordinates)
                && f.end > from
                && f.start < to
        })
}

/// Whether a room word stands before `floor` in its sentence, within [`NEAR`] bytes.
fn after_room(text: &str, floor: &Finding) -> bool {
    let (from, _) = sentence_around(text, floor.start, floor.end);
    let from = from.max(floor.start.saturating_sub(NEAR));
    let head = text.get(from..floor.start).unwrap_or("");
    ROOM.as_ref().is_some_and(|re| re.is_match(head))
}

/// The byte range of the sentence (or line) holding `start..end`.
fn sentence_around(text: &str, start: usize, end: usize) -> (usize, usize) {
    let head = &text[..start];
    let from = [". ", "! ", "? ", "\n"]
        .iter()
        .filter_map(|s| head.rfind(s).map(|i| i + s.len()))
        .max()
        .unwrap_or(0);
    let tail = &text[end..];
    let to = [". ", "! ", "? ", "\n"]
        .iter()
        .filter_map(|s| tail.find(s).map(|i| end + i))
        .min()
        .unwrap_or(text.len());
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(text: &str, kind: Kind, part: &str) -> Finding {
        let start = text.find(part).unwrap_or(0);
        Finding {
            kind,
            start,
            end: start + part.len(),
            text: part.to_owned(),
        }
    }

    #[test]
    fn a_public_room_on_a_floor_is_not_an_address() {
        let text = "Bus 20, salle au rez-de-chaussée, accessible.";
        let mut found = vec![finding(text, Kind::Address, "au rez-de-chaussée")];
        drop_lone_floors(text, &mut found);
        assert!(found.is_empty());
        // Without a room word the floor stays.
        let text = "La oficina está en la 3ª planta.";
        let mut found = vec![finding(text, Kind::Address, "3ª planta")];
        drop_lone_floors(text, &mut found);
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn a_floor_next_to_a_street_or_a_person_stays() {
        let text = "alla Casa del Popolo, via Bonomea 23, primo piano.";
        let mut found = vec![
            finding(text, Kind::Address, "via Bonomea 23"),
            finding(text, Kind::Address, "primo piano"),
        ];
        drop_lone_floors(text, &mut found);
        assert_eq!(found.len(), 2);
        let text = "M. Robert Giraud, au rez-de-chaussée, a 84 ans.";
        let mut found = vec![
            finding(text, Kind::PersonName, "Robert Giraud"),
            finding(text, Kind::Address, "au rez-de-chaussée"),
        ];
        drop_lone_floors(text, &mut found);
        assert_eq!(found.len(), 2);
    }
}

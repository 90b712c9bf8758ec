//! A floor named on its own is not an address (round 13 of issue 13).
//!
//! "Salle au rez-de-chaussée, accessible", "al piano terra di un palazzo", "la sala 2.1 en
//! el primer piso": flyers and directions name the floor of a public room, and nothing
//! there says who lives where. A floor says where someone is only with what it is the
//! floor of: a street or building next to it ("via Bonomea 23, primo piano") or a person
//! ("M. Robert Giraud, au rez-de-chaussée"). So a finding that is nothing but a floor is
//! kept only when another address or a person's name stands near it in its sentence.

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

/// Drops the addresses that are a floor alone, with no street, building or person near.
pub(crate) fn drop_lone_floors(text: &str, findings: &mut Vec<Finding>) {
    let Some(re) = FLOOR_ONLY.as_ref() else {
        return;
    };
    let lone: Vec<usize> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == Kind::Address && re.is_match(f.text.trim()))
        .filter(|(i, f)| !anchored(text, findings, *i, f))
        .map(|(i, _)| i)
        .collect();
    for i in lone.into_iter().rev() {
        findings.remove(i);
    }
}

/// Whether another address or a person's name stands within [`NEAR`] bytes of `floor`,
/// in the same sentence.
fn anchored(text: &str, findings: &[Finding], index: usize, floor: &Finding) -> bool {
    let (from, to) = sentence_around(text, floor.start, floor.end);
    let from = from.max(floor.start.saturating_sub(NEAR));
    let to = to.min(floor.end + NEAR);
    findings.iter().enumerate().any(|(i, f)| {
        i != index
            && matches!(f.kind, Kind::Address | Kind::PersonName | Kind::Coordinates)
            && f.end > from
            && f.start < to
    })
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

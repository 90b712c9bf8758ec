//! More edges and joins of an address (round 13 of issue 13), the families behind the
//! addresses set 12 missed:
//!
//! * after a street, its house number written apart ("Hollybush Gardens, no. 31", "calle
//!   de Atocha, a la altura del número 117"), a Catalan floor and door ("carrer de Verdi
//!   88, 1r 2a") and German courtyard parts with the floor after them ("Wiener Str. 61,
//!   Hinterhof, 1. Etage");
//! * before a building, the floor it is the floor of ("the fourth floor of Carrington
//!   House");
//! * two streets joined by "and" / "y" / "et" / "und" / "e" / "&" / "/": one corner ("Bull
//!   Street and Colmore Row");
//! * a lone flat or unit whose number carries a letter ("unit 5F", "apt 12B"): the letter
//!   makes it a door, not a count.

use regex::Regex;

use super::{push, widen_addresses};
use crate::util::{before, compile};
use crate::{Finding, Kind};

#[derive(Debug)]
pub(crate) struct AddressJoins {
    tail: Option<Regex>,
    floor_of: Option<Regex>,
    unit_letter: Option<Regex>,
}

/// What may stand between two streets that name one corner.
const CORNER_JOINS: &[&str] = &[
    " and ", " & ", " y ", " et ", " und ", " e ", "/", " / ", " with ", " con ",
];

impl AddressJoins {
    pub(crate) fn new() -> AddressJoins {
        AddressJoins {
            tail: compile(
                r"^(?:,?[ \t]+(?:no\.|n[º°]\.?|nr\.|n\.º)[ \t]?\d{1,4}[A-Za-z]?\b|,?[ \t]+a[ \t]+la[ \t]+altura[ \t]+del?[ \t]+(?:número[ \t]+|n\.?º[ \t]?)?\d{1,4}\b|,[ \t]*\d{1,2}(?:r|n|t|è|er)[ \t]+\d{1,2}a\b|(?:,[ \t]*(?:Hinterhof|Innenhof|Hof|Hinterhaus|Vorderhaus|Seitenflügel|Quergebäude))?,[ \t]*\d{1,2}\.[ \t]?(?:OG|Obergeschoss|Stock|Etage)(?:[ \t]+(?:links|rechts|Mitte))?\b|,[ \t]*(?:Hinterhof|Innenhof)\b)",
            ),
            floor_of: compile(
                r"(?i)\b(?:the[ \t]+)?(?:ground|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|top|\d{1,2}(?:st|nd|rd|th))[ \t]+floor[ \t]+of[ \t]+$",
            ),
            unit_letter: compile(r"\b(?i:apt\.?|apartment|unit|flat|suite)[ \t]+\d{1,4}[A-Z]\b"),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(re) = &self.unit_letter {
            for m in re.find_iter(text) {
                push(out, Kind::Address, text, m.start(), m.end());
            }
        }
    }

    pub(crate) fn widen(&self, text: &str, out: &mut Vec<Finding>) {
        // Corners join the streets as found, before any is widened.
        let streets: Vec<(usize, usize)> = out
            .iter()
            .filter(|f| f.kind == Kind::Address)
            .map(|f| (f.start, f.end))
            .collect();
        let mut corners = Vec::new();
        for &(s1, e1) in &streets {
            for &(s2, e2) in &streets {
                let gap = text.get(e1..s2).unwrap_or("");
                if s2 > e1 && CORNER_JOINS.contains(&gap) {
                    corners.push((s1, e2));
                }
            }
        }
        widen_addresses(text, out, |f| {
            let (mut start, mut end) = (f.start, f.end);
            // Twice: "Wiener Str. 61, Hinterhof, 1. Etage" takes the courtyard, then the floor.
            for _ in 0..2 {
                let rest = text.get(end..).unwrap_or("");
                if let Some(m) = self.tail.as_ref().and_then(|re| re.find(rest)) {
                    end += m.end();
                }
            }
            let head = before(text, start, 40);
            if let Some(m) = self.floor_of.as_ref().and_then(|re| re.find(head)) {
                start -= head.len() - m.start();
            }
            (start, end)
        });
        for (s, e) in corners {
            push(out, Kind::Address, text, s, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widened(text: &str, streets: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for s in streets {
            let at = text.find(s).unwrap_or(0);
            push(&mut out, Kind::Address, text, at, at + s.len());
        }
        AddressJoins::new().widen(text, &mut out);
        out.into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn numbers_floors_and_doors_after_a_street() {
        let t = "outside Hollybush Gardens, no. 31. grey";
        assert!(widened(t, &["Hollybush Gardens"]).contains(&"Hollybush Gardens, no. 31".into()));
        let t = "en carrer de Verdi 88, 1r 2a a las 8";
        assert!(widened(t, &["carrer de Verdi 88"]).contains(&"carrer de Verdi 88, 1r 2a".into()));
        let t = "im Laden, Wiener Str. 61, Hinterhof, 1. Etage treffen";
        assert!(
            widened(t, &["Wiener Str. 61"]).contains(&"Wiener Str. 61, Hinterhof, 1. Etage".into())
        );
    }

    #[test]
    fn a_corner_and_a_floor_of_a_building() {
        let t = "at Bull Street and Colmore Row today";
        let w = widened(t, &["Bull Street", "Colmore Row"]);
        assert!(w.contains(&"Bull Street and Colmore Row".into()));
        let t = "on the fourth floor of Carrington House now";
        assert!(widened(t, &["Carrington House"])
            .contains(&"the fourth floor of Carrington House".into()));
        // A street and a count are not a corner.
        assert_eq!(widened("Bull Street and 4 more", &["Bull Street"]).len(), 1);
    }

    #[test]
    fn a_unit_with_a_letter() {
        let mut out = Vec::new();
        AddressJoins::new().find("they moved to unit 5F, and the unit 5 budget", &mut out);
        let found: Vec<_> = out.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(found, ["unit 5F"]);
    }
}

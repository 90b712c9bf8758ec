//! Round 16 of issue 13: the time families set 15 missed, generalised.
//!
//! * A clock time with its minutes after a dot or a colon, right after a word that
//!   schedules something, without "at": "Arrive 9.15", "doors open 7.30", "speeches
//!   8.15", "llegada 9.30", "Treffen 18.45", "ritrovo 9.15". A bare "9.15" elsewhere is a
//!   price, a score or a decimal, and stays unflagged. Round 17 adds an estimated
//!   arrival and the breaks of a day ("eta 7.50", "lunch break 12.45", "pausa 13.15").
//! * A Spanish day of the month named by "día" ("el día 3", "hasta el día 21", "Pròxima:
//!   dia 23"), which is a date unless "de" and a noun of a protest's count follow ("el día
//!   3 de huelga", the third day of the strike) or a measure does ("día 2 horas").

use regex::Regex;

use super::push;
use crate::util::{after, compile};
use crate::{Finding, Kind};

/// Nouns after which "día N de …" counts the days of something, not the calendar.
const COUNTED: &[&str] = &[
    "huelga",
    "acampada",
    "encierro",
    "ocupación",
    "ocupacion",
    "lucha",
    "protesta",
    "campamento",
    "ayuno",
    "marcha",
    "paro",
    "asamblea",
];

/// Units after a number that make it a measure or a price, not a time.
const UNITS: &[&str] = &[
    "km", "m", "kg", "g", "l", "%", "€", "$", "£", "eur", "euro", "euros", "miles", "mi", "each",
    "per", "apiece", "pp", "pence", "quid", "pounds", "dollars", "chf", "francs", "points", "pts",
    "percent", "horas", "hora", "personas", "veces",
];

#[derive(Debug)]
pub(crate) struct TimeCues {
    scheduled: Option<Regex>,
    dia: Option<Regex>,
    counted_after: Option<Regex>,
}

impl TimeCues {
    pub(crate) fn new() -> TimeCues {
        TimeCues {
            scheduled: compile(
                r"(?i)\b(?:arrive|arrival|arriving|meet|meeting|muster|gather|gathering|assemble|briefing|doors(?:[ \t]+open)?|opens?|start|starts|starting|kick-?off|speeches|set-?up|leave|leaving|depart|departs|departure|finish|finishes|ends|back|llegada|salida|quedada|quedamos|cita|inicio|comienzo|arrivée|départ|accueil|début|ouverture|treffen|treffpunkt|beginn|abfahrt|ankunft|einlass|ritrovo|partenza|arrivo|inizio|appuntamento|apertura|eta|break|lunch|pausa|pause|descanso|almuerzo|pranzo|cena|dinner|repas|mittagspause)[ \t]*:?[ \t]+((?:[01]?\d|2[0-3])[.:][0-5]\d)\b",
            ),
            dia: compile(r"(?i)\b(d[ií]a[ \t]+(?:0?[1-9]|[12]\d|3[01]))\b"),
            counted_after: compile(r"^[ \t]+de[ \t]+(\p{L}+)"),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(re) = &self.scheduled {
            for caps in re.captures_iter(text) {
                let Some(time) = caps.get(1) else { continue };
                // "back 3.50 km", "start 7.50 each": a unit after it makes it a measure.
                if unit_after(text, time.end()) {
                    continue;
                }
                push(out, Kind::DateTime, text, time.start(), time.end());
            }
        }
        if let Some(re) = &self.dia {
            for caps in re.captures_iter(text) {
                let Some(day) = caps.get(1) else { continue };
                if unit_after(text, day.end()) {
                    continue;
                }
                let rest = after(text, day.end(), 24);
                let counted = self
                    .counted_after
                    .as_ref()
                    .and_then(|re| re.captures(rest))
                    .and_then(|c| c.get(1))
                    .is_some_and(|noun| COUNTED.contains(&noun.as_str().to_lowercase().as_str()));
                if !counted {
                    push(out, Kind::DateTime, text, day.start(), day.end());
                }
            }
        }
    }
}

/// Whether the word right after `end` is a unit or a measure ("7.50 each", "día 2 horas").
fn unit_after(text: &str, end: usize) -> bool {
    let unit = after(text, end, 12)
        .trim_start()
        .split(|c: char| !c.is_alphanumeric() && !"%€$£".contains(c))
        .next()
        .unwrap_or("")
        .to_lowercase();
    UNITS.contains(&unit.as_str())
}

//! Whole time spans (round 14 of issue 13), the families behind the times set 13 missed:
//!
//! * a habitual weekday before an hour range ("Saturdays 11 to 1", "todos los lunes de
//!   17:00 a 19:30", "tous les jeudis de 14 h à 17 h"): opening hours are a time and a
//!   place someone will be, and the weekday belongs to the finding;
//! * a part of the day written as a phrase after a day or an hour ("el martes 9 a primera
//!   hora", "depuis le 15 au soir", "samedi en fin d'après-midi", "le quattro e mezza del
//!   pomeriggio");
//! * a date and its hour written apart by the date's full stop and a comma ("Montag, den
//!   4., um 10:30");
//! * Italian hours in words with their article and a fraction ("le quattro e mezza", "l'una
//!   meno un quarto"; the fraction makes it an hour, "le quattro sorelle" stays clean);
//! * noon and midnight with "sharp" ("midi pile", "mezzogiorno in punto").

use regex::Regex;

use super::{push, FULL_WEEKDAYS};
use crate::util::{after, before, compile};
use crate::{Finding, Kind};

#[derive(Debug)]
pub(crate) struct TimeSpans {
    habitual_range: Option<Regex>,
    habitual_before: Option<Regex>,
    weekday_start: Option<Regex>,
    part_after: Option<Regex>,
    weekday_part: Option<Regex>,
    italian_words: Option<Regex>,
    noon_sharp: Option<Regex>,
}

/// Parts of the day written as a phrase, which on their own after a weekday make it one
/// day ("samedi en fin d'après-midi").
const LONG_PARTS: &str = r"a[ \t]+(?:primera|última)[ \t]+hora(?:[ \t]+de[ \t]+la[ \t]+(?:mañana|tarde|noche))?|en[ \t]+(?:fin|début)[ \t]+(?:d'après-midi|d’après-midi|de[ \t]+(?:matinée|journée|soirée|matin|soir))|first[ \t]+thing(?:[ \t]+in[ \t]+the[ \t]+morning)?|in[ \t]+the[ \t]+(?:early|late)[ \t]+(?:morning|afternoon|evening)|in[ \t]+tarda[ \t]+(?:mattinata|serata|notte)|in[ \t]+prima[ \t]+serata|(?:am|in[ \t]+der)[ \t]+(?:frühen|späten)[ \t]+(?:Morgen|Vormittag|Nachmittag|Abend)";

/// Parts of the day after an hour or a date found by another rule.
const PARTS: &str = r"au[ \t]+(?:soir|matin)|del[ \t]+(?:mattino|pomeriggio)|di[ \t]+(?:sera|mattina|notte|pomeriggio)|(?:de|por|en)[ \t]+la[ \t]+(?:mañana|tarde|noche|madrugada)|in[ \t]+the[ \t]+(?:morning|afternoon|evening)";

impl TimeSpans {
    pub(crate) fn new() -> TimeSpans {
        let plural = "mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays|lundis|mardis|mercredis|jeudis|vendredis|samedis|dimanches|montags|dienstags|mittwochs|donnerstags|freitags|samstags|sonntags";
        let hour = r"\d{1,2}(?:[:.h]\d\d)?(?:[ \t]*(?:am|pm|a\.m\.|p\.m\.|h|Uhr))?";
        TimeSpans {
            habitual_range: compile(&format!(
                r"(?i)\b(?:(?:every|todos[ \t]+los|todas[ \t]+las|cada|tous[ \t]+les|jeden|ogni)[ \t]+(?:{FULL_WEEKDAYS})|{plural})(?:[ \t]*,)?(?:[ \t]+(?:from|de|des|dès|dalle|von|ab|between|entre))?[ \t]+{hour}[ \t]*(?:to|till|until|-|–|a|à|bis|alle|and|y|et|e)[ \t]*{hour}\b"
            )),
            habitual_before: compile(
                r"(?i)\b(?:every|todos[ \t]+los|todas[ \t]+las|cada|tous[ \t]+les|jeden|ogni)[ \t]+$",
            ),
            weekday_start: compile(&format!(r"(?i)^(?:{FULL_WEEKDAYS}|{plural})\b")),
            part_after: compile(&format!(r"(?i)^[ \t]+(?:{LONG_PARTS}|{PARTS})\b")),
            weekday_part: compile(&format!(
                r"(?i)\b(?:{FULL_WEEKDAYS})(?:[ \t]+\d{{1,2}})?[ \t]+(?:{LONG_PARTS})\b"
            )),
            italian_words: compile(
                r"(?i)\b(?:le[ \t]+(?:due|tre|quattro|cinque|sei|sette|otto|nove|dieci|undici|dodici)|l'una|l’una)[ \t]+(?:e[ \t]+(?:mezza|mezzo|un[ \t]+quarto|tre[ \t]+quarti|cinque|dieci|venti|venticinque)|meno[ \t]+(?:un[ \t]+quarto|cinque|dieci|venti))\b",
            ),
            noon_sharp: compile(
                r"(?i)\b(?:midi|minuit|mezzogiorno|mezzanotte|mediodía|medianoche|noon|midnight|Mittag|Mitternacht)[ \t]+(?:pile|précises?|in[ \t]+punto|en[ \t]+punto|sharp|on[ \t]+the[ \t]+dot)\b",
            ),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        for re in [
            &self.habitual_range,
            &self.weekday_part,
            &self.italian_words,
            &self.noon_sharp,
        ]
        .into_iter()
        .flatten()
        {
            for m in re.find_iter(text) {
                push(out, Kind::DateTime, text, m.start(), m.end());
            }
        }
    }

    pub(crate) fn widen(&self, text: &str, out: &mut Vec<Finding>) {
        let times: Vec<(usize, usize)> = out
            .iter()
            .filter(|f| f.kind == Kind::DateTime)
            .map(|f| (f.start, f.end))
            .collect();
        let mut wider = Vec::new();
        for &(start, end) in &times {
            let (mut s, mut e) = (start, end);
            let own = text.get(start..end).unwrap_or("");
            // Only with an hour: "ogni mercoledì pomeriggio" alone is a habit (no_moment.rs).
            let hour = own.chars().any(|c| c.is_ascii_digit());
            if hour
                && self
                    .weekday_start
                    .as_ref()
                    .is_some_and(|re| re.is_match(own))
            {
                let head = before(text, s, 20);
                if let Some(m) = self.habitual_before.as_ref().and_then(|re| re.find(head)) {
                    s -= head.len() - m.start();
                }
            }
            let rest = after(text, e, 60);
            if let Some(m) = self.part_after.as_ref().and_then(|re| re.find(rest)) {
                e += m.end();
            }
            // "Montag, den 4., um 10:30": the date's full stop, a comma, then the hour.
            if own.ends_with(|c: char| c.is_ascii_digit()) {
                for &(s2, e2) in &times {
                    if s2 > e
                        && text
                            .get(e..s2)
                            .is_some_and(|gap| gap == "., " || gap == ".,")
                    {
                        e = e.max(e2);
                    }
                }
            }
            if (s, e) != (start, end) {
                wider.push((s, e));
            }
        }
        for (s, e) in wider {
            push(out, Kind::DateTime, text, s, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str, found: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for f in found {
            let at = text.find(f).unwrap_or(0);
            push(&mut out, Kind::DateTime, text, at, at + f.len());
        }
        let t = TimeSpans::new();
        t.find(text, &mut out);
        t.widen(text, &mut out);
        out.into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn habitual_weekdays_with_hours() {
        assert!(scan("open Tuesdays 10 to 2, bring ID", &[]).contains(&"Tuesdays 10 to 2".into()));
        let w = scan(
            "abierto todos los viernes de 18:00 a 20:00.",
            &["viernes de 18:00 a 20:00"],
        );
        assert!(
            w.contains(&"todos los viernes de 18:00 a 20:00".into()),
            "{w:?}"
        );
        assert!(scan("ouvert tous les mardis de 9 h à 12 h", &[])
            .contains(&"tous les mardis de 9 h à 12 h".into()));
        // A weekday and a count are no opening hours.
        assert!(scan("on Tuesdays 10 people come", &[]).is_empty());
    }

    #[test]
    fn parts_of_the_day_after_a_day() {
        let w = scan("llegan el jueves 3 a primera hora, dicen", &["jueves 3"]);
        assert!(w.contains(&"jueves 3 a primera hora".into()), "{w:?}");
        let w = scan("fermé depuis le 9 au soir", &["depuis le 9"]);
        assert!(w.contains(&"depuis le 9 au soir".into()), "{w:?}");
        assert!(scan("on revient vendredi en fin de matinée", &[])
            .contains(&"vendredi en fin de matinée".into()));
        assert!(scan(
            "ci vediamo alle sei e mezza? no, le sei e mezza del pomeriggio",
            &[]
        )
        .contains(&"le sei e mezza".into()));
        assert!(scan("le tre sorelle sono arrivate", &[]).is_empty());
        assert!(scan("à midi pile devant", &[]).contains(&"midi pile".into()));
    }

    #[test]
    fn a_date_and_its_hour_across_the_full_stop() {
        let w = scan(
            "am Freitag, den 7., um 9:15 im Saal",
            &["Freitag, den 7", "um 9:15"],
        );
        assert!(w.contains(&"Freitag, den 7., um 9:15".into()), "{w:?}");
    }
}

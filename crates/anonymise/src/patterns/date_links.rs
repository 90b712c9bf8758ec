//! Round 18 of issue 13: the date families set 19 missed, generalised.
//!
//! * A range of days with its prepositions ("les nuits du 15 au 16", "del 3 al 5", "dal 12
//!   al 14", "vom 3. bis 5."): a range of day numbers is a date even without its month.
//! * A range of hours after "between" in the five languages ("zwischen 9 und 11", "entre
//!   9 y 11", "tra le 9 e le 11"), when an hour unit follows or a date or time is already
//!   found on the line: "zwischen 20 und 30 Leute" is a count.
//! * A day and month with a dash after an article ("el 19-10", "le 21-09", "am 3-4"),
//!   when both are a valid day and month.
//! * The feminist and protest days written as a number and a month's initial ("el 8M",
//!   "la huelga del 25N", "el 28J"), after an article or a preposition; "el 15M" names
//!   the 2011 movement, not a day, and is left alone.
//! * A weekday before a day and month with a slash ("domenica 19/4", "Sat 3/5"), and an
//!   uppercase weekday before a dotted time ("SAT 3.15").
//! * The words that make a found time exact or place it by a meal ("alle 8 in punto", "à 9 h
//!   pile", "il 22 aprile dopo pranzo", "after lunch"), taken into it.
//!
//! Round 19 (from set 20's misses), in `widen`: the hours after a found day ("Thursday
//! 15th from 8", "18/03, just after 9", "sábado 5 de 14 a 20"), the weekday after a found
//! hour ("6:45 on the Saturday"), and the day word before a found time ("hoy antes de las
//! 12", "today at 4", "domani alle 9").

use regex::Regex;

use super::{push, FULL_WEEKDAYS};
use crate::util::{after, before, compile, next_word, prev_word};
use crate::{Finding, Kind};

const DAY: &str = r"(?:[12]\d|3[01]|0?[1-9])";
const HOUR: &str = r"(?:[01]?\d|2[0-4])";
const WEEKDAY_ABBR: &str = "mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|lun|mar|mer|mié|mie|jeu|jue|ven|vie|sam|sáb|sab|dim|dom|gio|mo|di|mi|do|fr|sa|so";

/// Words after an hour range that make it a time: "zwischen 9 und 11 Uhr".
const HOUR_UNITS: &[&str] = &[
    "uhr", "h", "hrs", "hours", "am", "pm", "horas", "hs", "heures", "ore", "o'clock",
];

/// Words after a day range that make it a count or a measure, not days.
const COUNT_AFTER: &[&str] = &[
    "personnes",
    "personas",
    "persone",
    "leute",
    "people",
    "euros",
    "euro",
    "eur",
    "ans",
    "años",
    "anni",
    "jahre",
    "years",
    "pages",
    "páginas",
    "pagine",
    "seiten",
    "kg",
    "km",
    "mètres",
    "metros",
    "metri",
    "meter",
    "minutes",
    "minutos",
    "minuti",
    "minuten",
    "heures",
    "horas",
    "ore",
    "stunden",
    "hours",
    "jours",
    "días",
    "giorni",
    "tage",
    "days",
];

#[derive(Debug)]
pub(crate) struct DateLinks {
    day_range: Option<Regex>,
    hour_range: Option<Regex>,
    dashed: Option<Regex>,
    protest_day: Option<Regex>,
    weekday_slash: Option<Regex>,
    caps_weekday_dotted: Option<Regex>,
    exact_tail: Option<Regex>,
    hour_tail: Option<Regex>,
    weekday_tail: Option<Regex>,
    day_word_before: Option<Regex>,
}

impl DateLinks {
    pub(crate) fn new() -> DateLinks {
        DateLinks {
            day_range: compile(&format!(
                r"(?i)\b(?:du|del|dal|vom)[ \t]+({DAY}\.?[ \t]*(?:au|al|bis(?:[ \t]+(?:zum|den))?)[ \t]+{DAY}\.?)(?:[^\p{{L}}\d]|$)"
            )),
            hour_range: compile(&format!(
                r"(?i)\b(?:zwischen|entre|between|tra[ \t]+le|fra[ \t]+le)[ \t]+({HOUR}(?:[.:][0-5]\d)?[ \t]*(?:und|y|las|and|et|e[ \t]+le|e)[ \t]+(?:las[ \t]+)?{HOUR}(?:[.:][0-5]\d)?)\b"
            )),
            dashed: compile(&format!(r"\b({DAY})-(0?[1-9]|1[0-2])\b")),
            protest_day: compile(r"\b(?:8M|25N|28J)\b"),
            weekday_slash: compile(&format!(
                r"(?i)\b(?:{FULL_WEEKDAYS}|(?:{WEEKDAY_ABBR})\.?),?[ \t]+({DAY})/(0?[1-9]|1[0-2])\b"
            )),
            caps_weekday_dotted: compile(
                r"\b(?:MON|TUE|TUES|WED|THU|THUR|THURS|FRI|SAT|SUN)[ \t]+((?:[01]?\d|2[0-3])\.[0-5]\d)\b",
            ),
            exact_tail: compile(
                r"(?i)^[ \t]+(?:in[ \t]+punto|en[ \t]+punto|pile|précises|precises|pünktlich|dopo[ \t]+(?:pranzo|cena)|después[ \t]+de[ \t]+(?:comer|cenar)|après[ \t]+(?:le[ \t]+)?(?:déjeuner|dîner|repas)|nach[ \t]+dem[ \t]+(?:mittagessen|abendessen|essen)|after[ \t]+(?:lunch|dinner|tea))\b",
            ),
            hour_tail: compile(&format!(
                r"(?i)^,?[ \t]+(?:from|after|by|around|just[ \t]+after|just[ \t]+before|de|dès|ab|von|dalle|desde|dalle[ \t]+ore)[ \t]+({HOUR}(?:[:.h][0-5]\d)?(?:[ \t]*(?:a|à|bis|to|-|–|alle|al|y)[ \t]*{HOUR}(?:[:.h][0-5]\d)?)?)\b"
            )),
            weekday_tail: compile(&format!(
                r"(?i)^[ \t]+on[ \t]+(?:the[ \t]+)?(?:{FULL_WEEKDAYS})\b"
            )),
            day_word_before: compile(
                r"(?i)\b(?:hoy|today|tonight|tomorrow|heute|morgen|oggi|domani|stasera|aujourd'hui|aujourd’hui|demain|ce[ \t]+soir|esta[ \t]+noche)(?:[ \t]+(?:antes|después|before|after|avant|après|prima|dopo|vor|nach))?[ \t]+$",
            ),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(re) = &self.day_range {
            for caps in re.captures_iter(text) {
                let Some(range) = caps.get(1) else { continue };
                let count =
                    next_word(text, range.end()).is_some_and(|w| COUNT_AFTER.contains(&w.as_str()));
                if !count {
                    push(out, Kind::DateTime, text, range.start(), range.end());
                }
            }
        }
        if let Some(re) = &self.hour_range {
            for caps in re.captures_iter(text) {
                let Some(range) = caps.get(1) else { continue };
                let unit =
                    next_word(text, range.end()).is_some_and(|w| HOUR_UNITS.contains(&w.as_str()));
                if unit || dated_line(text, range.start(), out) {
                    push(out, Kind::DateTime, text, range.start(), range.end());
                }
            }
        }
        if let Some(re) = &self.dashed {
            for m in re.find_iter(text) {
                let glued = before(text, m.start(), 1).ends_with(|c: char| c.is_alphanumeric())
                    || after(text, m.end(), 1)
                        .starts_with(|c: char| c.is_alphanumeric() || c == '-');
                let article = matches!(
                    prev_word(text, m.start()).as_str(),
                    "el" | "le" | "il" | "am" | "on" | "del" | "du" | "dal" | "au" | "al"
                );
                if article && !glued {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.protest_day {
            for m in re.find_iter(text) {
                let cued = matches!(
                    prev_word(text, m.start()).as_str(),
                    "el" | "del"
                        | "al"
                        | "la"
                        | "le"
                        | "du"
                        | "the"
                        | "il"
                        | "dell"
                        | "for"
                        | "para"
                );
                if cued {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        for re in [&self.weekday_slash, &self.caps_weekday_dotted]
            .into_iter()
            .flatten()
        {
            for m in re.find_iter(text) {
                push(out, Kind::DateTime, text, m.start(), m.end());
            }
        }
    }

    /// Takes "in punto", "pile", "dopo pranzo" into the times they follow.
    pub(crate) fn widen(&self, text: &str, out: &mut Vec<Finding>) {
        let Some(re) = &self.exact_tail else { return };
        let mut added = Vec::new();
        for f in out.iter().filter(|f| f.kind == Kind::DateTime) {
            if let Some(m) = text.get(f.end..).and_then(|rest| re.find(rest)) {
                added.push((f.start, f.end + m.end()));
            }
        }
        for f in out.iter().filter(|f| f.kind == Kind::DateTime) {
            let rest = text.get(f.end..).unwrap_or("");
            // "from 8" after a day, unless a count follows ("from 10 people").
            let caps = self.hour_tail.as_ref().and_then(|re| re.captures(rest));
            if let Some((whole, hours)) = caps.as_ref().and_then(|c| c.get(0).zip(c.get(1))) {
                let count = next_word(text, f.end + hours.end())
                    .is_some_and(|w| COUNT_AFTER.contains(&w.as_str()));
                if !count {
                    added.push((f.start, f.end + whole.end()));
                }
            }
            let clock = f.text.contains(|c: char| c.is_ascii_digit());
            if let Some(m) = self.weekday_tail.as_ref().and_then(|re| re.find(rest)) {
                if clock {
                    added.push((f.start, f.end + m.end()));
                }
            }
            let head = before(text, f.start, 24);
            if let Some(m) = self.day_word_before.as_ref().and_then(|re| re.find(head)) {
                added.push((f.start - (head.len() - m.start()), f.end));
            }
        }
        for (s, e) in added {
            push(out, Kind::DateTime, text, s, e);
        }
    }
}

/// Whether a date or time is already found earlier on the line of `pos`.
fn dated_line(text: &str, pos: usize, found: &[Finding]) -> bool {
    let line_start = text
        .get(..pos)
        .and_then(|h| h.rfind('\n'))
        .map_or(0, |i| i + 1);
    found
        .iter()
        .any(|f| f.kind == Kind::DateTime && f.start >= line_start && f.end <= pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        DateLinks::new().find(text, &mut out);
        out.into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn ranges_of_days_and_hours() {
        assert_eq!(found("pour les nuits du 22 au 23, merci"), ["22 au 23"]);
        assert_eq!(found("zwischen 14 und 16 Uhr"), ["14 und 16"]);
        assert!(found("zwischen 20 und 30 Leute").is_empty());
        assert!(found("du 3 au 5 personnes par table").is_empty());
    }

    #[test]
    fn dashed_and_protest_days() {
        assert_eq!(found("lo recogió el 21-09 por la tarde"), ["21-09"]);
        assert!(found("ganamos 3-1 el partido").is_empty());
        assert_eq!(found("pancartas para el 25N"), ["25N"]);
        assert!(found("a 10M budget").is_empty());
        assert!(found("la asamblea del 15M fue en 2011").is_empty());
    }
}

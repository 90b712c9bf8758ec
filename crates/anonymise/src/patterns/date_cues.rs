//! Round 17 of issue 13: the date families set 16 missed, generalised.
//!
//! * A day and month with a slash and no year ("Trial date set for 2/4", "para el
//!   22/5", "- Piquete 4/3, punto de encuentro", a log line led by "10/14"), in either
//!   order (US "10/14"): after a word that sets a date, at the start of a line or a table
//!   cell, or before punctuation. A fraction ("3/4 of the members", "2/3 de los votos"),
//!   a score ("was 2/1") or a measure is not one.
//! * An abbreviated weekday and a day number ("sáb 7", "mar 10", "jeu. 12", "gio 5").
//! * A day and an abbreviated month in any case, with a year and an hour if they follow
//!   ("9 nov", "8 feb 19:02", "mar, 3 dic 2024, 21:47", "12 ott"). The abbreviations that
//!   are also words ("may", "set", "ago", "mar") need a weekday before them or a year or
//!   an hour after them.
//! * A day number alone after a word that bounds a period ("entro il 28", "bis zum 10.",
//!   "jusqu'au 15", "hasta el 3", "a partir del 20"), after a weekday ("Montag, dem 10."),
//!   or before a part of the day ("del 18 por la noche").
//! * Round 17c: the first cell of a ledger row ("11.02 | E | 100,00", "il 14 |", "15th |"),
//!   a Spanish week ("semana del 10 al 16"), a day with its article before an hour ("il 27
//!   alle sette", "le 30 à 9h").
//! * A Catalan date ("dilluns 16 de juny", "18 d'octubre").
//! * In a table row that holds a date, a range of hours in a cell of its own ("9-12",
//!   "12-3").

use regex::Regex;

use super::datetime::numeric_ok;
use super::{push, FULL_WEEKDAYS};
use crate::util::{after, compile, next_word, prev_word};
use crate::{Finding, Kind};

const WEEKDAY_ABBR: &str = "lun|mar|mié|mie|mier|jue|juev|vie|sáb|sab|dom|mer|jeu|ven|sam|dim|gio|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|mo|di|mi|do|fr|sa|so";

const MONTH_ABBR: &str = "ene|enero|feb|febr|mar|abr|may|jun|jul|ago|sep|sept|set|oct|nov|dic|jan|apr|aug|dec|janv|févr|fevr|avr|mai|juin|juil|août|aout|déc|gen|mag|giu|lug|ott|mär|märz|okt|dez";

/// Month abbreviations that are also words: only with a weekday, a year or an hour.
const WORDY_MONTHS: &[&str] = &["may", "set", "ago", "mar", "mai", "jun"];

/// Words before "2/4" that set a date.
const SLASH_CUES: &[&str] = &[
    "for",
    "on",
    "by",
    "until",
    "till",
    "from",
    "before",
    "after",
    "since",
    "date",
    "dated",
    "due",
    "hearing",
    "trial",
    "deadline",
    "next",
    "el",
    "del",
    "al",
    "para",
    "hasta",
    "desde",
    "antes",
    "fecha",
    "día",
    "dia",
    "le",
    "du",
    "au",
    "pour",
    "dès",
    "avant",
    "après",
    "il",
    "dal",
    "entro",
    "fino",
    "prima",
    "dopo",
    "am",
    "vom",
    "bis",
    "zum",
    "ab",
    "seit",
    "vor",
    "nach",
    "call",
    "meeting",
    "visit",
    "session",
    "court",
    "appointment",
    "interview",
    "shift",
    "demo",
    "picket",
    "rally",
    "vigil",
    "cita",
    "reunión",
    "visita",
    "juicio",
    "vista",
    "audiencia",
    "réunion",
    "rdv",
    "audience",
    "riunione",
    "udienza",
    "incontro",
    "treffen",
    "termin",
    "sitzung",
    "verhandlung",
];

/// Words before "2/1" that make it a score, a count or a ratio.
const NOT_DATE_BEFORE: &[&str] = &[
    "was", "is", "were", "got", "scored", "score", "ratio", "won", "lost", "vote", "votes",
    "voted", "of", "out", "por", "con", "par", "mit",
];

/// Words after "3/4" that make it a fraction.
const FRACTION_AFTER: &[&str] = &[
    "of",
    "de",
    "des",
    "di",
    "der",
    "du",
    "del",
    "della",
    "delle",
    "dei",
    "degli",
    "von",
    "partes",
    "parts",
    "majority",
    "mayoría",
    "majorité",
    "maggioranza",
    "mehrheit",
];

/// Words that bound a period before a bare day number.
const BOUND_BEFORE: &str = r"entro(?:[ \t]+e[ \t]+non[ \t]+oltre)?[ \t]+il|fino[ \t]+al|prima[ \t]+del|dopo[ \t]+il|a[ \t]+partire[ \t]+dal|hasta[ \t]+el|antes[ \t]+del|a[ \t]+partir[ \t]+del|desde[ \t]+el|jusqu['’]au|avant[ \t]+le|à[ \t]+partir[ \t]+du|d['’]ici[ \t]+le|dès[ \t]+le|bis[ \t]+zum|ab[ \t]+dem|vor[ \t]+dem|seit[ \t]+dem";

#[derive(Debug)]
pub(crate) struct DateCues {
    slash: Option<Regex>,
    weekday_day: Option<Regex>,
    day_month: Option<Regex>,
    bounded_day: Option<Regex>,
    weekday_dem: Option<Regex>,
    day_part: Option<Regex>,
    hour_range: Option<Regex>,
    catalan: Option<Regex>,
    first_cell: Option<Regex>,
    week_range: Option<Regex>,
    day_before_hour: Option<Regex>,
}

impl DateCues {
    pub(crate) fn new() -> DateCues {
        let day = r"(?:[12]\d|3[01]|0?[1-9])";
        let hour = r"(?:[01]?\d|2[0-3])[:.h][0-5]\d";
        DateCues {
            slash: compile(r"\b(\d{1,2})/(\d{1,2})\b"),
            weekday_day: compile(&format!(r"(?i)\b(?:{WEEKDAY_ABBR})\.?,?[ \t]+{day}\b")),
            day_month: compile(&format!(
                r"(?i)\b(?:(?P<wd>{WEEKDAY_ABBR}|{FULL_WEEKDAYS})\.?,?[ \t]+)?{day}\.?[ \t]+(?P<month>{MONTH_ABBR})\b\.?(?P<year>,?[ \t]+\d{{4}})?(?P<hour>,?[ \t]+{hour})?"
            )),
            bounded_day: compile(&format!(r"(?i)\b(?:{BOUND_BEFORE})[ \t]+({day})\b")),
            weekday_dem: compile(&format!(
                r"(?i)\b(?:{FULL_WEEKDAYS}),?[ \t]+(?:dem|den)[ \t]+{day}\."
            )),
            day_part: compile(&format!(
                r"(?i)\b(?:el|del|le|du|il|del)[ \t]+({day})[ \t]+(?:por[ \t]+la[ \t]+(?:mañana|tarde|noche)|au[ \t]+(?:matin|soir)|dans[ \t]+la[ \t]+(?:matinée|soirée)|(?:in[ \t]+)?(?:mattinata|serata|sera|mattina|pomeriggio))\b"
            )),
            catalan: compile(&format!(
                r"(?i)\b(?:(?:dilluns|dimarts|dimecres|dijous|divendres|dissabte|diumenge),?[ \t]+)?{day}[ \t]+(?:de[ \t]+|d['’])(?:gener|febrer|març|abril|maig|juny|juliol|agost|setembre|octubre|novembre|desembre)\b"
            )),
            first_cell: compile(&format!(
                r"(?mi)^[ \t]*((?:{day}[./]\d{{1,2}}\.?|(?:il|le|el|the)[ \t]+{day}|{day}(?:st|nd|rd|th|er)))[ \t]*\|"
            )),
            week_range: compile(&format!(
                r"(?i)\b(?:semana|días|dias|quincena|turnos?)[ \t]+del[ \t]+({day}[ \t]+al[ \t]+{day})\b"
            )),
            day_before_hour: compile(&format!(
                r"(?i)\b((?:il|le|el)[ \t]+{day}),?[ \t]+(?:alle|dalle|à|a[ \t]+las|a[ \t]+la|vers|dès)\b"
            )),
            hour_range: compile(
                r"(?:^|[ \t]{2,}|\t|\|)[ \t]*((?:[01]?\d|2[0-3])[-–](?:[01]?\d|2[0-4]))(?:[ \t]{2,}|\t|[ \t]*\||[ \t]*$)",
            ),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        self.find_slash(text, out);
        if let Some(re) = &self.weekday_day {
            for m in re.find_iter(text) {
                if numeric_ok(text, m.start(), m.end()) && !measure_after(text, m.end()) {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.day_month {
            for caps in re.captures_iter(text) {
                let (Some(whole), Some(month)) = (caps.get(0), caps.get(2)) else {
                    continue;
                };
                let wordy = WORDY_MONTHS.contains(&month.as_str().to_lowercase().as_str());
                let backed = caps.name("wd").is_some()
                    || caps.name("year").is_some()
                    || caps.name("hour").is_some();
                let start = whole.start();
                if (!wordy || backed) && numeric_ok(text, start, whole.end()) {
                    push(out, Kind::DateTime, text, start, whole.end());
                }
            }
        }
        for re in [&self.bounded_day, &self.day_part].into_iter().flatten() {
            for caps in re.captures_iter(text) {
                let Some(day) = caps.get(1) else { continue };
                let end = caps.get(0).map_or(day.end(), |m| m.end());
                if numeric_ok(text, day.start(), day.end()) && !measure_after(text, day.end()) {
                    push(out, Kind::DateTime, text, day.start(), end);
                }
            }
        }
        for re in [&self.first_cell, &self.week_range, &self.day_before_hour]
            .into_iter()
            .flatten()
        {
            for caps in re.captures_iter(text) {
                if let Some(m) = caps.get(1) {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.catalan {
            for m in re.find_iter(text) {
                push(out, Kind::DateTime, text, m.start(), m.end());
            }
        }
        if let Some(re) = &self.weekday_dem {
            for m in re.find_iter(text) {
                push(out, Kind::DateTime, text, m.start(), m.end());
            }
        }
        self.find_hour_ranges(text, out);
    }

    fn find_slash(&self, text: &str, out: &mut Vec<Finding>) {
        let Some(re) = &self.slash else { return };
        for caps in re.captures_iter(text) {
            let (Some(whole), Some(a), Some(b)) = (caps.get(0), caps.get(1), caps.get(2)) else {
                continue;
            };
            let (a, b): (u32, u32) = (
                a.as_str().parse().unwrap_or(0),
                b.as_str().parse().unwrap_or(0),
            );
            let valid = (1..=31).contains(&a) && (1..=12).contains(&b)
                || (1..=12).contains(&a) && (1..=31).contains(&b);
            if !valid || a == b && a <= 4 || !numeric_ok(text, whole.start(), whole.end()) {
                continue;
            }
            let prev = prev_word(text, whole.start()).to_lowercase();
            let next = next_word(text, whole.end()).unwrap_or_default();
            if NOT_DATE_BEFORE.contains(&prev.as_str())
                || FRACTION_AFTER.contains(&next.as_str())
                || measure_after(text, whole.end())
            {
                continue;
            }
            let cue =
                SLASH_CUES.contains(&prev.as_str()) || FULL_WEEKDAYS.split('|').any(|w| w == prev);
            let led = line_led(text, whole.start());
            let punct = after(text, whole.end(), 2)
                .trim_start_matches(' ')
                .starts_with([',', ';', ':', ')', '.', '\n', '—', '–', '|'])
                || whole.end() == text.len();
            if cue || led || punct {
                push(out, Kind::DateTime, text, whole.start(), whole.end());
            }
        }
    }

    /// "SAT 13/7   sorting  9-12   Ifeoma": a range of hours in a cell of a dated row.
    fn find_hour_ranges(&self, text: &str, out: &mut Vec<Finding>) {
        let Some(re) = &self.hour_range else { return };
        // Date starts in order, walked with the lines: linear in text and findings.
        let mut dates: Vec<usize> = out
            .iter()
            .filter(|f| f.kind == Kind::DateTime)
            .map(|f| f.start)
            .collect();
        dates.sort_unstable();
        let mut next_date = dates.into_iter().peekable();
        let mut line_start = 0;
        let mut found = Vec::new();
        for line in text.split_inclusive('\n') {
            let line_end = line_start + line.len();
            let mut dated = false;
            while let Some(&d) = next_date.peek() {
                if d >= line_end {
                    break;
                }
                dated |= d >= line_start;
                next_date.next();
            }
            if dated {
                let body = line.trim_end_matches(['\n', '\r']);
                for caps in re.captures_iter(body) {
                    if let Some(range) = caps.get(1) {
                        found.push((line_start + range.start(), line_start + range.end()));
                    }
                }
            }
            line_start = line_end;
        }
        for (start, end) in found {
            push(out, Kind::DateTime, text, start, end);
        }
    }
}

/// Whether the text from `start` back to its line's start is only a list mark or a
/// table border: "10/14   6:00a", "- 4/3".
fn line_led(text: &str, start: usize) -> bool {
    let head = text.get(..start).unwrap_or("");
    let line = head.rsplit('\n').next().unwrap_or("");
    // Round 17c: or the cell of a table row ("… | 14/1 | …").
    line.trim_start()
        .trim_start_matches(['-', '*', '•', '|', '['])
        .trim()
        .is_empty()
        || line.trim_end().ends_with('|')
}

/// A unit, a price or a count after the number ("3 horas", "28 per cento", "10 km").
fn measure_after(text: &str, end: usize) -> bool {
    let rest = after(text, end, 16).trim_start();
    if rest.starts_with(['%', '€', '$', '£']) {
        return true;
    }
    let word = rest
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_lowercase();
    matches!(
        word.as_str(),
        "km" | "m"
            | "kg"
            | "g"
            | "l"
            | "h"
            | "hrs"
            | "hours"
            | "horas"
            | "hora"
            | "ore"
            | "heures"
            | "stunden"
            | "minutes"
            | "minutos"
            | "minuti"
            | "min"
            | "eur"
            | "euro"
            | "euros"
            | "people"
            | "personas"
            | "persone"
            | "personnes"
            | "leute"
            | "personen"
            | "days"
            | "días"
            | "giorni"
            | "jours"
            | "tage"
            | "años"
            | "anni"
            | "ans"
            | "jahre"
            | "years"
            | "cento"
            | "ciento"
            | "cent"
            | "prozent"
    )
}

//! Precise dates and clock times.
//!
//! Flagged: numeric dates, day+month in words (en/es/de/fr/it), weekday with
//! a day number, clock times ("14:30", "2:30pm", "19 Uhr", "18h30", "a las
//! 10") and time ranges ("9-11am"). Not flagged: a weekday alone, a month
//! alone or with a year, a year, durations ("2 hours"), vague words
//! ("morning", "last week"). Bare hour numbers ("at 7") count only after a
//! time preposition and when the next word does not make them a quantity.

use regex::Regex;

use super::push;
use crate::util::{before, char_at, char_before, compile, next_word, prev_word};
use crate::{Finding, Kind};

const MONTHS_EN: &str = "(?i:january|february|march|april|june|july|august|september|october|november|december)|May|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\\.?";
/// Month-first dates ("March 3") need the capital: "we march 3 miles".
const MONTHS_EN_CAP: &str = "(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\\.?";
const MONTHS_ES: &str = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre";
const MONTHS_DE: &str = "Januar|Jänner|Februar|März|Maerz|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember";
const MONTHS_FR: &str = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre";
const MONTHS_IT: &str =
    "gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre";
const WEEKDAYS_EN: &str = "(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|weds|thu|thur|thurs|fri|sat|sun)\\.?";
const WEEKDAYS_ES: &str = "lunes|martes|miércoles|miercoles|jueves|viernes|sábado|sabado|domingo";
const WEEKDAYS_DE: &str =
    "Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|Sonntag|Mo|Di|Mi|Do|Fr|Sa|So";
const WEEKDAYS_FR: &str = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche";
const ORD: &str = "(?:st|nd|rd|th)";

/// Words that may follow a bare hour ("at 7 in the hall") without turning it
/// into a quantity ("at 7 people").
const AFTER_BARE_HOUR: &[&str] = &[
    "on",
    "in",
    "when",
    "then",
    "sharp",
    "tonight",
    "tomorrow",
    "today",
    "oclock",
    "o",
    "with",
    "at",
    "for",
    "if",
    "so",
    "and",
    "or",
    "but",
    "pls",
    "please",
    "ish",
    "latest",
    "same",
    "this",
    "next", // An article or a subject pronoun starts a new phrase: "At 11 the officer came".
    "the",
    "we",
    "i",
    "you",
    "they",
    "everyone",
    "our",
    "she",
    "he",
    // A weekday names the day of the time: "at 8 Saturday", "by 9 Fri".
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "weds",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
    "tonite",
    "tmrw",
    "tmw",
    "tomoz",
    "sharpish",
];

/// Nouns that make "5 a week" a rate rather than a time.
const RATE_NOUNS: &[&str] = &[
    "week", "day", "month", "year", "head", "time", "piece", "go", "pop", "hour", "person",
    "night", "minute", "pair", "box", "bag", "kilo", "litre", "liter", "pound", "dozen",
];

/// Nouns that make "the 3rd" a rank rather than a day of the month.
const ORDINAL_NOUNS: &[&str] = &[
    "floor",
    "time",
    "times",
    "year",
    "place",
    "round",
    "week",
    "anniversary",
    "birthday",
    "century",
    "edition",
    "issue",
    "person",
    "row",
    "grade",
    "generation",
    "attempt",
    "level",
    "storey",
    "story",
    "stage",
    "part",
    "chapter",
    "page",
    "item",
    "point",
    "step",
    "phase",
    "term",
    "quarter",
    "half",
    "door",
    "flat",
    "house",
    "block",
];

const BARE_HOUR_PREPS: &[&str] = &[
    "at", "by", "from", "until", "till", "til", "around", "about", "before", "after", "like",
    "approx", "ca",
];

#[derive(Debug)]
pub(crate) struct DateTime {
    always: Vec<Regex>,
    dotted_time: Option<Regex>,
    h_time: Option<Regex>,
    numeric_short: Option<Regex>,
    bare_hour: Option<Regex>,
    ordinal_alone: Option<Regex>,
}

impl DateTime {
    pub(crate) fn new() -> DateTime {
        let day = r"(?:[12]\d|3[01]|0?[1-9])";
        let year = r"(?:\d{4}|'\d{2})";
        let ampm = r"(?i:\s?(?:am|pm|a\.m\.|p\.m\.))";
        let always = [
            // ISO date, optionally with time.
            r"\b\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[T ](?:[01]\d|2[0-3]):[0-5]\d)?\b".to_string(),
            // 03/03/2024, 14.03.2024, 2/27/24.
            r"\b\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})\b".to_string(),
            // Clock time with colon, optional seconds, am/pm, Uhr, h.
            format!(r"\b(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:{ampm}|\s?(?i:uhr|h)\b)?(?:\s?[-–]\s?(?:[01]?\d|2[0-3])(?::[0-5]\d)?(?:{ampm})?)?"),
            // 6am, 2:30pm, ranges 6am–8am, 2-5pm, 9-11am.
            format!(r"\b(?:1[0-2]|0?[1-9])(?:[:.][0-5]\d)?(?:{ampm})?\s?[-–]\s?(?:1[0-2]|0?[1-9])(?:[:.][0-5]\d)?{ampm}\b"),
            format!(r"\b(?:1[0-2]|0?[1-9])(?:[:.][0-5]\d)?{ampm}\b"),
            // German "19 Uhr", "um 7 Uhr", "7:00 Uhr" (the colon form is caught above);
            // the span keeps its preposition, as "a las 10" does.
            r"\b(?:(?i:um|gegen|ab|bis|vor|nach|seit)\s+)?(?:[01]?\d|2[0-3])(?:[.:][0-5]\d)?\s?(?i:uhr)\b".to_string(),
            // 3 March, 3rd of March 2024, Tuesday 5 March, Thu 7 Mar.
            format!(r"\b(?:(?:{WEEKDAYS_EN}),?\s+(?:the\s+)?)?{day}{ORD}?(?:\s+of)?\s+(?:{MONTHS_EN})(?:,?\s+{year})?\b"),
            // March 3rd, March 14, Friday March 15, March 2-9.
            format!(r"\b(?:(?:{WEEKDAYS_EN}),?\s+)?(?:{MONTHS_EN_CAP})\s+(?:the\s+)?{day}{ORD}?(?:\s?[-–]\s?{day}{ORD}?)?(?:,?\s+{year})?\b"),
            // Friday 22nd, thurs 14th, Friday the 22nd, Sat 9/3.
            format!(r"\b(?:{WEEKDAYS_EN}),?\s+(?:the\s+)?(?:{day}{ORD}|{day}/\d{{1,2}})\b"),
            // Spanish: 7 de marzo (de 2024), jueves 21 de marzo, viernes 15.
            format!(r"(?i)\b(?:(?:{WEEKDAYS_ES}),?\s+)?{day}\s+de\s+(?:{MONTHS_ES})(?:\s+del?\s+\d{{4}})?\b"),
            format!(r"(?i)\b(?:{WEEKDAYS_ES})\s+{day}\b"),
            // French and Italian weekday and day number: "samedi 29", "lundi 1er", "sabato 6".
            format!(r"(?i)\b(?:{WEEKDAYS_FR}|lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica)\s+(?:1er|{day})\b"),
            // German: (am) 3. März (2024), Samstag, 9. März.
            format!(r"\b(?:(?:{WEEKDAYS_DE}),?\s+)?(?:(?i:am|vom|bis zum|zum)\s+)?{day}\.\s?(?:{MONTHS_DE})(?:\s+\d{{4}})?\b"),
            // French: (le) 5 mars (2024), mardi 19 mars, 1er mai.
            format!(r"(?i)\b(?:(?:{WEEKDAYS_FR})\s+)?(?:1er|premier|{day})\s+(?:{MONTHS_FR})(?:\s+\d{{4}})?\b"),
            // Italian: 25 aprile (2024).
            format!(r"(?i)\b(?:primo|{day}[°º]?)\s+(?:{MONTHS_IT})(?:\s+\d{{4}})?\b"),
            // Ordinal words: the first of May, primero de mayo.
            format!(r"(?i)\b(?:(?:twenty|thirty)[-\s])?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)\s+of\s+(?:{MONTHS_EN})\b"),
            format!(r"(?i)\bprimero\s+de\s+(?:{MONTHS_ES})\b"),
            // German day and month in digits after "den"/"am"/a weekday: "am Dienstag den
            // 4.3.", "vom 12.5." ("Punkt 1.2." has neither).
            format!(r"\b(?:(?i:den|am|vom|zum|ab|seit|bis\s+zum)\s+|(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag|Mo|Di|Mi|Do|Fr|Sa|So)\.?,?\s+(?:den\s+)?){day}\.(?:0?[1-9]|1[0-2])\."),
            // Spanish clock: a las 10, sobre las 6:20, a las 8 de la mañana.
            r"(?i)\b(?:a|sobre|desde|hasta|hacia|de)\s+las?\s+(?:[01]?\d|2[0-3])(?:[:.h][0-5]\d|h)?(?:\s+(?:de\s+la\s+(?:mañana|tarde|noche|madrugada)|en\s+punto))?\b".to_string(),
        ];
        DateTime {
            always: always.iter().filter_map(|p| compile(p)).collect(),
            dotted_time: compile(r"\b(?:[01]?\d|2[0-3])\.[0-5]\d\b"),
            h_time: compile(r"\b(?:[01]?\d|2[0-3])h(?:[0-5]\d)?\b"),
            numeric_short: compile(&format!(r"\b{day}/(?:0?[1-9]|1[0-2])\b")),
            bare_hour: compile(r"\b(?:1[0-2]|0?[1-9])(?:-?ish)?\b"),
            ordinal_alone: compile(&format!(
                r"(?i)\b(?:by|on|until|till|before|after|from|to|for|since)\s+(the\s+{day}{ORD})\b"
            )),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        for re in &self.always {
            for m in re.find_iter(text) {
                // The span keeps a Spanish "a las": it is part of the time expression.
                let (start, end) = (m.start(), m.end());
                if numeric_ok(text, start, end) && !german_am(text, m.as_str(), end) {
                    push(out, Kind::DateTime, text, start, end);
                }
            }
        }
        // "10.30" is a time only with a time word before it or am/pm after;
        // otherwise it is a price, a decimal or a version.
        // A log whose lines start with clock times: "10.25 case called" is one of them.
        let log = time_led_lines(text) >= 2;
        if let Some(re) = &self.dotted_time {
            for m in re.find_iter(text) {
                let log_line = log && line_start(text, m.start());
                if numeric_ok(text, m.start(), m.end())
                    && (time_context(text, m.start()) || log_line)
                {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        // "18h30" always; "19h" only after "à", "dès", "a las" etc., since
        // "24h" and "12h" are also durations.
        if let Some(re) = &self.h_time {
            for m in re.find_iter(text) {
                let with_minutes = m.as_str().len() > m.as_str().find('h').unwrap_or(0) + 1;
                if numeric_ok(text, m.start(), m.end())
                    && (with_minutes || time_context(text, m.start()))
                {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        // "13/03" or "9/3" after a weekday; "1/2" and "24/7" are not dates.
        if let Some(re) = &self.numeric_short {
            for m in re.find_iter(text) {
                let two_digit_month = m.as_str().split('/').nth(1).is_some_and(|p| p.len() == 2);
                if numeric_ok(text, m.start(), m.end()) && two_digit_month {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.bare_hour {
            for m in re.find_iter(text) {
                if bare_hour_ok(text, m.start(), m.end()) {
                    // The span keeps its preposition ("at 8"), as the clock forms do, so
                    // "tonight at 8" is not left with a dangling "at".
                    push(
                        out,
                        Kind::DateTime,
                        text,
                        with_preposition(text, m.start()),
                        m.end(),
                    );
                }
            }
        }
        if let Some(re) = &self.ordinal_alone {
            for caps in re.captures_iter(text) {
                if let Some(m) = caps.get(1) {
                    let quantity = next_word(text, m.end())
                        .is_some_and(|w| ORDINAL_NOUNS.contains(&w.as_str()))
                        || ordinal_range_of_nouns(text, m.end());
                    let glued = char_at(text, m.end()).is_some_and(char::is_alphanumeric);
                    if !quantity && !glued {
                        push(out, Kind::DateTime, text, m.start(), m.end());
                    }
                }
            }
        }
    }
}

/// "the 8th to 11th floors": the first ordinal of a range of ranks.
fn ordinal_range_of_nouns(text: &str, end: usize) -> bool {
    let rest = text.get(end..).unwrap_or("").to_lowercase();
    let rest = rest.trim_start();
    let Some(after_joiner) = ["to ", "and ", "-", "–"]
        .iter()
        .find_map(|j| rest.strip_prefix(j))
    else {
        return false;
    };
    let after_joiner = after_joiner.trim_start();
    let digits = after_joiner
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    if digits == 0 {
        return false;
    }
    let noun = next_word(after_joiner, digits + 2).unwrap_or_default();
    let noun = noun.strip_suffix('s').unwrap_or(&noun);
    ORDINAL_NOUNS.contains(&noun) || ORDINAL_NOUNS.contains(&format!("{noun}s").as_str())
}

/// Lines that start (after a list mark) with a colon time: "08:50 arrived".
fn time_led_lines(text: &str) -> usize {
    text.lines()
        .filter(|l| {
            let l = l.trim_start_matches([' ', '\t', '-', '*', '•', '[']);
            let digits = l.chars().take_while(char::is_ascii_digit).count();
            (1..=2).contains(&digits)
                && l[digits..].starts_with(':')
                && l[digits + 1..].chars().take(2).all(|c| c.is_ascii_digit())
        })
        .take(2)
        .count()
}

/// Whether `start` begins its line, after spaces or a list mark.
fn line_start(text: &str, start: usize) -> bool {
    let head = before(text, start, 8);
    match head.rfind('\n') {
        Some(i) => head[i + 1..]
            .chars()
            .all(|c| matches!(c, ' ' | '\t' | '-' | '*' | '•' | '[')),
        None => {
            head.len() < 8
                && head
                    .chars()
                    .all(|c| matches!(c, ' ' | '\t' | '-' | '*' | '•'))
        }
    }
}

/// "um 9 am Bahnhof": German "am" (at the), not ante meridiem.
fn german_am(text: &str, found: &str, end: usize) -> bool {
    let spaced_am = found.len() > 3 && (found.ends_with(" am") || found.ends_with(" Am"));
    spaced_am
        && text.get(end..).is_some_and(|r| {
            r.strip_prefix(' ')
                .is_some_and(|w| w.starts_with(char::is_uppercase))
        })
}

/// Rejects matches glued to other digits, decimals, versions or money.
pub(crate) fn numeric_ok(text: &str, start: usize, end: usize) -> bool {
    // Round 17: a comma after a word separates the fields of a CSV row ("car park,06:15").
    let csv_comma = crate::util::csv_comma_before(text, start);
    let left_bad = !csv_comma
        && char_before(text, start).is_some_and(|c| {
            c.is_ascii_digit()
                || matches!(c, '.' | ',' | '/' | '£' | '$' | '€' | 'v' | 'V' | ':' | '-')
        });
    let right_bad = char_at(text, end)
        .is_some_and(|c| c.is_ascii_digit() || matches!(c, '%' | '€' | '$' | '£'))
        || text.get(end..).is_some_and(|r| {
            // "06:15,3" in a CSV row: a colon time has no decimals to continue into.
            let colon_time = text.get(start..end).is_some_and(|m| m.contains(':'));
            (r.starts_with('.') || (r.starts_with(',') && !colon_time) || r.starts_with(':'))
                && r[1..].starts_with(|c: char| c.is_ascii_digit())
        });
    let money_after = text
        .get(end..)
        .is_some_and(|r| r.trim_start().starts_with(['€', '$', '£']));
    !left_bad && !right_bad && !money_after
}

fn time_context(text: &str, start: usize) -> bool {
    let window = before(text, start, 24).to_lowercase();
    let words: Vec<&str> = window
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let last_two = &words[words.len().saturating_sub(2)..];
    last_two.iter().any(|w| {
        matches!(
            *w,
            "at" | "by"
                | "from"
                | "until"
                | "till"
                | "til"
                | "around"
                | "about"
                | "like"
                | "before"
                | "after"
                | "à"
                | "a"
                | "dès"
                | "des"
                | "vers"
                | "las"
                | "la"
                | "um"
                | "ab"
                | "bis"
                | "gegen"
                | "alle"
                | "ore"
                | "desde"
                | "hasta"
                | "sobre"
                | "jusqu"
                | "partir"
                | "approx"
                | "ca"
                | "time"
                | "starts"
                | "start"
                | "opens"
                | "closes"
        )
    })
}

/// The start of the word right before `start` (the preposition `bare_hour_ok` checked).
fn with_preposition(text: &str, start: usize) -> usize {
    let head = before(text, start, 12);
    let trimmed = head.trim_end();
    let word: usize = trimmed
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .map(char::len_utf8)
        .sum();
    if word == 0 {
        start
    } else {
        start - head.len() + trimmed.len() - word
    }
}

fn bare_hour_ok(text: &str, start: usize, end: usize) -> bool {
    if !numeric_ok(text, start, end) {
        return false;
    }
    // "at 6ish", "by 9-ish": the hedge is part of the time.
    let hedge = text.get(start..end).is_some_and(|m| m.ends_with("ish"));
    // Directly followed by ':', '.', 'h', am/pm etc. is handled elsewhere;
    // here the number must stand alone.
    if char_at(text, end).is_some_and(|c| {
        c.is_alphanumeric() || matches!(c, '-' | '–' | '/' | '\'' | '’' | 'x' | '×')
    }) {
        return false;
    }
    let prev = prev_word(text, start);
    let prev = if matches!(prev.as_str(), "about" | "around" | "like") {
        // "until about 9": look one word further back.
        let back = before(text, start, 40);
        let trimmed = back.trim_end();
        let without_last = trimmed
            .trim_end_matches(|c: char| c.is_alphabetic())
            .trim_end();
        let earlier = prev_word(without_last, without_last.len());
        if BARE_HOUR_PREPS.contains(&earlier.as_str()) {
            earlier
        } else {
            prev
        }
    } else {
        prev
    };
    if !BARE_HOUR_PREPS.contains(&prev.as_str()) {
        return false;
    }
    // The preposition must be right before the number (allowing spaces),
    // not somewhere across punctuation.
    let gap = before(text, start, 12).trim_end();
    if !gap.ends_with(|c: char| c.is_alphabetic()) {
        return false;
    }
    // "about 1 in 4 meetings": a ratio.
    let rest = text.get(end..).unwrap_or("");
    if rest
        .strip_prefix(" in ")
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    {
        return false;
    }
    if hedge {
        return true;
    }
    // End of text, a line end or punctuation next: "by 12." is a time.
    if crate::util::phrase_ends(text, end) {
        return true;
    }
    match next_word(text, end) {
        None => false,
        // "At 11 a senior officer came down", but "at 5 a week" is a rate.
        Some(w) if matches!(w.as_str(), "a" | "an") => {
            let after_article = text.get(end..).unwrap_or("").trim_start();
            let noun = next_word(after_article, w.len());
            !noun.is_some_and(|n| RATE_NOUNS.contains(&n.as_str()))
        }
        Some(w) => AFTER_BARE_HOUR.contains(&w.as_str()),
    }
}

//! Times that lead the lines of a log (round 13 of issue 13).
//!
//! Observer logs, radio logs and chat copies open most lines with a time. In such a text
//! a line that opens with an hour in words is a time too, though no time word follows it
//! ("siete menos diez Carga breve…", "kurz nach sechs Pfefferspray…", "le quattro e mezza
//! Cariche…"): elsewhere `time_phrases` refuses an hour word followed by a noun, since it
//! is then as often a count. And a leading "14 h 50" keeps its minutes when an address
//! detector took them for a house number ("14 h 50 Boulevard du Temple").
//!
//! A text is a log when at least two of its lines open with a clock time.

use regex::Regex;

use super::push;
use super::time_phrases::{APPROXIMATORS, HOUR_WORDS};
use crate::util::compile;
use crate::{Finding, Kind};

/// Lines that open with a clock time before the text counts as a log.
const MIN_LOG_LINES: usize = 2;

#[derive(Debug)]
pub(crate) struct LogLines {
    /// A clock time at the start of a line: "14:06", "9.40", "14 h 50", "7h45".
    clock: Option<Regex>,
    /// An hour in words at the start of a line, with its approximator and its fraction.
    hour_words: Option<Regex>,
}

impl LogLines {
    pub(crate) fn new() -> LogLines {
        LogLines {
            clock: compile(
                r"^[ \t]*(?:[-*•][ \t]*)?\[?((?:[01]?\d|2[0-3])(?:[:.]|[ \t]?h[ \t]?)[0-5]\d)\b",
            ),
            hour_words: compile(&format!(
                r"(?i)^[ \t]*(?:[-*•][ \t]*)?((?:(?:{APPROXIMATORS})[ \t]+)?(?:(?:le|las|la|the|alle|vers|um|gegen|verso|sobre)[ \t]+)?(?:{HOUR_WORDS}|treize|quatorze|quinze|seize|dix-sept|dix-huit|dix-neuf|vingt|trece|catorce|quince|tredici|quattordici|quindici|sedici)(?:[ \t]+(?:heures?|uhr|ore|horas|o['’]clock))?(?:[ \t]+(?:et|e|y|and|menos|moins|meno)[ \t]+(?:le[ \t]+|un[ \t]+)?(?:quart|quarto|demie?|mezza|mezzo|cuarto|media|cinq|dix|vingt|cinco|diez|veinte|cinque|dieci|venti|half|a[ \t]+quarter))?)\b",
            )),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        let (Some(clock), Some(hour_words)) = (&self.clock, &self.hour_words) else {
            return;
        };
        let lines: Vec<(usize, &str)> = line_starts(text);
        let logged = lines.iter().filter(|(_, l)| clock.is_match(l)).count();
        if logged < MIN_LOG_LINES {
            return;
        }
        for &(at, line) in &lines {
            if let Some(m) = clock.captures(line).and_then(|c| c.get(1)) {
                let (start, end) = (at + m.start(), at + m.end());
                trim_addresses_over(out, text, start, end);
                push(out, Kind::DateTime, text, start, end);
            } else if let Some(m) = hour_words
                .captures(line)
                .and_then(|c| c.get(1))
                // A bare hour word is as often a count ("sechs Leute"); with its
                // approximator, article, unit or fraction it is a time.
                .filter(|m| m.as_str().split_whitespace().count() >= 2)
            {
                push(out, Kind::DateTime, text, at + m.start(), at + m.end());
            }
        }
    }
}

/// Each line with the byte offset it starts at.
fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut at = 0;
    text.split_inclusive('\n')
        .map(|l| {
            let start = at;
            at += l.len();
            (start, l.trim_end_matches(['\n', '\r']))
        })
        .collect()
}

/// An address that starts inside the leading time starts after it instead.
fn trim_addresses_over(out: &mut [Finding], text: &str, start: usize, end: usize) {
    for f in out
        .iter_mut()
        .filter(|f| f.kind == Kind::Address && f.start >= start && f.start < end && f.end > end)
    {
        let rest = &text[end..f.end];
        let new_start = f.end - rest.trim_start().len();
        if let Some(t) = text.get(new_start..f.end) {
            f.start = new_start;
            f.text = t.to_owned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        LogLines::new().find(text, &mut out);
        out.into_iter()
            .filter(|f| f.kind == Kind::DateTime)
            .map(|f| f.text)
            .collect()
    }

    #[test]
    fn hour_words_lead_a_log_line() {
        let log = "14:06 Gruppe am Platz\nkurz nach sechs Pfefferspray am Haus\n14:40 Abzug";
        assert_eq!(times(log), ["14:06", "kurz nach sechs", "14:40"]);
        let log = "9:05 salida\nsiete menos diez Carga breve\n9:40 fin";
        assert!(times(log).contains(&"siete menos diez".to_owned()));
    }

    #[test]
    fn outside_a_log_an_hour_word_is_left_alone() {
        assert!(times("sechs Leute kamen\nzwei gingen").is_empty());
        assert_eq!(times("9:05 salida\ndos coches\n9:40 fin"), ["9:05", "9:40"]);
        // One timed line is not a log (its time is the clock detector's, not this one's).
        assert!(times("14:06 start\nkurz nach sechs Leute").is_empty());
    }
}

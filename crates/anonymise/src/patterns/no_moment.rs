//! Time findings that name no moment of anyone's (round 13 of issue 13): set 12's false
//! times were of two families.
//!
//! * A date in a past century: "le parcours suivait celui du 5 décembre 1995", "die
//!   Demo vom 1. Mai 1987" recall history, not when someone will be where. A date of
//!   birth is still a detail ("born 3 May 1961", "né le …", "geboren am …"), and so is
//!   "Dec 18, 1900 CET", which is a military time with its zone.
//! * Minutes and seconds before "min" ("3:42 min", round 17): a recording's length.
//! * A weekday that recurs, with no hour: "ogni mercoledì pomeriggio", "un samedi matin
//!   par mois", "every Tuesday": opening times, which a flyer is meant to publish. With an
//!   hour ("Ogni mercoledì dalle 17 alle 19:30") the finding has a digit and stays.

use std::sync::LazyLock;

use regex::Regex;

use super::FULL_WEEKDAYS;
use crate::util::{after, before, compile};
use crate::{Finding, Kind};

/// A date that ends in a year of the twentieth century.
static PAST_DATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)\b(?:[12]?\d|3[01])(?:\.|er|st|nd|rd|th)?[ \t]+(?:de[ \t]+)?\p{L}{3,}\.?,?[ \t]+(?:de[ \t]+|del[ \t]+)?19\d\d$|\p{L}{3,}\.?[ \t]+(?:[12]?\d|3[01]),?[ \t]+19\d\d$",
    )
});

/// Words of birth before a date, in the five languages.
static BIRTH: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)\b(?:born|birth|d\.?o\.?b|née?|naissance|nacid[oa]|nacimiento|geboren|geb\.|nat[oa]|nascita)\b",
    )
});

/// A time zone or hours mark after the year: then "1900" is an hour.
static ZONE_AFTER: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"^[ \t]*(?:[A-Z]{3,4}\b|h\b|hrs?\b|hours\b|Uhr\b)"));

/// A recurring weekday with no hour: the weekday (plural too) and a part of the day.
static RECURRING_DAY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)^(?:{FULL_WEEKDAYS})s?(?:[ \t]+(?:morning|afternoon|evening|night|matin|après-midi|soir|por[ \t]+la[ \t]+(?:mañana|tarde|noche)|mattina|pomeriggio|sera|morgen|vormittag|nachmittag|abend))?$"
    ))
});

/// Words before a weekday that make it recur.
static EVERY_BEFORE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)\b(?:every|each|cada|todos[ \t]+los|chaque|tous[ \t]+les|ogni|tutti[ \t]+i|jeden|jede|alle)[ \t]+$",
    )
});

/// "un samedi matin par mois": one weekday a month.
static ONE_A_MONTH: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"(?i)(?:\b(?:un|une|una|uno|ein|einen|one)[ \t]+$)"));
static A_MONTH_AFTER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)^[ \t]+(?:par[ \t]+mois|al[ \t]+mes|al[ \t]+mese|im[ \t]+monat|a[ \t]+month|por[ \t]+mes|sur[ \t]+deux)\b",
    )
});

/// Drops the time findings that name no moment (see the module docs).
pub(crate) fn drop_no_moment(text: &str, findings: &mut Vec<Finding>) {
    findings.retain(|f| {
        f.kind != Kind::DateTime
            || !(past_date(text, f) || recurring(text, f) || length_in_minutes(text, f))
    });
}

/// Round 18: drops the time candidates that end inside a hyphenated word: "6. Jan-Ole
/// Brinkmann" in a numbered list is a person, not "6. Jan". Run before overlaps are
/// settled, so that the name is not lost to the date.
pub(crate) fn drop_cut_words(text: &str, candidates: &mut Vec<Finding>) {
    candidates.retain(|f| {
        let cut = f.text.ends_with(char::is_alphabetic) && {
            let mut tail = after(text, f.end, 8).chars();
            tail.next() == Some('-') && tail.next().is_some_and(char::is_alphabetic)
        };
        f.kind != Kind::DateTime || !cut
    });
}

/// Round 17: "3:42 min", "0:48 Min.", "1:05 minutes": the length of a voice note or a
/// track, minutes and seconds, not a clock time.
static MINUTES_AFTER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(r"(?i)^[ \t]*(?:min\b|mins\b|minutes?\b|minuten?\b|minuti\b|minutos\b|sec\b|secs\b)")
});

fn length_in_minutes(text: &str, f: &Finding) -> bool {
    let clock = f.text.len() <= 5
        && f.text.split_once(':').is_some_and(|(m, s)| {
            !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()) && s.len() == 2
        });
    clock && matches(&MINUTES_AFTER, after(text, f.end, 12))
}

fn matches(re: &LazyLock<Option<Regex>>, s: &str) -> bool {
    re.as_ref().is_some_and(|re| re.is_match(s))
}

fn past_date(text: &str, f: &Finding) -> bool {
    matches(&PAST_DATE, &f.text)
        && !matches(&BIRTH, before(text, f.start, 40))
        && !matches(&ZONE_AFTER, after(text, f.end, 8))
}

fn recurring(text: &str, f: &Finding) -> bool {
    if !matches(&RECURRING_DAY, f.text.trim()) {
        return false;
    }
    let head = before(text, f.start, 24);
    matches(&EVERY_BEFORE, head)
        || (matches(&ONE_A_MONTH, head) && matches(&A_MONTH_AFTER, after(text, f.end, 16)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(text: &str, part: &str) -> bool {
        let start = text.find(part).unwrap_or(0);
        let mut found = vec![Finding {
            kind: Kind::DateTime,
            start,
            end: start + part.len(),
            text: part.to_owned(),
        }];
        drop_no_moment(text, &mut found);
        !found.is_empty()
    }

    #[test]
    fn history_is_no_moment_but_a_birthday_is() {
        assert!(!kept("le parcours du 5 décembre 1995 ;", "5 décembre 1995"));
        assert!(!kept("die Demo vom 1. Mai 1987 war", "1. Mai 1987"));
        assert!(kept("she was born 3 May 1961 in Leeds", "3 May 1961"));
        assert!(kept("Call again Dec 18, 1900 CET", "Dec 18, 1900"));
        assert!(kept("hearing on 5 December 2025", "5 December 2025"));
    }

    #[test]
    fn opening_days_are_no_moment_but_a_day_with_an_hour_is() {
        assert!(!kept(
            "aperto ogni mercoledì pomeriggio nella sala",
            "mercoledì pomeriggio"
        ));
        assert!(!kept("un samedi matin par mois. Bus", "samedi matin"));
        assert!(kept("on se voit samedi matin devant", "samedi matin"));
        assert!(kept("un samedi matin, la police", "samedi matin"));
    }
}

//! Telephone numbers.
//!
//! A loose pattern finds runs of digit groups joined by spaces, dashes, dots,
//! slashes or parentheses; [`validate`] then decides from the digit count,
//! the prefix and the grouping whether the run is a plausible number in one
//! of the supported numbering plans (international `+CC`/`00CC`, and national
//! UK, US, DE, FR, ES, NL, IT). Everything else (prices, years, amounts,
//! dates, IPs, ISBNs, version numbers, company numbers) is rejected.

use regex::Regex;

use super::push;
use crate::util::{after, before, char_at, char_before, compile};
use crate::{Finding, Kind};

#[derive(Debug)]
pub(crate) struct Phone {
    candidate: Option<Regex>,
}

impl Phone {
    pub(crate) fn new() -> Phone {
        Phone {
            // group := optional "(0)"/"(312)"/"(01476)" then 1-11 digits;
            // separator := space, or one of - . / with optional spaces.
            candidate: compile(
                r"(?:\+|\b00)?\s?(?:\(\d{1,5}\)\s?)?\d{1,11}(?:(?:[ \u{a0}]?[\-./][ \u{a0}]?|[ \u{a0}])(?:\(\d{1,5}\)\s?)?\d{1,11}){0,7}",
            ),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        let Some(re) = &self.candidate else {
            return;
        };
        for m in re.find_iter(text) {
            let start = m.start() + (m.as_str().len() - m.as_str().trim_start().len());
            if !left_ok(text, start) {
                continue;
            }
            // The loose pattern may swallow a following unrelated number
            // ("call 07700 900412 2 times"); retry with fewer groups.
            let mut end = m.end();
            for _ in 0..3 {
                let Some(cand) = text.get(start..end) else {
                    break;
                };
                // "0700-0830. 16 guests": a sentence end is not a group separator.
                let across_sentence = cand.contains(". ") || cand.contains(".\n");
                if !across_sentence && right_ok(text, end) && validate(text, start, cand) {
                    push(out, Kind::Phone, text, start, end);
                    break;
                }
                match cand.rfind([' ', '-', '.', '/', '\u{a0}']) {
                    Some(cut) if cut > 0 => {
                        end = start
                            + cand[..cut]
                                .trim_end_matches([' ', '-', '.', '/', '\u{a0}'])
                                .len();
                    }
                    _ => break,
                }
            }
        }
    }
}

fn left_ok(text: &str, start: usize) -> bool {
    match char_before(text, start) {
        None => true,
        // Part of a word, a bigger number, an amount or a version.
        // Round 17: a comma after a word is a CSV field separator ("car park,07700 …").
        Some(',') => crate::util::csv_comma_before(text, start),
        Some(c)
            if c.is_alphanumeric()
                || matches!(c, '.' | '/' | ':' | '£' | '$' | '€' | '#' | '_') =>
        {
            false
        }
        Some('-') => {
            // "-0.1278" (a coordinate) or "x-123"; a dash after a space is fine.
            char_before(text, start - 1).is_some_and(|c| c.is_whitespace())
        }
        Some(_) => true,
    }
}

fn right_ok(text: &str, end: usize) -> bool {
    match char_at(text, end) {
        None => true,
        Some(c) if c.is_alphanumeric() || matches!(c, '%' | '€' | '$' | '£' | '°' | '_') => {
            false
        }
        // "07700 900.5" or "12:30" – continues as a decimal or time.
        Some('.' | ',' | ':') => !text
            .get(end + 1..)
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())),
        Some(_) => true,
    }
}

/// Words right after a number that make it money or a quantity.
fn money_after(text: &str, end: usize) -> bool {
    let rest = after(text, end, 12).trim_start().to_lowercase();
    [
        "€", "$", "£", "eur", "euro", "usd", "gbp", "pounds", "dollars", "kg", "km", "mb", "gb",
    ]
    .iter()
    .any(|w| rest.starts_with(w))
}

fn money_before(text: &str, start: usize) -> bool {
    let prev = before(text, start, 6).trim_end();
    prev.ends_with(['€', '$', '£']) || prev.to_lowercase().ends_with("eur")
}

/// Whether the number ends its line after a name: the rest of the line is blank and the
/// line before the number ends in a capitalised word (a name) or a bracket.
fn contact_row(text: &str, start: usize, end: usize) -> bool {
    let rest = text.get(end..).unwrap_or("");
    let line_rest = rest.split('\n').next().unwrap_or("");
    let head = text.get(..start).unwrap_or("");
    let line_head = head.rsplit('\n').next().unwrap_or("").trim_end();
    let last_word = line_head.rsplit(char::is_whitespace).next().unwrap_or("");
    line_rest.trim().is_empty()
        && (last_word.ends_with(')') || last_word.starts_with(char::is_uppercase))
        && last_word.chars().any(char::is_alphabetic)
}

/// Words just before a short number that show it is a phone number.
fn phone_context(text: &str, start: usize) -> bool {
    let prev = before(text, start, 30).to_lowercase();
    [
        "call",
        "text",
        "phone",
        "tel",
        "ring",
        "number",
        "mobile",
        "cell",
        "whatsapp",
        "sms",
        "contact",
        "fax",
        "móvil",
        "movil",
        "teléfono",
        "telefono",
        "telefon",
        "handy",
        "téléphone",
        "portable",
        // "helpline", "emergency line", and the number word in the other languages.
        "line",
        "número",
        "numéro",
        "nummer",
        "numero",
        "tfno",
        // Round 17c: calling verbs of es, fr, it, de ("llamó del 4931-0268").
        "llam",
        "appel",
        "chiam",
        "anruf",
    ]
    .iter()
    .any(|w| prev.contains(w))
}

fn validate(text: &str, start: usize, cand: &str) -> bool {
    let digits: String = cand.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len();
    if !(7..=15).contains(&n) {
        return false;
    }
    let groups: Vec<&str> = cand
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let separated = groups.len() > 1;
    let seps: String = cand
        .chars()
        .filter(|c| !c.is_ascii_digit() && *c != ' ')
        .collect();
    // Dates (14.03.2024, 2024-03-03, 2/27/2024) and dotted quads are other kinds.
    if looks_like_date_or_ip(&groups, &seps) {
        return false;
    }
    if money_before(text, start) || money_after(text, start + cand.len()) {
        return false;
    }
    // ISBN-13 and ISBN-10 shapes.
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let isbn13 = n == 13 && (digits.starts_with("978") || digits.starts_with("979"));
    let isbn10 =
        n == 10 && seps.chars().all(|c| c == '-') && lens.len() == 4 && lens.last() == Some(&1);
    if isbn13 || isbn10 {
        return false;
    }
    if cand.starts_with('+') {
        // Country code must be 1-3 digits and the rest plausible; round 15: the code
        // may be written joined to the area code ("+44118 4960548") when the number
        // has the length of a full international number.
        return (8..=15).contains(&n)
            && lens
                .first()
                .is_some_and(|&l| l <= 3 || !separated || (l <= 6 && (10..=13).contains(&n)));
    }
    if digits.starts_with("00") {
        return (11..=15).contains(&n) && separated;
    }
    if digits.starts_with('0') {
        // National trunk prefix (UK, DE, FR, NL, IT, …): 10-11 digits, or 9
        // when written in groups (short German/Italian area codes). Unbroken
        // runs of 8 or fewer are company or reference numbers.
        // German mobiles (0151 23456789) reach 12 digits.
        return (10..=11).contains(&n) || ((n == 9 || n == 12) && separated);
    }
    if !separated {
        // Round 17: an Italian mobile written without spaces in a field of a CSV export
        // or after a phone word ("desk;3402219087;", "cell 3471234567").
        let field = |c: Option<char>| {
            c.is_none_or(|c| matches!(c, ';' | ',' | '\t' | '|' | '(' | ')' | '\n' | '\r'))
        };
        return n == 10
            && digits.starts_with('3')
            && (phone_context(text, start)
                || (field(char_before(text, start)) && field(char_at(text, start + cand.len()))));
    }
    match (n, lens.as_slice()) {
        // Round 18: Latin American numbers with the area code in brackets and the
        // subscriber number in two groups ("(2) 2946 7180" Santiago, "(55) 2907 6614"
        // Mexico City, "(11) 4931-0268" Buenos Aires, "(11) 98765-4321" São Paulo).
        (9..=11, [1..=3, 4 | 5, 4]) if cand.trim_start().starts_with('(') => {
            !digits.starts_with('0')
        }
        // Round 18: Chilean mobiles, a 9 and two groups of four ("9 8877 0123").
        (9, [1, 4, 4]) => digits.starts_with('9') && seps.is_empty(),
        // Round 17: Mexico, two-digit area code and eight digits ("55 2109 8476", "33 1234
        // 5678"), in spaces.
        (10, [2, 4, 4]) => {
            let years = groups[1..]
                .iter()
                .all(|g| g.starts_with("19") || g.starts_with("20"));
            // Round 17c: Buenos Aires "11 3059-0147" and the old mobile "15-6021-3344".
            seps.chars().all(|c| c == '-') && !digits.starts_with('0') && !years
        }
        // US/Canada: (312) 555-0147, 773-555-0199, 312.555.0147, 1-800-555-0199.
        (10, [3, 3, 4]) => digits.starts_with(|c: char| ('2'..='9').contains(&c)),
        (11, [1, 3, 3, 4]) => digits.starts_with('1'),
        // Spain: 612 345 678, 91 123 45 67, 612 34 56 78 (mobiles 6/7, landlines 8/9);
        // round 12: the prefix apart from the rest, 655-210489.
        (9, [3, 3, 3] | [2, 3, 2, 2] | [3, 2, 2, 2] | [3, 3, 2, 1] | [3, 6]) => {
            digits.starts_with(['6', '7', '8', '9'])
        }
        // Italy mobiles: 333 123 4567, 333 1234567.
        (10, [3, 7] | [3, 4, 3]) => digits.starts_with('3'),
        // Round 15: Spanish numbers (9 digits, 6-9 first) and Italian mobiles (10 digits,
        // 3 first) in any grouping of two to four groups of at least two digits
        // ("6123 45678", "3471 234567"), joined by spaces, dashes or dots only.
        (9, _) | (10, _)
            if (2..=4).contains(&lens.len())
                && lens.iter().all(|&l| l >= 2)
                && seps.chars().all(|c| matches!(c, '-' | '.'))
                && ((n == 9 && digits.starts_with(['6', '7', '8', '9']))
                    || (n == 10 && digits.starts_with('3'))) =>
        {
            true
        }
        // US local seven digits "555-0123" only with a phone word nearby.
        // Round 17: or ending a row of a contact list ("  Luz        555-0142", "Pav
        // (Pavel) 555.0163"), dots allowed there.
        // Round 17c: an eight-digit local number with a dash after a phone word ("llamó del
        // 4931-0268").
        (8, [4, 4]) => seps == "-" && phone_context(text, start),
        (7, [3, 4]) => {
            (seps == "-" && phone_context(text, start))
                || ((seps == "-" || seps == ".") && contact_row(text, start, start + cand.len()))
        }
        _ => false,
    }
}

fn looks_like_date_or_ip(groups: &[&str], seps: &str) -> bool {
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let only = |c: char| !seps.is_empty() && seps.chars().all(|s| s == c);
    let date = matches!(lens.as_slice(), [1 | 2, 1 | 2, 2 | 4] | [4, 1 | 2, 1 | 2])
        && (only('.') || only('/') || only('-'));
    let ip = lens.len() == 4 && lens.iter().all(|&l| l <= 3) && only('.');
    date || ip
}

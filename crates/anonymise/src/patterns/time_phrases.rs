//! Spoken and approximate time phrases (round 12 of issue 13), the families behind the
//! times sets 10 and 11 missed, in all five languages:
//!
//! * an hour in words after an approximator: "gone eleven", "kurz nach sieben", "ab
//!   drei", "poco prima delle dieci", "peu après huit";
//! * afternoon and evening hours in words with their unit: "quatorze heures", "achtzehn
//!   Uhr", "alle diciotto", "a las diecinueve";
//! * "6ish", "0730ish";
//! * a weekday with what says which week: "lunes siguiente", "Friday week";
//! * a relative day and a part of it: "tomorrow morning", "demain soir";
//! * a day of the month without its month after a word that makes it a date: "by the
//!   20th", "depuis le 12", "per le 15" (Italian hours);
//! * a holiday that names one day, after a preposition: "on Christmas Eve", "am
//!   Heiligabend";
//!
//! and, around time findings the other detectors made, the words that belong to them:
//! a weekday (also "Tues") or a part of the day before with approximators in between
//! ("Friday just before 5", "early afternoon, around 1", "lundi entre 8 h et midi"), and
//! after them an approximation ("y pico", "passées", "-ish") or the fraction of a noon
//! word ("vers midi et demi", "minuit moins le quart").
//!
//! What keeps prose clean is the same as in `clock.rs`: a number or an hour word needs a
//! time word with it, and a word after it that makes it a quantity ("after seven years",
//! "ab drei Personen", "le 15 persone") refuses it.

use regex::Regex;

use super::{push, FULL_WEEKDAYS};
use crate::util::{before, compile, next_word, phrase_ends};
use crate::{Finding, Kind};

/// Hours one to twelve in words ("one", "una", "une", "uno" are left out: after "before"
/// or "ab" they are as often a pronoun or a count).
pub(crate) const HOUR_WORDS: &str = "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|deux|trois|quatre|cinq|sept|huit|neuf|dix|onze|douze|due|tre|quattro|sei|sette|otto|nove|dieci|undici|dodici|eins|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|midnight|noon|minuit|midi|medianoche|mediodía|mezzanotte|mezzogiorno|mitternacht";

/// Noon and midnight, which take a fraction after them ("midi et demi").
const NOON_WORDS: &[&str] = &[
    "midnight",
    "noon",
    "minuit",
    "midi",
    "medianoche",
    "mediodía",
    "mezzanotte",
    "mezzogiorno",
    "mitternacht",
];

/// Words that put an hour close to a moment.
pub(crate) const APPROXIMATORS: &str = r"gone|just\s+(?:after|before|gone|past)|shortly\s+(?:after|before)|a\s+little\s+(?:after|before)|kurz\s+(?:nach|vor)|gleich\s+nach|nach|vor|ab|gegen|peu\s+(?:après|avant)|juste\s+(?:après|avant)|(?:poco\s+)?(?:prima|dopo)\s+(?:delle|le)|(?:poco\s+)?(?:antes|después)\s+de\s+las|a\s+eso\s+de\s+las|hacia\s+las|sobre\s+las";

/// Words that may stand between a weekday or part of the day and the time after it.
const LEAD_WORDS: &str = r"just|shortly|right|kurz|gleich|poco|peu|juste|around|about|vers|gegen|verso|circa|hacia|sobre|entre|between|zwischen|tra|fra|before|after|avant|après|vor|nach|prima|dopo|antes|después|from|de|von|dalle|dès|at|à|um|alle|ab|las|le|delle";

/// Parts of the day that lead a time: "early afternoon, around 1".
const DAY_PARTS: &str = r"(?:early|late|mid)[- ]?(?:morning|afternoon|evening)|first\s+thing|en\s+(?:fin|début)\s+d['’](?:après-midi|matinée)|en\s+fin\s+de\s+(?:matinée|journée|soirée)|a\s+primera\s+hora|a\s+(?:media|última)\s+(?:mañana|tarde)|am\s+(?:frühen|späten)\s+(?:Morgen|Nachmittag|Abend)|(?:nel|nel\s+primo|nel\s+tardo)\s+pomeriggio|in\s+tarda\s+(?:mattinata|serata)";

/// Words after an hour that keep it a time (anything else alphabetic makes it a count).
const FREE_AFTER: &[&str] = &[
    "uhr",
    "heures",
    "heure",
    "o",
    "oclock",
    "ore",
    "horas",
    "and",
    "or",
    "und",
    "oder",
    "et",
    "ou",
    "y",
    "e",
    "am",
    "pm",
    "at",
    "on",
    "in",
    "to",
    "the",
    "this",
    "tonight",
    "today",
    "tomorrow",
    "sharp",
    "then",
    "but",
    "so",
    "we",
    "i",
    "ich",
    "wir",
    "je",
    "on",
    "nous",
    "da",
    "dort",
    "là",
    "là-bas",
    "al",
    "allí",
    "là",
    "lì",
    "hier",
    "ici",
    "aquí",
    "qui",
    "here",
    "there",
    "heute",
    "morgen",
    "demain",
    "mañana",
    "domani",
    "oggi",
    "hoy",
    "pile",
    "précises",
    "passées",
    "en",
    "à",
    "a",
    "au",
    "zum",
    "zur",
    "im",
    "nel",
    "alla",
    "bin",
    "bis",
    "till",
    "until",
    "hasta",
    "jusqu",
    "fino",
    "wieder",
    "again",
    "ish",
    "circa",
    "ca",
    "more",
    "less",
    "plus",
    "moins",
    "menos",
    "meno",
    "y",
    "pico",
];

/// Words after "the 20th" that keep it a date.
const DATE_FREE_AFTER: &[&str] = &[
    "at", "from", "to", "till", "until", "and", "or", "of", "in", "for", "same", "a", "de", "y",
    "por", "en", "o", "al", "desde", "hasta", "entre", "las", "la", "à", "au", "et", "ou", "pour",
    "dès", "alle", "e", "dalle", "o", "per", "ore", "um", "ab", "bis",
];

#[derive(Debug)]
pub(crate) struct TimePhrases {
    approx_hour: Option<Regex>,
    late_hour_words: Option<Regex>,
    ish: Option<Regex>,
    weekday_which: Option<Regex>,
    relative_part: Option<Regex>,
    day_number: Option<Regex>,
    /// A holiday that names one day, after a preposition: "on Christmas Eve", "am
    /// Heiligabend", "a Capodanno".
    holiday: Option<Regex>,
    /// Before a time finding: a weekday or part of the day and lead words.
    lead: Option<Regex>,
    /// After a time finding: an approximation.
    tail: Option<Regex>,
    /// After a time finding ending in a noon word: its fraction.
    noon_fraction: Option<Regex>,
    /// After a time finding: another clock time offered instead or as the other end
    /// ("0600 not 6.30", "7.30 or 8.00"), which a dotted time alone would not be.
    alternative: Option<Regex>,
}

impl TimePhrases {
    pub(crate) fn new() -> TimePhrases {
        TimePhrases {
            approx_hour: compile(&format!(
                r"(?i)\b(?:{APPROXIMATORS})[ \t]+(?:{HOUR_WORDS})\b(?:[ \t]+(?:Uhr|heures|o['’]clock|ore|horas)\b)?"
            )),
            late_hour_words: compile(
                r"(?i)\b(?:(?:treize|quatorze|quinze|seize|dix-sept|dix-huit|dix-neuf|vingt|vingt[ \t]+et[ \t]+une|vingt-deux|vingt-trois)[ \t]+heures|(?:dreizehn|vierzehn|fünfzehn|sechzehn|siebzehn|achtzehn|neunzehn|zwanzig|einundzwanzig|zweiundzwanzig|dreiundzwanzig)[ \t]+Uhr|(?:alle|le[ \t]+ore|ore)[ \t]+(?:tredici|quattordici|quindici|sedici|diciassette|diciotto|diciannove|venti|ventuno|ventidue|ventitré)|a[ \t]+las[ \t]+(?:trece|catorce|quince|dieciséis|diecisiete|dieciocho|diecinueve|veinte|veintiuna|veintidós|veintitrés))\b",
            ),
            ish: compile(r"(?i)\b(?:[01]?\d|2[0-3])(?:[:.]?[0-5]\d)?(?:[ \t]?(?:am|pm))?-?ish\b"),
            weekday_which: compile(&format!(
                r"(?i)\b(?:{FULL_WEEKDAYS})[ \t]+(?:siguiente|de[ \t]+la[ \t]+semana[ \t]+que[ \t]+viene|de[ \t]+la[ \t]+próxima[ \t]+semana|suivant|d['’]après|de[ \t]+la[ \t]+semaine[ \t]+prochaine|seguente|successivo|della[ \t]+prossima[ \t]+settimana|der[ \t]+nächsten[ \t]+Woche|darauf|of[ \t]+next[ \t]+week|after[ \t]+next|week)\b"
            )),
            // Also a day and its dawn or dusk, which name one moment as a clock time does
            // ("lundi à l'aube", "tomorrow at first light", "el jueves al amanecer").
            relative_part: compile(&format!(
                r"(?i)\b(?:(?:tomorrow|yesterday)[ \t]+(?:morning|afternoon|evening|night|lunchtime)|(?:demain|hier)[ \t]+(?:matin|midi|soir|après-midi)|mañana[ \t]+por[ \t]+la[ \t]+(?:mañana|tarde|noche)|(?:morgen|gestern)[ \t]+(?:früh|vormittag|mittag|nachmittag|abend)|(?:domani|ieri)[ \t]+(?:mattina|pomeriggio|sera|notte)|(?:{FULL_WEEKDAYS}|tomorrow|demain|mañana|morgen|domani)[ \t]+(?:at[ \t]+(?:dawn|first[ \t]+light|dusk|sunrise)|à[ \t]+l['’]aube|au[ \t]+(?:lever[ \t]+du[ \t]+jour|petit[ \t]+matin)|al[ \t]+(?:amanecer|alba|anochecer)|all['’]alba|im[ \t]+Morgengrauen|bei[ \t]+Tagesanbruch))\b",
            )),
            day_number: compile(
                r"(?i)\b(?:(?:on|by|until|till|before|after|from|since|meeting|hearing|due)[ \t]+the[ \t]+(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)|(?:depuis[ \t]+le|jusqu['’]au|à[ \t]+partir[ \t]+du|avant[ \t]+le|après[ \t]+le|dès[ \t]+le|d['’]ici[ \t]+le)[ \t]+(?:[12]\d|3[01]|0?[1-9])(?:er)?|(?:per|entro|verso|dopo|fino[ \t]+alle|prima[ \t]+delle)[ \t]+le[ \t]+(?:1\d|2[0-3]|[7-9])(?:[:.][0-5]\d)?)\b",
            ),
            holiday: compile(
                r"(?i)\b(?:on|by|until|till|before|after|over|el|la|le|am|an|zu|à|a|il|per|dès|depuis|desde|hasta|fino\s+a|bis|vor|nach)[ \t]+(?:Christmas[ \t]+(?:Eve|Day)|Boxing[ \t]+Day|New[ \t]+Year['’]s[ \t]+(?:Eve|Day)|Nochebuena|Nochevieja|Heiligabend|Silvester|Neujahr|(?:la[ \t]+)?Saint-Sylvestre|Réveillon|Capodanno|Ferragosto|Santo[ \t]+Stefano|(?:la[ \t]+)?vigilia[ \t]+di[ \t]+Natale)\b",
            ),
            lead: compile(&format!(
                r"(?i)(?:\b(?:{FULL_WEEKDAYS})|\b(?-i:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?|\b(?:{DAY_PARTS}))[ \t]*,?[ \t]+(?:(?:{LEAD_WORDS})[ \t]+){{0,3}}$"
            )),
            tail: compile(
                r"(?i)^(?:-?ish\b|[ \t]+(?:y[ \t]+pico|y[ \t]+algo|passées|passé|et[ \t]+quelques|oder[ \t]+so|e[ \t]+qualcosa|and[ \t]+a[ \t]+bit|or[ \t]+so|o[ \t]+así)\b)",
            ),
            alternative: compile(
                r"(?i)^[ \t]*(?:not|or|and|to|till|until|instead[ \t]+of|rather[ \t]+than|o|ou|oder|y|e|bis|à|a|-|–|/)[ \t]*(?:[01]?\d|2[0-3])[.:h][0-5]\d\b",
            ),
            noon_fraction: compile(
                r"(?i)^[ \t]+(?:et[ \t]+(?:demie?|quart)|moins[ \t]+(?:le[ \t]+quart|cinq|dix|vingt|vingt-cinq)|e[ \t]+(?:mezza|mezzo|un[ \t]+quarto|dieci|venti)|meno[ \t]+(?:un[ \t]+quarto|cinque|dieci|venti)|y[ \t]+(?:media|cuarto)|menos[ \t]+(?:cuarto|cinco|diez|veinte))\b",
            ),
        }
    }

    /// New time candidates; run before the other context rules widen and join them.
    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(re) = &self.late_hour_words {
            for m in re.find_iter(text) {
                // The unit makes it a time unless it is a length: "treize heures de
                // route", "pendant quinze heures".
                let length_after = next_word(text, m.end())
                    .is_some_and(|w| matches!(w.as_str(), "de" | "d" | "di" | "of" | "lang"));
                let length_before = matches!(
                    crate::util::prev_word(text, m.start()).as_str(),
                    "pendant" | "durant" | "during" | "for" | "während" | "per" | "durante"
                );
                if !length_after && !length_before {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        for (re, free) in [
            (&self.approx_hour, FREE_AFTER),
            (&self.day_number, DATE_FREE_AFTER),
        ] {
            let Some(re) = re else { continue };
            for m in re.find_iter(text) {
                let german = GERMAN_HOURS
                    .iter()
                    .any(|h| m.as_str().to_lowercase().ends_with(h));
                let free = if german {
                    german_free_after(text, m.end())
                } else {
                    free_after(text, m.end(), free)
                };
                if free && !floors_after(text, m.end()) {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        for re in [
            &self.ish,
            &self.weekday_which,
            &self.relative_part,
            &self.holiday,
        ]
        .into_iter()
        .flatten()
        {
            for m in re.find_iter(text) {
                push(out, Kind::DateTime, text, m.start(), m.end());
            }
        }
    }

    /// Widens every time finding over the weekday or part of the day before it and the
    /// approximation or noon fraction after it.
    pub(crate) fn widen(&self, text: &str, out: &mut Vec<Finding>) {
        let mut added = Vec::new();
        for f in out.iter().filter(|f| f.kind == Kind::DateTime) {
            let (mut start, mut end) = (f.start, f.end);
            let head = before(text, start, 60);
            if let Some(m) = self.lead.as_ref().and_then(|re| re.find(head)) {
                start -= head.len() - m.start();
            }
            let rest = text.get(end..).unwrap_or("");
            if let Some(m) = self.tail.as_ref().and_then(|re| re.find(rest)) {
                end += m.end();
            }
            let rest = text.get(end..).unwrap_or("");
            if let Some(m) = self.alternative.as_ref().and_then(|re| re.find(rest)) {
                let glued = text
                    .get(end + m.end()..)
                    .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit() || c == '%'));
                if !glued {
                    end += m.end();
                }
            }
            let lower = f.text.to_lowercase();
            let noon_word = NOON_WORDS.iter().any(|w| lower.ends_with(w));
            if noon_word {
                let rest = text.get(end..).unwrap_or("");
                if let Some(m) = self.noon_fraction.as_ref().and_then(|re| re.find(rest)) {
                    end += m.end();
                }
            }
            if (start, end) != (f.start, f.end) {
                added.push((start, end));
            }
        }
        for (s, e) in added {
            push(out, Kind::DateTime, text, s, e);
        }
    }
}

/// German hours in words: after them German capitalises the nouns that would make them
/// a count ("ab drei Personen"), and a lowercase word is the verb of the sentence ("kurz
/// nach sieben standen sie vor der Tür").
const GERMAN_HOURS: &[&str] = &[
    "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf",
    "zwölf", "uhr",
];

fn german_free_after(text: &str, end: usize) -> bool {
    let rest = text.get(end..).unwrap_or("");
    let next = rest.trim_start_matches([' ', '\t']);
    !rest.starts_with(|c: char| c.is_alphanumeric())
        && (phrase_ends(text, end)
            || next.starts_with(|c: char| c.is_lowercase())
            || next.starts_with("Uhr"))
}

/// "the 8th to 11th floors": ordinals of floors, not days.
fn floors_after(text: &str, end: usize) -> bool {
    let rest = crate::util::after(text, end, 32).to_lowercase();
    [
        "floor", "storey", "stories", "étage", "piso", "planta", "piano", "stock",
    ]
    .iter()
    .any(|w| rest.contains(w))
}

/// Whether the phrase ends at `end` or the next word is one of `free`.
fn free_after(text: &str, end: usize, free: &[&str]) -> bool {
    let glued = text
        .get(end..)
        .is_some_and(|r| r.starts_with(|c: char| c.is_alphanumeric()));
    !glued
        && (phrase_ends(text, end)
            || next_word(text, end).is_none_or(|w| free.contains(&w.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let p = TimePhrases::new();
        let mut out = Vec::new();
        p.find(text, &mut out);
        p.widen(text, &mut out);
        out.into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn approximate_hours_in_words() {
        assert!(found("we stayed until gone ten.").contains(&"gone ten".to_string()));
        assert!(found("ich komme kurz nach acht").contains(&"kurz nach acht".to_string()));
        assert!(found("kurz nach acht standen sie da").contains(&"kurz nach acht".to_string()));
        assert!(found("ab drei Personen wird es eng").is_empty());
        assert!(
            found("arrivo poco prima delle nove.").contains(&"poco prima delle nove".to_string())
        );
        assert!(found("elle est sortie à seize heures passées")
            .contains(&"seize heures passées".to_string()));
    }

    #[test]
    fn counts_are_not_times() {
        assert!(found("after seven years of this").is_empty());
        assert!(found("ab drei Personen wird es eng").is_empty());
        assert!(found("il y avait treize heures de route").is_empty());
        assert!(found("on the 8th floor").is_empty());
        assert!(found("residents on the 8th to 11th floors").is_empty());
    }

    #[test]
    fn leads_and_tails_around_a_time() {
        let p = TimePhrases::new();
        let text = "Thu: early evening, around 6ish";
        let mut out = Vec::new();
        p.find(text, &mut out);
        p.widen(text, &mut out);
        assert!(
            out.iter().any(|f| f.text == "early evening, around 6ish"),
            "{out:?}"
        );
    }
}

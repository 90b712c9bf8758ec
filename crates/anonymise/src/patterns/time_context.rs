//! General date and time rules (round 9 of issue 13): instead of one more string family
//! per held-out miss, times and dates are taken from their context.
//!
//! New candidates: German day-month dates without a year ("1.11.", "14.12.", "13./14.
//! Dezember"); noon and midnight words; "halb"/"half" with digits; a part of the day with
//! "du/del/of the" and a day number ("matin du 5"); an hour range next to a weekday
//! ("Mon: sorting, 10-1").
//!
//! Widening and joining, after every other time detector ran: a time finding takes in
//! the relative day and the approximator written before it ("ce soir", "verso le",
//! "gegen", "a partir de"), a first day before a date range ("12 au 13 octobre"), an
//! hour unit after it ("de las 21 h"), a time after a date ("…2025, 12.30", "0700 to
//! 1130"); and time findings separated only by connectors ("dimanche 21 à 14 h") are
//! joined into one, so nothing of the expression is left in the text.

use regex::Regex;

use super::{push, FULL_WEEKDAYS};
use crate::util::{before, char_at, char_before, compile, prev_word};
use crate::{Finding, Kind};

const DE_MONTHS: &str =
    "januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember";
const WEEKDAYS: &str = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|lunes|martes|miércoles|jueves|viernes|sábado|domingo|lun|mar|mié|jue|vie|sáb|dom|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|mo|di|mi|do|fr|sa|so|lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica|gio|ven";
const HOUR_WORDS: &str = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|une|deux|trois|quatre|cinq|sept|huit|neuf|dix|onze|douze|uno|due|tre|quattro|sei|sette|otto|nove|dieci|undici|dodici|eins|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf";
const HOUR: &str = r"(?:[01]?\d|2[0-3])(?:[:.h][0-5]\d)?";
/// Connectors that may stand between two parts of one time expression.
const CONNECTORS: &str = r"(?:at|on|from|um|ab|von|à|a|alle|ore|alle\s+ore|a\s+las|a\s+la|dès|de|dalle|dal|el|le|il|am|the|bis|to|till|until|au|al|y|et|e|und|and|hasta|jusqu['’]à|dem|den|der|,|-|–|/)";

/// Words before "12.5." that make it a version number, not a date.
const VERSION_WORDS: &[&str] = &[
    "version",
    "v",
    "debian",
    "ubuntu",
    "release",
    "php",
    "python",
    "node",
    "firefox",
    "android",
    "ios",
    "macos",
    "windows",
    "kernel",
    "nextcloud",
    "signal",
    "app",
    "update",
    "patch",
    "build",
    "firmware",
    "versión",
    "versione",
];

/// Prepositions a joined time does not take in when only its first part carried them.
const BARE_PREPOSITION: &[&str] = &["at", "um", "à", "a", "alle", "by", "ab", "dès", "ore"];

/// Words before "midnight"/"midi" that make it a time of day.
const NOON_PREPOSITIONS: &[&str] = &[
    "at", "after", "before", "until", "till", "by", "around", "since", "from", "past", "to", "à",
    "a", "dès", "vers", "après", "avant", "jusqu", "de", "à", "alle", "a", "verso", "dopo",
    "prima", "entro", "fino", "um", "gegen", "bis", "ab", "nach", "vor", "hasta", "desde", "del",
    "al", "sobre", "hacia", "y", "and", "et", "e", "und", "maj", "update",
];

/// Words before "3 heures" that make it a length of time.
const DURATION_WORDS: &[&str] = &[
    "for",
    "pendant",
    "durante",
    "per",
    "während",
    "über",
    "lasted",
    "during",
    "every",
    "toutes les",
    "cada",
    "ogni",
    "alle",
    "nearly",
    "almost",
    "casi",
    "presque",
    "quasi",
    "fast",
    "more than",
    "plus de",
    "más de",
    "più di",
    "mehr als",
    "than",
    "que",
    "di",
    "de",
    "about",
    "environ",
    "unas",
    "circa",
    "etwa",
    "ca.",
    "en",
    "in",
    "dans",
    "entro",
];

#[derive(Debug)]
pub(crate) struct TimeContext {
    de_date: Option<Regex>,
    de_date_pair: Option<Regex>,
    noon: Option<Regex>,
    half: Option<Regex>,
    part_of_day: Option<Regex>,
    weekday_range: Option<Regex>,
    /// A relative day or part of the day, then a bare hour: "domani mattina alle 7",
    /// "morgen früh um 6" (the hour may be followed by any word here).
    day_then_hour: Option<Regex>,
    /// Hours in words with a range opener or a unit: "de once a dos", "von elf bis
    /// zwei", "onze heures".
    word_hours: Option<Regex>,
    /// A weekday and a day number: "Samstag, 9.", "Sunday 14".
    weekday_day: Option<Regex>,
    /// An hour with a clock unit and no preposition: "18 heures", "at 18 hrs".
    unit_hour: Option<Regex>,
    /// Relative day and approximator words right before a time finding.
    lead: Option<Regex>,
    /// "12 au " before a date finding that starts with a day number.
    first_day: Option<Regex>,
    /// "10 " before a finding that starts with its own joiner ("bis 14 Uhr").
    first_hour: Option<Regex>,
    /// An hour unit right after a finding that ends in a digit.
    unit_after: Option<Regex>,
    /// A clock time after a date, or the second end of a range.
    time_after: Option<Regex>,
    connector_gap: Option<Regex>,
    /// A weekday with a determiner, a qualifier or a part of the day: "el domingo",
    /// "lunedì mattina", "on Saturday", "the following Monday" (round 10).
    weekday_alone: Option<Regex>,
    /// A weekday phrase right before a time finding: "on Saturday at 3pm", "lundi
    /// prochain à 9 h" (round 10).
    weekday_lead: Option<Regex>,
    /// A range of bare digit hours after a range opener: "from 10 to 12", "de 10 a 13",
    /// "von 9 bis 11" (round 10; the word form is [`Self::word_hours`]).
    digit_range: Option<Regex>,
    /// French hours with minutes written apart: "14 h 30" (round 10).
    fr_hour_minutes: Option<Regex>,
}

/// What makes a weekday one day rather than a habit: words before it. Not French "le"
/// or Italian "il", which say "every" ("le samedi matin", "il lunedì").
/// Not "on", "el" or "am" alone: "the meeting on Monday" stays an ordinary phrase (see
/// the look-alike tests); they do count before a time ([`TimeContext::weekday_lead`]).
const WEEKDAY_DETERMINERS: &str = r"this|next|last|coming|the\s+following|until|till|by|before|after|este|próximo|proximo|pasado|hasta\s+el|antes\s+del|para\s+el|ce|dès|jusqu['’]à|avant|après|diesen|nächsten|kommenden|letzten|bis|ab|questo|prossimo|entro|fino\s+a|dopo|prima\s+di";
/// Determiners that only count before a time: "on Saturday at 3pm", "el lunes a las 8".
const WEEKDAY_LEAD_DETERMINERS: &str = r"on|el|am|le|il|since|seit|desde\s+el|depuis|vor|nach";
/// What makes a weekday one day: words after it.
const WEEKDAY_QUALIFIERS: &str = r"prochain|dernier|next|que\s+viene|próximo|pasado|prossimo|scorso|morning|evening|afternoon|night|lunchtime|matin|soir|midi|après-midi|mattina|mattino|sera|pomeriggio|notte|por\s+la\s+(?:mañana|tarde|noche)|a\s+mediodía|früh|morgen|abend|nachmittag|vormittag|mittag|nacht|in\s+the\s+(?:morning|afternoon|evening)";

/// Words that may follow a bare hour range: anything else lowercase makes it a count
/// ("de 10 a 13 años", "from 10 to 12 people").
const AFTER_HOUR_RANGE: &[&str] = &[
    "at", "in", "on", "the", "and", "or", "for", "with", "then", "every", "each", "en", "el", "la",
    "los", "las", "y", "o", "con", "para", "por", "cada", "à", "au", "aux", "le", "les", "et",
    "ou", "avec", "pour", "chaque", "tous", "im", "am", "an", "und", "oder", "mit", "für", "jeden",
    "bei", "nel", "nella", "al", "alla", "e", "per", "ogni", "presso", "da", "h", "hrs", "uhr",
    "pm", "heures", "horas", "ore", "o'clock", "sharp", "de", "del", "di", "des", "du", "tomorrow",
    "today", "mañana", "demain", "morgen", "domani", "hoy", "heute", "oggi",
];

impl TimeContext {
    pub(crate) fn new() -> TimeContext {
        let rel = r"(?:ce\s+soir|ce\s+matin|cet\s+après-midi|cette\s+nuit|demain(?:\s+(?:matin|soir))?|aujourd['’]hui|tonight|today|tomorrow(?:\s+(?:morning|evening|night))?|this\s+(?:morning|evening|afternoon)|hoy|mañana|esta\s+(?:noche|tarde|mañana)|pasado\s+mañana|heute(?:\s+(?:abend|früh|morgen|nachmittag))?|morgen(?:\s+(?:früh|abend))?|oggi|domani(?:\s+(?:mattina|sera))?|stasera|stamattina|stanotte|stanotte)";
        let approx = r"(?:verso\s+le|verso\s+l['’]|verso|intorno\s+alle|attorno\s+alle|circa\s+alle|vers|aux\s+alentours\s+de|gegen|um\s+ca\.|ca\.|circa|around|about|approx\.?|roughly|hacia|sobre|a\s+partir\s+de|à\s+partir\s+de)";
        TimeContext {
            de_date: compile(
                r"\b(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.(?:(?:19|20)\d{2}|\d{2})?",
            ),
            de_date_pair: compile(&format!(
                r"(?i)\b(?:0?[1-9]|[12]\d|3[01])\.\s*[/–-]\s*(?:0?[1-9]|[12]\d|3[01])\.\s+(?:{DE_MONTHS})\b"
            )),
            noon: compile(
                r"\b(?:midi|minuit|midnight|noon|midday|mediodía|medianoche|mezzogiorno|mezzanotte|Mitternacht)\b",
            ),
            half: compile(
                r"(?i)\b(?:gegen\s+|um\s+|ab\s+)?halb\s+(?:1[0-2]|[1-9])\b|\b(?:alle\s+|dalle\s+|ore\s+)?h\.?[ \t]?(?:[01]?\d|2[0-3])(?:[:.][0-5]\d)?\b",
            ),
            part_of_day: compile(
                r"(?i)\b(?:matin|soir|nuit|après-midi|morning|evening|night|mañana|tarde|noche|madrugada|mattina|sera|notte|morgen|abend|nacht)\s+(?:du|del|de|of\s+the|des|vom|dello|della)\s+(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|er|º|\.)?\b",
            ),
            weekday_range: compile(&format!(
                r"(?i)\b(?:{WEEKDAYS})\b\.?[^\n\d]{{0,30}}?\b((?:[01]?\d|2[0-4])(?:[:.][0-5]\d)?\s?[-–]\s?(?:[01]?\d|2[0-4])(?:[:.][0-5]\d)?)\b"
            )),
            day_then_hour: compile(&format!(
                r"(?i)\b(?:{rel}|(?:{WEEKDAYS})(?:\s+(?:morning|evening|afternoon|night|matin|soir|mattina|sera|pomeriggio|mañana|tarde|noche|morgen|abend|früh|nachmittag))?)[ \t,]+(?:(?:at|um|alle|à|a\s+las|a\s+la|vers|verso\s+le|gegen|ab|dès|dalle|from|by|around|ore|hacia\s+las|sobre\s+las)[ \t]+)(?:[01]?\d|2[0-3])(?:[:.h][0-5]\d)?\b"
            )),
            word_hours: compile(&format!(
                r"(?i)\b(?:(?:de|von|dalle|from|entre|du)[ \t]+(?:{HOUR_WORDS})(?:[ \t]+heures)?[ \t]+(?:a|à|bis|alle|to|till|until|y|e|et|und|and)[ \t]+(?:{HOUR_WORDS})(?:[ \t]+heures)?|(?:{HOUR_WORDS})[ \t]+(?:Uhr|o['’]clock))\b"
            )),
            weekday_day: compile(&format!(
                r"(?i)\b(?:{FULL_WEEKDAYS}),?[ \t]+(?:the[ \t]+|le[ \t]+|el[ \t]+|il[ \t]+|den[ \t]+)?(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|\.|º|er)?(?:\b|$)"
            )),
            unit_hour: compile(
                r"(?i)\b(?:0?[6-9]|1\d|2[0-3])(?:[:.,][0-5]\d)?[ \t]?(?:hrs|heures|horas|hs|ore)\b",
            ),
            lead: compile(&format!(
                r"(?i)(?:\b{rel}[,\s]+)?(?:\b{approx}\s+(?:(?:las|la|les|le|the)\s+)?)?$"
            )),
            first_day: compile(
                r"(?i)(?:\b(?:du|del|dal|vom|from|entre|between)\s+)?\b(?:[12]\d|3[01]|0?[1-9])(?:\.|er|º|st|nd|rd|th)?\s*(?:au|al|bis|to|-|–|/|y|et|e|und|and)(?:\s+(?:il|le|el|the|den|dem))?\s*$",
            ),
            first_hour: compile(&format!(r"(?i)\b{HOUR}\s+$")),
            unit_after: compile(r"(?i)^\s?(?:h|hrs|uhr|heures|horas|ore)\b"),
            time_after: compile(&format!(
                r"(?i)^(?:[ \t]+(?:y|e|et|und|and|o|or|ou|oder)[ \t]+(?:a[ \t]+las?|alle|à|um|at)[ \t]+(?:{HOUR_WORDS}|{HOUR})\b|(?:,[ \t]*|[ \t]+)(?:(?:at|um|à|alle|a\s+las|ore|to|till|until|bis|a|al|hasta|au|-|–)\s*)?(?:(?:[01]\d|2[0-3])[0-5]\d\b|{HOUR}(?:\s?(?:h|uhr|am|pm))?\b))"
            )),
            connector_gap: compile(&format!(r"(?i)^[ \t,]*(?:{CONNECTORS}[ \t]*){{0,2}}$")),
            weekday_alone: compile(&format!(
                r"(?i)(?:\b(?:{WEEKDAY_DETERMINERS})[ \t]+\b(?:{FULL_WEEKDAYS})\b(?:[ \t]+(?:{WEEKDAY_QUALIFIERS})\b)?|\b(?:{FULL_WEEKDAYS})[ \t]+(?:{WEEKDAY_QUALIFIERS})\b)"
            )),
            weekday_lead: compile(&format!(
                r"(?i)(?:\b(?:{WEEKDAY_DETERMINERS}|{WEEKDAY_LEAD_DETERMINERS})[ \t]+)?\b(?:{FULL_WEEKDAYS})(?:[ \t]+(?:{WEEKDAY_QUALIFIERS}))?[ \t,]+(?:(?:at|à|um|alle|a\s+las|a\s+la|ab|dès|from|by|around|ore|vers|gegen|verso|hacia|sobre|dalle|de|von)[ \t]+(?:(?:las|la|les|le)[ \t]+)?)?$"
            )),
            digit_range: compile(&format!(
                r"(?i)\b(?:from|de|von|dalle|dal|du|entre|between|tra|fra|desde\s+las|de\s+las)[ \t]+{HOUR}(?:[ \t]?h)?[ \t]*(?:to|a|à|bis|alle|al|till|until|y|et|e|und|and|hasta|-|–)[ \t]*(?:las[ \t]+)?{HOUR}(?:[ \t]?(?:h|uhr|am|pm|heures|horas|ore)\b)?"
            )),
            fr_hour_minutes: compile(
                r"\b(?:[01]?\d|2[0-3])[ \t]h[ \t]?[0-5]\d\b|\b(?:[01]?\d|2[0-3])h[ \t][0-5]\d\b",
            ),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        for re in [
            &self.de_date_pair,
            &self.half,
            &self.part_of_day,
            &self.word_hours,
            &self.weekday_day,
        ]
        .into_iter()
        .flatten()
        {
            for m in re.find_iter(text) {
                push(out, Kind::DateTime, text, m.start(), m.end());
            }
        }
        for re in [&self.weekday_alone, &self.fr_hour_minutes]
            .into_iter()
            .flatten()
        {
            for m in re.find_iter(text) {
                push(out, Kind::DateTime, text, m.start(), m.end());
            }
        }
        if let Some(re) = &self.digit_range {
            for m in re.find_iter(text) {
                let glued = char_at(text, m.end()).is_some_and(|c| {
                    c.is_ascii_digit()
                        || matches!(c, '%' | '€' | '$' | '£' | '.' | ',')
                            && text
                                .get(m.end() + 1..)
                                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                });
                let rest = text.get(m.end()..).unwrap_or("");
                let lower_word_after = rest.starts_with([' ', '\t'])
                    && rest
                        .trim_start_matches([' ', '\t'])
                        .starts_with(char::is_lowercase);
                let count_after = lower_word_after
                    && crate::util::next_word(text, m.end())
                        .is_some_and(|w| !AFTER_HOUR_RANGE.contains(&w.as_str()));
                let money_after = text
                    .get(m.end()..)
                    .is_some_and(|r| r.trim_start().starts_with(['%', '€', '$', '£']));
                if !glued && !count_after && !money_after {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.day_then_hour {
            for m in re.find_iter(text) {
                if !char_at(text, m.end()).is_some_and(|c| c.is_ascii_digit() || c == '%') {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.unit_hour {
            for m in re.find_iter(text) {
                // "for 18 hours", "pendant 3 heures", "durante 20 horas": a duration.
                let head = before(text, m.start(), 24).to_lowercase();
                let duration = DURATION_WORDS
                    .iter()
                    .any(|w| head.trim_end().ends_with(w) || head.contains(&format!("{w} ")));
                let of_after = crate::util::next_word(text, m.end()).is_some_and(|w| {
                    matches!(
                        w.as_str(),
                        "de" | "of"
                            | "di"
                            | "d"
                            | "lang"
                            | "long"
                            | "par"
                            | "por"
                            | "al"
                            | "alla"
                            | "a"
                    )
                });
                if !duration && !of_after {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.de_date {
            for m in re.find_iter(text) {
                // Not part of a longer number ("1.2.3.", "v1.11.", "2.940").
                let glued_before = char_before(text, m.start())
                    .is_some_and(|c| c.is_ascii_digit() || c == '.' || c.is_alphabetic());
                let glued_after = char_at(text, m.end()).is_some_and(|c| c.is_ascii_digit());
                let version = VERSION_WORDS.contains(&prev_word(text, m.start()).as_str());
                if !glued_before && !glued_after && !version {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.noon {
            for m in re.find_iter(text) {
                let after_hyphen = char_before(text, m.start()) == Some('-')
                    || char_at(text, m.end()) == Some('-');
                // "at midnight", "à midi", "MAJ midi :"; not "the midnight oil".
                let as_time = NOON_PREPOSITIONS.contains(&prev_word(text, m.start()).as_str())
                    || text
                        .get(m.end()..)
                        .is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with(':'));
                if !after_hyphen && as_time {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.weekday_range {
            for caps in re.captures_iter(text) {
                let Some(r) = caps.get(1) else { continue };
                let next = char_at(text, r.end());
                let unit_after = text
                    .get(r.end()..)
                    .is_some_and(|rest| rest.trim_start().starts_with(['%', '€', '$', '£']));
                if !matches!(next, Some('-' | '/' | '.' | ':')) && !unit_after {
                    push(out, Kind::DateTime, text, r.start(), r.end());
                }
            }
        }
    }

    /// Widens time findings over their context words and joins neighbouring ones.
    pub(crate) fn widen_and_join(&self, text: &str, out: &mut Vec<Finding>) {
        let mut added = Vec::new();
        for f in out.iter().filter(|f| f.kind == Kind::DateTime) {
            let (mut start, mut end) = (f.start, f.end);
            if let Some(m) = text
                .get(end..)
                .and_then(|rest| self.time_after.as_ref()?.find(rest))
            {
                end += m.end();
            }
            if text
                .get(..end)
                .is_some_and(|h| h.ends_with(|c: char| c.is_ascii_digit()))
            {
                if let Some(m) = text
                    .get(end..)
                    .and_then(|rest| self.unit_after.as_ref()?.find(rest))
                {
                    end += m.end();
                }
            }
            let lower = f.text.to_lowercase();
            let own_joiner = [
                "bis ", "to ", "till ", "until ", "a ", "à ", "al ", "alle ", "hasta ",
            ]
            .iter()
            .any(|j| lower.starts_with(j));
            let starts_with_day = f.text.starts_with(|c: char| c.is_ascii_digit());
            let lead_res = [
                (own_joiner, &self.first_hour),
                (starts_with_day, &self.first_day),
            ];
            for (applies, re) in lead_res {
                if !applies {
                    continue;
                }
                let head = before(text, start, 40);
                if let Some(m) = re.as_ref().and_then(|re| re.find(head)) {
                    start -= head.len() - m.start();
                }
            }
            let head = before(text, start, 40);
            if let Some(m) = self.lead.as_ref().and_then(|re| re.find(head)) {
                if m.start() < head.len() {
                    start -= head.len() - m.start();
                }
            }
            let head = before(text, start, 60);
            if let Some(m) = self.weekday_lead.as_ref().and_then(|re| re.find(head)) {
                if m.start() < head.len() {
                    start -= head.len() - m.start();
                }
            }
            if (start, end) != (f.start, f.end) {
                added.push((start, end));
            }
        }
        for (s, e) in added {
            push(out, Kind::DateTime, text, s, e);
        }
        self.join(text, out);
    }

    /// Joins time findings that overlap or that only connectors separate into one
    /// finding. A bare preposition that only the first of the joined findings carries
    /// ("at 0745" + "0745 hours") stays in the text.
    fn join(&self, text: &str, out: &mut Vec<Finding>) {
        let Some(gap_re) = &self.connector_gap else {
            return;
        };
        let mut spans: Vec<(usize, usize)> = out
            .iter()
            .filter(|f| f.kind == Kind::DateTime)
            .map(|f| (f.start, f.end))
            .collect();
        spans.sort_unstable();
        // start, end, whether it grew, the second start of the chain
        let mut joined: Vec<(usize, usize, bool, Option<usize>)> = Vec::new();
        let mut cur: Option<(usize, usize, bool, Option<usize>)> = None;
        for (s, e) in spans {
            cur = match cur {
                Some((cs, ce, grew, second)) if s <= ce => Some((
                    cs,
                    ce.max(e),
                    grew || e > ce,
                    second.or((s > cs).then_some(s)),
                )),
                Some((cs, ce, _, second))
                    if s - ce <= 16 && text.get(ce..s).is_some_and(|g| gap_re.is_match(g)) =>
                {
                    Some((cs, e.max(ce), true, second.or(Some(s))))
                }
                Some(done) => {
                    joined.push(done);
                    Some((s, e, false, None))
                }
                None => Some((s, e, false, None)),
            };
        }
        joined.extend(cur);
        for (s, e, grew, second) in joined {
            if !grew {
                continue;
            }
            let lead = text.get(s..second.unwrap_or(s)).unwrap_or("");
            let start = match second {
                Some(next) if BARE_PREPOSITION.contains(&lead.trim().to_lowercase().as_str()) => {
                    next
                }
                _ => s,
            };
            push(out, Kind::DateTime, text, start, e);
        }
    }
}

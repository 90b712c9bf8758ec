//! Clock times that are not `HH:MM`: military/24-hour blocks ("0745 hours", "1900h"),
//! times in words ("quarter to eight", "half past six", "just after midnight") and the
//! same families in Spanish, French, German and Italian ("a las ocho y media",
//! "à 19 h 30", "um halb acht", "alle 19").
//!
//! The rule that keeps prose clean is the same in every language: a *number* needs a
//! time word with it (a preposition before, "hours"/"Uhr"/"heures" or a fraction such as
//! "y media" after), and a bare number after a preposition must not be followed by a
//! noun that makes it a quantity ("alle 35 persone", "a las tres pancartas").

use regex::Regex;

use super::push;
use crate::util::{char_at, char_before, compile, next_word, prev_word};
use crate::{Finding, Kind};

const HOURS_EN: &str = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve";
/// "one" is left out after a preposition: "one by one", "by one vote".
const HOURS_PREP_EN: &str = "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve";
const MINUTES_EN: &str = "five|ten|twenty|twenty-five|twenty five|a quarter|quarter|half";
const HOURS_ES: &str = "una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce";
const MINUTES_ES: &str =
    "media|cuarto|cinco|diez|veinte|veinticinco|veinte y cinco|un cuarto|tres cuartos";
const HOURS_FR: &str = "une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze";
/// Round 17: the afternoon and evening hours in words ("dix-neuf heures trente"), longest
/// first so that "dix-neuf" is not read as "dix".
const HOURS_FR_24: &str = "vingt[\\s-]et[\\s-]une|vingt-deux|vingt-trois|dix-sept|dix-huit|dix-neuf|treize|quatorze|quinze|seize|vingt";
const MINUTES_FR: &str = "cinq|dix|quinze|vingt|vingt-cinq|trente|trente-cinq|quarante|quarante-cinq|cinquante|cinquante-cinq";
const HOURS_DE: &str = "eins|ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf";
const HOURS_IT: &str = "una|due|tre|quattro|cinque|sei|sette|otto|nove|dieci|undici|dodici";
const MINUTES_IT: &str = "mezza|mezzo|un quarto|tre quarti|cinque|dieci|venti|venticinque";
const DIGIT_HOUR: &str = r"(?:[01]?\d|2[0-3])";
/// The hour of a four-digit 24-hour block ("0745", "1900").
const BLOCK_HOUR: &str = r"(?:[01]\d|2[0-3])";

/// Words that may follow a bare hour without making it a quantity: prepositions,
/// conjunctions and parts of the day in the five languages.
const FREE_AFTER: &[&str] = &[
    // en
    "on",
    "in",
    "at",
    "when",
    "then",
    "sharp",
    "tonight",
    "tomorrow",
    "today",
    "and",
    "or",
    "but",
    "for",
    "so",
    "with",
    "latest",
    "ish",
    "please",
    "pls",
    "same",
    "this",
    "next",
    "outside",
    // An article or a subject pronoun starts a new phrase: "at six the bakery run",
    // "at 1745 we go" (a quantity noun would follow the number directly).
    "the",
    "we",
    "i",
    "you",
    "they",
    "everyone",
    "our",
    "by",
    "to",
    "from",
    "until",
    "till",
    "am",
    "pm", // es
    "y",
    "o",
    "en",
    "de",
    "del",
    "desde",
    "hasta",
    "para",
    "al",
    "a",
    "con",
    "por",
    "cuando",
    "mañana",
    "tarde",
    "noche",
    "madrugada",
    "frente",
    "delante",
    "ante", // fr
    "et",
    "ou",
    "au",
    "aux",
    "du",
    "des",
    "le",
    "la",
    "pour",
    "devant",
    "chez",
    "dans",
    "sur",
    "demain",
    "ce",
    "ensuite",
    "puis",
    "pile",
    "précises", // de
    "uhr",
    "am",
    "im",
    "vor",
    "beim",
    "und",
    "oder",
    "bei",
    "an",
    "auf",
    "morgens",
    "abends",
    "nachts",
    "früh",
    "morgen",
    "heute",
    "treffpunkt", // it
    "e",
    "di",
    "da",
    "davanti",
    "sotto",
    "presso",
    "alla",
    "allo",
    "nel",
    "nella",
    "poi",
    "domani",
    "stasera",
    "precise",
    "circa",
    "sera",
    "mattina",
    "ore",
    "alle",
    "dalle",
    "fino",
    "il",
    "gli",
    "ci",
    "ti",
    // es, fr, de subject pronouns and articles not listed above
    "el",
    "los",
    "las",
    "nos",
    "nous",
    "on",
    "les",
    "wir",
    "ich",
    "der",
    "die",
    "das",
];

#[derive(Debug)]
pub(crate) struct Clock {
    /// Matches that are times on their own.
    always: Vec<Regex>,
    /// A preposition and an hour (digits or a word); checked against what follows.
    prep_hour: Vec<Regex>,
    /// "0610": a zero-padded block; checked against the word before it.
    zero_block: Option<Regex>,
    /// German digits after a preposition ("um 10", "ab 4"): German capitalises nouns, so
    /// only a listed word or a phrase end may follow ("bis 10 Leute" is a count).
    prep_hour_de: Option<Regex>,
    /// A 24-hour block at a line start ("- 2100 doors open"), for time-led logs.
    line_block: Option<Regex>,
    /// A French hour with "h" and no minutes, with no preposition before it ("départ
    /// 14 h place de la Bastille", "rdv 18h devant la mairie", "demain 8 h"); checked
    /// against the words that make it a duration ("pendant 3 h", "3 h de route").
    h_hour: Option<Regex>,
    /// Italian hours in words after "alle"/"verso le": "Alle cinque eravamo in 120".
    /// Italian plural nouns end in -i or -e ("alle tre sorelle"): such a word after the
    /// hour makes it a count.
    it_word_hour: Option<Regex>,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        let h = DIGIT_HOUR;
        let b = BLOCK_HOUR;
        let always = [
            // 24-hour blocks with a unit: 0745 hours, 1900h, 2300hrs, 0600 hrs, 1400Z.
            format!(r"(?i)\b{b}[0-5]\d\s?(?:hours|hrs\.?|hr|h|z)\b"),
            // Ranges of 24-hour blocks: 1230-1315, 0900 to 1700 (years are weeded out in
            // `find`).
            format!(r"\b{b}[0-5]\d\s?(?:[-–]|\s(?i:to|until|till|bis|a|à|al|alle|et|y)\s)\s?{b}[0-5]\d\b"),
            // A departure named by its 24-hour time: "the 0800 bus", "the 1745 train"; the
            // noun is what makes it a time.
            format!(r"(?i)\bthe\s+{b}[0-5]\d\s+(?:bus|train|coach|ferry|flight|tram|service|departure|shift|sailing|boat)\b"),
            // English words: quarter to eight, ten past nine, twenty-five to 3.
            format!(r"(?i)\b(?:(?:{MINUTES_EN}|\d{{1,2}}\s+(?:minutes|mins))\s+(?:past|to|after|before)|\d{{1,2}}\s+past)\s+(?:{HOURS_EN}|1[0-2]|0?[1-9]|midnight|noon|midday)\b"),
            // seven o'clock, 11 o'clock.
            format!(r"(?i)\b(?:{HOURS_EN}|1[0-2]|0?[1-9])\s?o['’]?\s?clock\b"),
            // midnight / noon / midday, with the hedge before them ("just after midnight").
            r"(?i)\b(?:(?:just|shortly|right|soon|well)\s+)?(?:(?:after|before|past|gone|by|at|around|about|until|till|from)\s+)?(?:midnight|noon|midday)\b".to_string(),
            // 12-hour with dotted or spaced am/pm: 7 p.m., 10 a.m., 7pm, 7 pm.
            r"(?i)\b(?:1[0-2]|0?[1-9])(?:[:.][0-5]\d)?\s?(?:a\.\s?m\.|p\.\s?m\.|am\b|pm\b)".to_string(),
            // Spanish: (a) las ocho y media, las seis menos diez, la una y cuarto,
            // a las siete de la tarde, a las diez en punto. The longer branch (with the
            // part of the day) comes first: "a las cinco y media" alone is followed by
            // "de", which `duration` reads as "hours of".
            format!(r"(?i)\b(?:(?:a|sobre|hacia|desde|hasta|de|para|antes\s+de|después\s+de)\s+)?las?\s+(?:{HOURS_ES}|{h})(?:(?:\s+(?:y|menos)\s+(?:{MINUTES_ES}|\d{{1,2}}))?\s+(?:de\s+la\s+(?:mañana|tarde|noche|madrugada)|en\s+punto)|\s+(?:y|menos)\s+(?:{MINUTES_ES}|\d{{1,2}}))\b"),
            r"(?i)\b(?:(?:a|al|hasta\s+el|hasta\s+la|pasad[oa]s?\s+la|pasado\s+el|antes\s+de\s+la|antes\s+del|después\s+de\s+la|después\s+del|sobre\s+la|sobre\s+el|hacia\s+la|hacia\s+el)\s+)?(?:medianoche|mediodía)\b".to_string(),
            // French: 19 h 30, 6 h 30, 16 h 15, cinq heures et demie, neuf heures du soir.
            format!(r"(?i)\b(?:(?:à|a|vers|dès|des|avant|après|jusqu['’]à|de)\s+)?{h}\s?h\s?[0-5]\d\b"),
            format!(r"(?i)\b(?:(?:à|a|vers|dès|des|avant|après|jusqu['’]à)\s+)?(?:{HOURS_FR}|{h})\s+heures?(?:\s+(?:et\s+(?:demie|quart)|moins\s+(?:le\s+)?quart|[0-5]\d))?\s+(?:du\s+(?:matin|soir)|de\s+l['’]après-midi)\b"),
            format!(r"(?i)\b(?:(?:à|a|vers|dès|des|avant|après|jusqu['’]à)\s+)?(?:{HOURS_FR}|{h})\s+heures?\s+(?:et\s+(?:demie|quart)|moins\s+(?:le\s+)?quart)\b"),
            r"(?i)(?:\b(?:à|a|vers|dès|avant|après|jusqu['’]à)\s+|\bjusqu['’])(?:minuit|midi)\b|\bminuit\b".to_string(),
            // Round 17: "dix-neuf heures trente", "à 19 heures 30": hours with their minutes.
            format!(r"(?i)\b(?:(?:à|a|vers|dès|avant|après|jusqu['’]à|pour)\s+)?(?:{HOURS_FR_24}|{HOURS_FR}|{h})\s+heures?\s+(?:{MINUTES_FR}|[0-5]\d)\b"),
            format!(r"(?i)\b(?:à|a|vers|dès|avant|après|jusqu['’]à|pour|à\s+partir\s+de)\s+(?:{HOURS_FR_24})\s+heures?\b"),
            // à 19 h, vers 8 heures, à dix heures ("à 3 heures de route" is a distance).
            format!(r"(?i)\b(?:à|a|vers|dès|avant|après|jusqu['’]à|pour|à\s+partir\s+de)\s+(?:{HOURS_FR}|{h})\s?(?:h|heures?)\b"),
            // "la réunion de 20 h": after "de" only an afternoon or evening hour, since
            // "une marche de 3 h" is a duration.
            r"(?i)\b(?:de|du)\s+(?:1[3-9]|2[0-3])\s?h\b".to_string(),
            // French/Spanish ranges with "h" on both ends: entre 18 h et 20 h, de 10 h à 12 h 30.
            format!(r"(?i)\b(?:entre|de|dès)\s+{h}\s?h(?:\s?[0-5]\d)?\s+(?:et|à|a)\s+{h}\s?h(?:\s?[0-5]\d)?\b"),
            // English part of day after an hour: seven in the evening, 3 in the afternoon.
            format!(r"(?i)\b(?:{HOURS_EN}|1[0-2]|0?[1-9])(?:[:.][0-5]\d)?\s+(?:in\s+the\s+(?:morning|evening|afternoon)|at\s+night)\b"),
            // German: halb acht, Viertel nach sieben, zwanzig nach eins, dreiviertel acht,
            // sieben Uhr, gegen Mitternacht.
            format!(r"(?i)\b(?:(?:um|gegen|ab|bis|seit|vor|nach)\s+)?(?:(?:viertel|fünf|zehn|zwanzig|\d{{1,2}})\s+(?:nach|vor)\s+(?:halb\s+)?(?:{HOURS_DE}|1[0-2]|0?[1-9])|halb\s+(?:{HOURS_DE})|(?:dreiviertel|viertel)\s+(?:{HOURS_DE}))\b"),
            format!(r"(?i)\b(?:(?:um|gegen|ab|bis|seit)\s+)?(?:{HOURS_DE})\s+uhr\b"),
            r"(?i)\b(?:(?:um|gegen|ab|bis|nach|vor)\s+)?mitternacht\b".to_string(),
            // Italian: alle otto e mezza, alle 10 e un quarto, alle sette meno un quarto.
            format!(r"(?i)\b(?:alle|dalle|verso\s+le|prima\s+delle|dopo\s+le|entro\s+le|fino\s+alle|per\s+le)\s+(?:ore\s+)?(?:{HOURS_IT}|{h})\s+(?:e|meno)\s+(?:{MINUTES_IT}|\d{{1,2}})\b"),
            format!(r"(?i)\b(?:all['’]|dall['’]|verso\s+l['’])una(?:\s+(?:e|meno)\s+(?:{MINUTES_IT}))?\b"),
            r"(?i)\b(?:(?:a|verso|dopo|prima\s+di|fino\s+a|entro)\s+)?(?:mezzanotte|mezzogiorno)\b".to_string(),
            // Italian "ore 21", "ore 18.30" without "alle" (a count is "21 ore").
            format!(r"(?i)\bore\s+{h}(?:[.:][0-5]\d)?\b"),
            // A departure named by its clock time: "the 7.30 train", "the 6:15 bus".
            format!(r"(?i)\bthe\s+{h}[.:][0-5]\d\s+(?:bus|train|coach|ferry|flight|tram|service|departure|shift|sailing|boat)\b"),
        ];
        // A zero-padded 24-hour block standing alone ("- 0610-ish: van arrives"): no
        // count or year is written with a leading zero; codes are weeded out in `find`.
        let zero_block = compile(r"\b0\d[0-5]\d\b");
        let prep_hour = [
            // English: at six, by eight, at 0630, at 1742 (not "at 2000 metres").
            format!(
                r"(?i)\b(?:at|by|from|until|till|around|about|before|after)\s+(?:half\s+(?:{HOURS_EN})|{HOURS_PREP_EN}|{b}[0-5]\d)\b"
            ),
            // "half seven", "eight-thirty", "seven forty-five" (checked against a quantity noun).
            format!(r"(?i)\bhalf\s+(?:{HOURS_EN}|1[0-2]|[1-9])\b"),
            format!(
                r"(?i)\b(?:{HOURS_EN})[-\s](?:fifteen|thirty|forty[-\s]five|o['’]?five|twenty|forty|fifty)\b"
            ),
            // Spanish: a las ocho, sobre las nueve, antes de las nueve, para las diez.
            format!(
                r"(?i)\b(?:a|sobre|hacia|desde|hasta|para|antes\s+de|después\s+de|pasadas)\s+las?\s+(?:{HOURS_ES})\b"
            ),
            // German: um sieben, gegen acht.
            format!(r"(?i)\b(?:um|gegen)\s+(?:{HOURS_DE})\b"),
            // Italian: alle 19, alle ore 18, verso le nove, alle 18.30.
            format!(
                r"(?i)\b(?:alle|dalle|delle|verso\s+le|prima\s+delle|dopo\s+le|entro\s+le|fino\s+alle|per\s+le)\s+(?:ore\s+)?(?:{HOURS_IT}|{h}(?:[.:][0-5]\d)?)\b"
            ),
            // Opening words before a 24-hour block: "opens 0830", "from 0900".
            r"(?i)\b(?:opens|starts|start|begins|leave|leaves|closes)\s+0\d[0-5]\d\b".to_string(),
        ];
        Clock {
            always: always.iter().filter_map(|p| compile(p)).collect(),
            prep_hour: prep_hour.iter().filter_map(|p| compile(p)).collect(),
            zero_block,
            prep_hour_de: compile(&format!(
                r"(?i)\b(?:um|gegen|ab|bis)\s+{h}(?:[.:][0-5]\d)?\b"
            )),
            line_block: compile(&format!(
                r"(?m)^[ \t]*(?:[-*•]|\d{{1,2}}[.)])?[ \t]*({b}[0-5]\d)\b"
            )),
            h_hour: compile(&format!(r"\b{h}\s?h\b")),
            it_word_hour: compile(&format!(
                r"(?i)\b(?:alle|dalle|delle|verso\s+le|prima\s+delle|dopo\s+le|entro\s+le|fino\s+alle|per\s+le)\s+(?:ore\s+)?(?:{HOURS_IT})\b"
            )),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        for re in &self.always {
            for m in re.find_iter(text) {
                if !glued(text, m.start(), m.end())
                    && !year_range(m.as_str())
                    && !duration(text, m.end())
                    && !figurative(text, m.start(), m.as_str())
                {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.zero_block {
            for m in re.find_iter(text) {
                if !glued_chars(text, m.start(), m.end())
                    && !compound_after(text, m.end())
                    && !code_before(text, m.start())
                    && !in_digit_group(text, m.start(), m.end())
                    && !matches!(
                        next_word(text, m.end()).as_deref(),
                        Some("number" | "numbers" | "line" | "lines" | "prefix")
                    )
                {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.prep_hour_de {
            for m in re.find_iter(text) {
                let listed =
                    next_word(text, m.end()).is_some_and(|w| FREE_AFTER.contains(&w.as_str()));
                if !glued(text, m.start(), m.end())
                    && (crate::util::phrase_ends(text, m.end()) || listed)
                {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let (Some(re), true) = (&self.line_block, block_log(text)) {
            for caps in re.captures_iter(text) {
                if let Some(m) = caps.get(1) {
                    if !glued_chars(text, m.start(), m.end())
                        && !in_digit_group(text, m.start(), m.end())
                    {
                        push(out, Kind::DateTime, text, m.start(), m.end());
                    }
                }
            }
        }
        if let Some(re) = &self.h_hour {
            for m in re.find_iter(text) {
                if !glued(text, m.start(), m.end())
                    && !minutes_follow(text, m.end())
                    && !duration(text, m.end())
                    && !H_DURATION_BEFORE.contains(&prev_word(text, m.start()).as_str())
                    && !matches!(
                        next_word(text, m.end()).as_deref(),
                        Some("par" | "chaque" | "sur" | "each" | "a" | "am" | "pm")
                    )
                {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.it_word_hour {
            for m in re.find_iter(text) {
                let plural_noun = next_word(text, m.end()).is_some_and(|w| {
                    !FREE_AFTER.contains(&w.as_str())
                        && w.chars().count() > 2
                        && w.ends_with(['i', 'e'])
                });
                if !glued(text, m.start(), m.end()) && !plural_noun {
                    push(out, Kind::DateTime, text, m.start(), m.end());
                }
            }
        }
        for re in &self.prep_hour {
            for m in re.find_iter(text) {
                if glued(text, m.start(), m.end())
                    || !(free_after(text, m.end())
                        || zero_padded_block(m.as_str())
                        || romance_hour_before_any_word(text, m.as_str(), m.end()))
                {
                    continue;
                }
                if year_after_preposition(m.as_str()) {
                    continue;
                }
                push(out, Kind::DateTime, text, m.start(), m.end());
            }
        }
    }
}

/// Round 17: "a las ocho según el papel", "verso le 18.40 come sempre": a Spanish or
/// Italian hour after its article, or any hour with its minutes, is a time before any
/// word but a plural noun or a unit ("a las ocho familias", "alle 18.40 euro").
fn romance_hour_before_any_word(text: &str, found: &str, end: usize) -> bool {
    let lower = found.to_lowercase();
    let with_article = [" las ", " la ", " le ", "alle ", "dalle ", "delle "]
        .iter()
        .any(|a| lower.contains(a));
    let with_minutes = found
        .rsplit(|c: char| !c.is_ascii_digit() && c != '.' && c != ':')
        .next()
        .is_some_and(|t| t.len() >= 4 && t.contains(['.', ':']));
    let Some(next) = next_word(text, end) else {
        return false;
    };
    let plural_noun = next.chars().count() > 2 && next.ends_with(['s', 'i', 'e']);
    let unit = matches!(
        next.as_str(),
        "euro" | "eur" | "km" | "kg" | "m" | "per" | "por" | "pour" | "pro" | "percent"
    );
    // An hour with its minutes counts nothing: only a unit makes it a price or a measure.
    (with_minutes || (with_article && !plural_noun)) && !unit
}

/// Words before "3 h" that make it a length of time, not a clock time: "pendant 3 h",
/// "en 2 h", "il y a 2 h", "a duré 4 h", "for 3h", "took 2h".
const H_DURATION_BEFORE: &[&str] = &[
    "pendant", "durant", "en", "environ", "depuis", "dans", "toutes", "tous", "les", "des", "plus",
    "moins", "de", "sur", "a", "y", "duré", "dure", "durée", "tenu", "for", "took", "takes",
    "take", "about", "over", "last", "lasted", "spent", "every", "each", "the", "a", "un", "une",
    "nos", "ces", "quelque", "quelques", "max", "maximum", "minimum", "total", "than", "than",
];

/// "14 h 30", "14h30": minutes follow, and a longer pattern has the time.
fn minutes_follow(text: &str, end: usize) -> bool {
    text.get(end..).is_some_and(|r| {
        r.trim_start_matches(' ')
            .starts_with(|c: char| c.is_ascii_digit())
    })
}

fn glued(text: &str, start: usize, end: usize) -> bool {
    compound_after(text, end) || glued_chars(text, start, end)
}

/// "half seven-year-olds", "six-pack": a hyphen and a word make the number part of a
/// compound ("six-ish" is still a time).
fn compound_after(text: &str, end: usize) -> bool {
    text.get(end..).is_some_and(|r| {
        r.strip_prefix('-').is_some_and(|w| {
            w.starts_with(char::is_alphabetic) && !w.to_lowercase().starts_with("ish")
        })
    })
}

fn glued_chars(text: &str, start: usize, end: usize) -> bool {
    char_before(text, start).is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | ',' | '/'))
        || char_at(text, end)
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '%' | '€' | '$' | '£'))
        || text.get(end..).is_some_and(|r| {
            (r.starts_with('.') || r.starts_with(',') || r.starts_with(':'))
                && r[1..].starts_with(|c: char| c.is_ascii_digit())
        })
}

/// A log led by times: at least two lines start (after a list mark) with a colon time or a
/// 24-hour block that cannot be a year ("2100", "2315", "0700"). A list of years
/// ("- 1984 miners' strike", "- 2019 founded") is not one.
fn block_log(text: &str) -> bool {
    text.lines()
        .filter(|l| {
            let l = l.trim_start_matches([' ', '\t', '-', '*', '•', '[']);
            let digits: String = l.chars().take_while(char::is_ascii_digit).collect();
            let rest = &l[digits.len()..];
            let colon = (1..=2).contains(&digits.len())
                && rest.starts_with(':')
                && rest[1..].chars().take(2).all(|c| c.is_ascii_digit());
            let block = digits.len() == 4
                && digits
                    .parse::<u32>()
                    .is_ok_and(|n| n % 100 < 60 && n / 100 < 24 && !(1500..=2099).contains(&n));
            colon || block
        })
        .take(2)
        .count()
        >= 2
}

/// "0800 123 4567", "020 7946 0958": one group of a longer number.
fn in_digit_group(text: &str, start: usize, end: usize) -> bool {
    let before_group = crate::util::before(text, start, 2)
        .trim_end_matches([' ', '-', '.', '/'])
        .ends_with(|c: char| c.is_ascii_digit());
    let after_group = crate::util::after(text, end, 2)
        .trim_start_matches([' ', '-', '.', '/'])
        .starts_with(|c: char| c.is_ascii_digit());
    before_group || after_group
}

/// "PIN 0745", "room 0610", "no. 0830": a number that labels something.
fn code_before(text: &str, start: usize) -> bool {
    let head = crate::util::before(text, start, 3);
    if head.trim_end().ends_with(['#', '№', '+']) {
        return true;
    }
    let back = crate::util::before(text, start, 40);
    let back = back.trim_end().trim_end_matches(['.', ':', ' ']);
    matches!(
        prev_word(back, back.len()).as_str(),
        "pin"
            | "code"
            | "room"
            | "flat"
            | "unit"
            | "no"
            | "nr"
            | "number"
            | "ref"
            | "reference"
            | "ext"
            | "extension"
            | "account"
            | "acct"
            | "sort"
            | "order"
            | "invoice"
            | "ticket"
            | "case"
            | "page"
            | "p"
            | "pp"
            | "box"
            | "locker"
            | "door"
            | "gate"
            | "bay"
            | "route"
            | "line"
            | "bus"
            | "tel"
            | "phone"
            | "postcode"
            | "zip"
            | "cp"
            | "plz"
            | "cap"
            | "n"
            | "nº"
            | "numéro"
            | "número"
            | "numero"
            | "nummer"
            | "raum"
            | "zimmer"
            | "stanza"
            | "sala"
            | "salle"
            | "piso"
            | "puerta"
            | "porte"
    )
}

/// "the midnight oil", "le midi": a lone day-part word after an article is not a time.
fn figurative(text: &str, start: usize, found: &str) -> bool {
    let single = !found.trim().contains(char::is_whitespace);
    single
        && matches!(
            prev_word(text, start).as_str(),
            "the"
                | "a"
                | "this"
                | "that"
                | "le"
                | "el"
                | "la"
                | "il"
                | "der"
                | "die"
                | "das"
                | "every"
        )
}

/// "1200 hours of volunteering": a count of hours, not a time.
fn duration(text: &str, end: usize) -> bool {
    matches!(
        next_word(text, end).as_deref(),
        Some("of" | "per" | "each" | "de" | "d")
    )
}

/// "at 0630": nobody writes a count with a leading zero, so a zero-padded 24-hour
/// block after a preposition is a time whatever follows ("at 0630 the bakery run").
fn zero_padded_block(found: &str) -> bool {
    let reversed_tail: String = found
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    reversed_tail.len() == 4 && reversed_tail.ends_with('0')
}

/// "1914-1918" is a span of years, not 12:30-13:15.
fn year_range(s: &str) -> bool {
    let nums: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| p.len() == 4)
        .filter_map(|p| p.parse().ok())
        .collect();
    // Letters other than a joining word ("1914 to 1918") mean a unit: "1400Z-1500Z".
    let joined_by_word = s.split_whitespace().count() == 3;
    nums.len() == 2
        && (joined_by_word || !s.chars().any(char::is_alphabetic))
        && nums.iter().all(|n| (1500..=2099).contains(n))
}

/// "by 2030", "from 1990": a four-digit number after anything but "at" is a year.
fn year_after_preposition(s: &str) -> bool {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let year = digits.len() == 4
        && !digits.starts_with('0')
        && digits
            .parse::<u32>()
            .is_ok_and(|n| (1500..=2099).contains(&n));
    // Round 17: "verso le 18.40" has its minutes after a separator: no year is written so.
    let separated = s.contains(['.', ':']);
    year && !separated && !s.to_lowercase().starts_with("at ")
}

/// The hour is not followed by a noun that makes it a quantity ("at six people").
fn free_after(text: &str, end: usize) -> bool {
    if crate::util::phrase_ends(text, end) {
        return true;
    }
    match next_word(text, end) {
        None => false,
        Some(w) => {
            FREE_AFTER.contains(&w.as_str())
                || (text
                    .get(end..)
                    .is_some_and(|r| r.trim_start().starts_with(char::is_uppercase))
                    && !w.ends_with('s'))
        }
    }
}

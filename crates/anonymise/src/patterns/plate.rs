//! Vehicle registration plates.
//!
//! Only formats that are distinctive enough on their own are matched:
//! UK current (AB12 CDE), German (B-AB 1234, HH AB 123), French SIV
//! (AB-123-CD), Spanish (1234 BCD, consonants only) and the common US
//! seven-character shape (7ABC123). Old and vanity formats are left out.

use regex::Regex;

use super::push;
use crate::util::{char_at, char_before, compile};
use crate::{Finding, Kind};

/// Index of the German pattern in `Plate::patterns`.
const GERMAN: usize = 1;
/// Index of the first round-15 pattern in `Plate::patterns` (checked by [`plausible`]).
const ROUND15: usize = 7;

#[derive(Debug)]
pub(crate) struct Plate {
    patterns: Vec<Regex>,
    spanish: Option<Regex>,
    us_hyphen: Option<Regex>,
    /// A word that says a plate follows ("plate", "reg", "matrícula", "Kennzeichen").
    cue: Option<Regex>,
    /// What a plate of any country looks like after such a word.
    candidate: Option<Regex>,
    /// A service plate after such a word: a word in capitals, then letters and digits
    /// ("targhe POLIZIA F7421", "CC AB 123"), too long for `candidate`.
    service: Option<Regex>,
    /// A vehicle noun ("van", "coche", "Wagen"): weaker than a plate word, so what
    /// follows it must look more like a plate (see `after_cue`).
    vehicle: Option<Regex>,
    /// Round 17c: a plate in brackets after a vehicle ("the ute (HQT447)", "la Kangoo
    /// (la vieja, KNP 613)").
    bracketed: Option<Regex>,
}

/// Letter groups of standards, codes and formats that look like `ABC-1234`.
const NOT_US_PLATE: &[&str] = &[
    "ISO", "RFC", "DIN", "CVE", "USB", "PDF", "MP3", "MP4", "COVID", "SARS", "ANSI", "IEC", "IEEE",
    "NFC", "GPS", "SKU", "REF", "INV", "ORD", "TKT", "ISBN", "ISSN", "DOI", "PMID", "CAS", "UTC",
    "GMT", "CET", "NHS", "UFO", "HTTP", "TCP", "UDP", "SHA", "MD5", "AES",
];

/// Words between a cue and the plate that do not end the search ("plate number is").
const CUE_FILLER: &[&str] = &[
    "number", "no", "nr", "num", "is", "was", "era", "était", "war", "reads", "read", "of", "the",
    "a", "y", "and", "et", "und", "e", "o", "or", "es", "est", "ist", "è", "numéro", "número",
    "nummer", "numero", "de", "la", "le", "del", "della", "die", "das", "des", "plate", "plates",
    "van", "car", "une", "un", "ein", "eine", "una", "uno",
];

impl Plate {
    pub(crate) fn new() -> Plate {
        let patterns = [
            // UK: two letters, two digits (age identifier), three letters.
            r"\b[A-HJ-PR-Y][A-HJ-Y]\d{2}\s?[A-HJ-PR-Z]{3}\b",
            // Germany: district code, hyphen or space, 1-2 letters, 1-4 digits, optional E/H.
            r"\b[A-ZÄÖÜ]{1,3}[\- ][A-Z]{1,2}\s?[1-9]\d{0,3}[EH]?\b",
            // France SIV.
            r"\b[A-HJ-NP-TV-Z]{2}-\d{3}-[A-HJ-NP-TV-Z]{2}\b",
            // US (California and similar): digit, three letters, three digits.
            r"\b[1-9][A-Z]{3}\d{3}\b",
            // Italy since 1994: two letters, three digits, two letters (no I, O, Q, U).
            r"\b[A-HJ-NPR-TV-Z]{2}[ \-]?\d{3}[ \-]?[A-HJ-NPR-TV-Z]{2}\b",
            // Spain 1971-2000 (round 14): a province code, four digits, one or two letters,
            // hyphens or spaces ("M-8832-XY").
            r"\b(?:A|AB|AL|AV|B|BA|BI|BU|C|CA|CC|CE|CO|CR|CS|CU|GC|GE|GI|GR|GU|H|HU|IB|J|L|LE|LO|LU|M|MA|ML|MU|NA|O|OR|OU|P|PM|PO|S|SA|SE|SG|SO|SS|T|TE|TF|TO|V|VA|VI|Z|ZA)(?:-\d{4}-|[ ]\d{4}[ ])[A-Z]{1,2}\b",
            // Belgium since 2010 (round 14): a digit, three letters, three digits.
            r"\b[1-9]-[A-Z]{3}-\d{3}\b",
            // Round 15, national formats from their rules. Writers do not know which
            // letters a format leaves out, so these take any capital letters where the
            // shape itself is distinctive.
            // UK current with any letters, when the age identifier is one in use (02-29,
            // 51-79): "QZ02 LID".
            r"\b[A-Z]{2}(?:0[2-9]|[12]\d|5[1-9]|[67]\d)\s?[A-Z]{3}\b",
            // UK prefix (1983-2001, "P712 KWA") and suffix (1963-1983, "KWA 712P") plates.
            r"\b[A-HJ-NP-Y]\d{2,3} [A-Z]{3}\b",
            r"\b[A-Z]{3} \d{2,3}[A-HJ-NP-Y]\b",
            // France SIV and Italy with any letters ("VH-598-UV", "UV809LT").
            r"\b[A-Z]{2}-\d{3}-[A-Z]{2}\b",
            r"\b[A-Z]{2}\d{3}[A-Z]{2}\b",
            // France FNI (before 2009): number, letters, department ("601-OER-45", "4721 TW 93").
            r"\b\d{2,4}([ \-])[A-Z]{2,3}([ \-])(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])\b",
            // Netherlands side codes and Portugal (hyphenated letter and digit groups).
            r"\b(?:\d{2}-[A-Z]{3}-\d|\d-[A-Z]{3}-\d{2}|[A-Z]{2}-\d{3}-[A-Z]|[A-Z]-\d{3}-[A-Z]{2}|[A-Z]{3}-\d{2}-[A-Z]|\d-[A-Z]{2}-\d{3}|\d{3}-[A-Z]{2}-\d|[A-Z]{2}-\d{2}-[A-Z]{2}|\d{2}-[A-Z]{2}-\d{2}|\d{2}-\d{2}-[A-Z]{2}|[A-Z]{2}-\d{2}-\d{2}|\d{2}-[A-Z]{2}-[A-Z]{2}|[A-Z]{2}-[A-Z]{2}-\d{2})\b",
            // Switzerland: a canton and up to six digits, in two groups or five or more.
            r"\b(?:AG|AI|AR|BE|BL|BS|FR|GE|GL|GR|JU|LU|NE|NW|OW|SG|SH|SO|SZ|TG|TI|UR|VD|VS|ZG|ZH) ?(?:\d{1,3}[ '’]\d{3}|\d{5,6})\b",
            // Austria: district, hyphen, digits, letters ("W-48213 K").
            r"\b[A-Z]{1,2}-\d{4,5} ?[A-Z]{1,3}\b",
            // Ireland: year (and half), county, number ("191-D-48213", "08-KY-2217").
            r"\b\d{2}[12]?(?:-(?:C|CE|CN|CW|D|DL|G|KE|KK|KY|L|LD|LH|LK|LM|LS|MH|MN|MO|OY|RN|SO|T|TN|TS|W|WD|WH|WX|WW)-\d{1,6}| (?:C|CE|CN|CW|D|DL|G|KE|KK|KY|L|LD|LH|LK|LM|LS|MH|MN|MO|OY|RN|SO|T|TN|TS|W|WD|WH|WX|WW) \d{3,6})\b",
            // Denmark ("AB 12 345") and Czechia ("1A2 3456").
            r"\b[A-Z]{2} \d{2} \d{3}\b",
            r"\b\d[A-Z][A-Z0-9] \d{4}\b",
            // US state shapes: "8FRK215" is above; "4ZV0269" (digit, two letters, four
            // digits), Massachusetts "1ABC23", New Jersey "A12-BCD", Minnesota/Nevada
            // "492-KLD".
            r"\b[1-9][A-Z]{2}\d{4}\b",
            r"\b[1-9][A-Z]{3}\d{2}\b",
            r"\b[A-Z]\d{2}-[A-Z]{3}\b",
            r"\b\d{3}-[A-Z]{3}\b",
        ];
        let bracketed = compile(
            r"\((?:[^()\n]{0,24}?,[ \t]*)?([A-Z]{1,4}[- ]?\d{2,4}(?:[- ]?[A-Z]{1,3})?|\d{1,4}[- ]?[A-Z]{2,4}(?:[- ]?\d{1,3})?)\)",
        );
        Plate {
            // Keep positions stable (GERMAN indexes into this): a pattern that
            // failed to compile becomes one that never matches.
            patterns: patterns
                .iter()
                .filter_map(|p| compile(p).or_else(|| compile("[^\\s\\S]")))
                .collect(),
            // Spain since 2000: four digits and three consonants (no vowels, Ñ or Q).
            // A trailer ("remolque") or special vehicle carries an "R-"/"E-" in front.
            spanish: compile(r"\b(?:[RE][\s\-])?\d{4}[\s\-]?[BCDFGHJKLMNPRSTVWXYZ]{3}\b"),
            // US three letters and four digits with a hyphen (New York, Texas…); the letters
            // must not be a standard's or file's name ("ISO-9001", "RFC-5737").
            us_hyphen: compile(r"\b[A-Z]{3}[\- ]?\d{4}\b"),
            cue: compile(
                r"(?i)\b(?:number\s+plates?|plates?|licen[cs]e(?:\s+plates?)?|tags?|reg|rego|registration|matr[íi]culas?|plaques?|immatricul[ée]+e?s?|immatriculation|kennzeichen|nummernschild|targa|targhe|targat[oa]|kenteken|placas?|patentes?)\b",
            ),
            // Groups of up to five: the US "DL 48213" and Polish "WX 4821K" shapes.
            // Round 18: up to eight in one group, the Arizona and California "AE48213".
            candidate: compile(r"\b[A-Z0-9ÄÖÜ]{1,8}(?:[ \-][A-Z0-9ÄÖÜ]{1,6}){0,3}\b"),
            service: compile(r"^[A-Z]{2,8}[ \-][A-Z]{0,2}\d{3,6}[A-Z]{0,2}\b"),
            bracketed,
            vehicle: compile(
                r"(?i)\b(?:vans?|cars?|lorry|lorries|trucks?|pick-?ups?|motorbikes?|minibus|coche|furgonetas?|furg[óo]n|cami[óo]n|voitures?|camions?|camionnettes?|fourgons?|fourgonnettes?|wagen|autos?|transporter|lkw|furgon[ei]|furgoncino|macchina|combis?|camionetas?|minivans?|utes?|troopy|kombi|transit|sprinter|berlingo|kangoo|ducato|caddy|golf|polo|corsa|clio|panda|punto|qashqai|yaris|corolla|civic|fiesta|focus|astra|megane|mégane|trafic|jumper|boxer|doblò|multipla|motos?|motorcycles?|scooters?|motorino|roller|subaru|toyota|honda|nissan|mazda|hyundai|kia|chevy|chevrolet|dodge|jeep|prius|camry|outback|forester|tacoma|odyssey|sienna)\b",
            ),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        for (i, re) in self.patterns.iter().enumerate() {
            for m in re.find_iter(text) {
                let german = i == GERMAN;
                if glued(text, m.start(), m.end())
                    || (german && german_false_friend(m.as_str()))
                    || (i >= ROUND15 && !plausible(m.as_str()))
                {
                    continue;
                }
                push(out, Kind::LicencePlate, text, m.start(), m.end());
            }
        }
        if let Some(re) = &self.us_hyphen {
            for m in re.find_iter(text) {
                let letters = m.as_str().get(..3).unwrap_or("");
                // Without a hyphen ("ABC 1234", "ABC1234", round 15) the digits must not be
                // a year ("COP 2025") and the letters not a word in capitals.
                let hyphen = m.as_str().contains('-');
                let digits = m.as_str().get(m.as_str().len() - 4..).unwrap_or("");
                let year = digits
                    .parse::<u32>()
                    .is_ok_and(|y| (1900..=2099).contains(&y));
                if (!hyphen && (year || NOT_PLATE_WORDS.contains(&letters)))
                    || !plausible(m.as_str())
                {
                    continue;
                }
                if !NOT_US_PLATE.contains(&letters) && !glued(text, m.start(), m.end()) {
                    push(out, Kind::LicencePlate, text, m.start(), m.end());
                }
            }
        }
        self.after_cue(text, out, &self.cue, 1);
        self.after_cue(text, out, &self.vehicle, 2);
        if let Some(re) = &self.bracketed {
            for caps in re.captures_iter(text) {
                let (Some(whole), Some(plate)) = (caps.get(0), caps.get(1)) else {
                    continue;
                };
                let s = plate.as_str();
                let digits = s.chars().filter(char::is_ascii_digit).count();
                let letters = s.chars().filter(char::is_ascii_uppercase).count();
                let near = crate::util::before(text, whole.start(), 80);
                let vehicle = [&self.vehicle, &self.cue]
                    .iter()
                    .any(|re| re.as_ref().is_some_and(|re| re.is_match(near)));
                if digits >= 2 && letters >= 2 && vehicle {
                    push(out, Kind::LicencePlate, text, plate.start(), plate.end());
                }
            }
        }
        if let Some(re) = &self.spanish {
            for m in re.find_iter(text) {
                // "2023 CGT": a year followed by an acronym, not a plate.
                let year = m
                    .as_str()
                    .get(..4)
                    .and_then(|y| y.parse::<u32>().ok())
                    .is_some_and(|y| (1900..=2099).contains(&y));
                // "coche gris, 1987 GTB": after a vehicle or plate word the year shape is a
                // plate after all.
                let year = year && !self.vehicle_before(text, m.start());
                if year || glued(text, m.start(), m.end()) {
                    continue;
                }
                push(out, Kind::LicencePlate, text, m.start(), m.end());
            }
        }
    }
}

impl Plate {
    /// After a plate word, the next letters-and-digits group (or groups joined by "and")
    /// is a plate in whatever national format: mixed letters and digits, 4-9 of them.
    ///
    /// After a vehicle noun the group needs at least `min_each` letters and as many digits
    /// ("van KXM 4471" but not "car BMW X5").
    fn after_cue(&self, text: &str, out: &mut Vec<Finding>, cue: &Option<Regex>, min_each: usize) {
        let (Some(cue), Some(candidate)) = (cue, &self.candidate) else {
            return;
        };
        for c in cue.find_iter(text) {
            let window = crate::util::after(text, c.end(), 60);
            let mut pos = 0;
            // At most a few words of filler, two plates ("matrículas X y Y").
            let mut found = 0;
            for _ in 0..8 {
                let rest = &window[pos..];
                let skip = rest.len()
                    - rest
                        .trim_start_matches([' ', '\t', ':', '(', '#', '"', '“', ','])
                        .len();
                let rest = &rest[skip..];
                pos += skip;
                if let Some(m) = candidate.find(rest).filter(|m| m.start() == 0) {
                    let s = m.as_str();
                    let alnum = s.chars().filter(|c| c.is_alphanumeric()).count();
                    let digits = s.chars().filter(char::is_ascii_digit).count();
                    let abs = c.end() + pos;
                    if (4..=9).contains(&alnum)
                        && digits >= min_each
                        && alnum - digits >= min_each
                        && !glued(text, abs, abs + m.end())
                    {
                        push(out, Kind::LicencePlate, text, abs, abs + m.end());
                        found += 1;
                        pos += m.end();
                        if found == 2 {
                            break;
                        }
                        continue;
                    }
                }
                // Only when no ordinary plate shape starts here ("GF 721 KD" stays whole),
                // and only after a plate word: after "car" it would be a model ("BMW 320").
                let service = (min_each == 1)
                    .then_some(())
                    .and(self.service.as_ref())
                    .and_then(|re| re.find(rest));
                if let Some(m) =
                    service.filter(|m| !glued(text, c.end() + pos, c.end() + pos + m.end()))
                {
                    let abs = c.end() + pos;
                    push(out, Kind::LicencePlate, text, abs, abs + m.end());
                    found += 1;
                    pos += m.end();
                    if found == 2 {
                        break;
                    }
                    continue;
                }
                let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
                if word.is_empty() || !CUE_FILLER.contains(&word.to_lowercase().as_str()) {
                    break;
                }
                pos += word.len();
            }
        }
    }
}

impl Plate {
    /// A vehicle or plate word in the few words before `pos` ("coche gris, 1987 GTB").
    fn vehicle_before(&self, text: &str, pos: usize) -> bool {
        let window = crate::util::before(text, pos, 32);
        [&self.vehicle, &self.cue]
            .iter()
            .any(|re| re.as_ref().is_some_and(|re| re.is_match(window)))
    }
}

fn glued(text: &str, start: usize, end: usize) -> bool {
    char_before(text, start)
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '/' | '.' | '@'))
        || char_at(text, end).is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '/' | '@'))
}

/// Shapes the German pattern also matches in ordinary prose: a capitalised
/// word fragment such as "A 1" or room/route codes written with a space
/// ("Raum B 12", "U 8"). A real plate has a 1-3 letter district and at least
/// three characters after it.
fn german_false_friend(s: &str) -> bool {
    let Some((district, rest)) = s.split_once(['-', ' ']) else {
        return true;
    };
    let rest_len = rest.chars().filter(|c| !c.is_whitespace()).count();
    let hyphen = s.contains('-');
    // With a space instead of the hyphen, demand the full letters+digits shape.
    let letters = rest.chars().take_while(char::is_ascii_uppercase).count();
    // With a hyphen and a district of two or three letters, "BYL-W 2" (round 15).
    let short_ok = hyphen && district.chars().count() >= 2 && rest_len == 2 && letters == 1;
    district.is_empty()
        || (rest_len < 3 && !short_ok)
        || (!hyphen && (letters == 0 || rest_len < 4))
}

/// Letter groups that are words, units or codes in capitals, not plate letters.
const NOT_PLATE_WORDS: &[&str] = &[
    "AND", "THE", "FOR", "NOT", "ALL", "BUT", "ARE", "WAS", "YOU", "HAS", "HAD", "OUR", "NEW",
    "NOW", "ONE", "TWO", "SIX", "TEN", "EUR", "USD", "GBP", "CHF", "SEK", "DKK", "PLN", "KWH",
    "MHZ", "GHZ", "RPM", "AGE", "TEL", "FAX", "BOX", "APT", "VOL", "REF", "INV", "NUM", "TOP",
    "ART", "SEC", "PAG", "PAR", "VIA", "LOT", "ROW", "BUS", "GEN", "FEB", "MAR", "APR", "JUN",
    "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "JAN", "MAY", "ENE", "ABR", "AGO", "DIC", "OTT",
    "MAG", "GIU", "LUG", "SET", "MAI", "OKT", "DEZ", "AVR", "JUI", "AOU", "DIS", "SUM", "TOT",
    "PIN", "CVV", "ZIP", "TAN", "PIC", "IMG", "DSC", "LOG", "WEB", "APP", "RTX", "GTX", "VAT",
    "IVA", "TVA", "MWST", "NIF", "NIE", "DNI", "CIF", "ST", "ND", "RD", "TH",
];

/// A round-15 shape is no plate when a letter group is a month, a currency, an ordinary
/// word in capitals ("01-JAN-25", "250 EUR 12") or, written with spaces, a unit ("15 MB 20").
fn plausible(s: &str) -> bool {
    let groups: Vec<String> = s
        .split(|c: char| !c.is_ascii_alphanumeric())
        .flat_map(split_letters)
        .collect();
    !groups.iter().any(|g| {
        g.chars().all(|c| c.is_ascii_uppercase())
            && (NOT_PLATE_WORDS.contains(&g.as_str())
                || !s.contains('-')
                    && matches!(
                        g.as_str(),
                        "AM" | "PM"
                            | "KM"
                            | "KG"
                            | "MB"
                            | "GB"
                            | "TB"
                            | "CM"
                            | "MM"
                            | "ML"
                            | "HP"
                            | "KW"
                            | "PS"
                            | "CV"
                    ))
    })
}

/// The runs of letters inside a group ("1ABC23" -> "ABC").
fn split_letters(group: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in group.chars() {
        if c.is_ascii_uppercase() {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

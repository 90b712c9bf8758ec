//! Word lists and cue phrases for [`super`]: the embedded data files and
//! the small closed lists of titles, particles and cues.

use std::collections::HashSet;

pub(super) const FIRST_NAMES: &str = include_str!("../../data/first_names.txt");
pub(super) const SURNAMES: &str = include_str!("../../data/surnames.txt");
pub(super) const AMBIGUOUS: &str = include_str!("../../data/ambiguous_names.txt");
pub(super) const NOT_NAMES: &str = include_str!("../../data/not_names.txt");

pub(super) const TITLES: &[&str] = &[
    // French "Me" (maître, a lawyer): only before a name-like word (see `after_title`).
    "me",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "sr",
    "sra",
    "srta",
    "d",
    "dña",
    "dna",
    "doña",
    "don",
    "herr",
    "herrn",
    "frau",
    "m",
    "mme",
    "mlle",
    "maître",
    "maitre",
    "pc",
    "dc",
    "sgt",
    "cllr",
    "brother",
    "sister",
    "sir",
    "dame",
    "rev",
    "imam",
    "sheikh",
    "señor",
    "señora",
    "monsieur",
    "madame",
    "signor",
    "signora",
    "pan",
    "pani",
    "auntie",
    "uncle",
    "tía",
    "tia",
    "tío",
    "tio",
    "tante",
    "onkel",
    "father",
    "officer",
    "inspector",
    "judge",
    "richterin",
    "richter",
    "abogada",
    "abogado",
    "avocate",
    "avocat",
    "councillor",
    "director",
    "nurse",
    "comrade",
    "compañera",
    "compañero",
    // it
    "sig",
    "dott",
    "dottoressa",
    "dottor",
    "dottore",
    "professore",
    "doctora",
    "profesora",
    "profesor",
    "avv",
    "avvocato",
    "avvocata",
    "ispettore",
    "ispettrice",
    "maresciallo",
    "professoressa",
    "zia",
    "zio",
    // Round 17: police ranks, and the family words that stand before a given name ("Oma
    // Hilde", "Mamie Jeanne", "nonna Pina").
    "ds",
    "dci",
    "mtra",
    "mtro",
    "lic",
    "licda",
    "ing",
    "arq",
    "pcso",
    "insp",
    "vicequestore",
    "questore",
    "commissario",
    "brigadiere",
    "oma",
    "opa",
    "mamie",
    "papi",
    "papy",
    "tonton",
    "nonna",
    "nonno",
    "granny",
    "grandma",
    "grandpa",
    "aunty",
    "abuela",
    "abuelo",
];

/// Titles that Spanish, French and Italian write in lowercase before a surname ("la
/// abogada Iglesias", "l'avvocato Ferri", "el señor García"); English lowercase titles
/// ("the officer said") are not enough on their own.
pub(super) const LOWER_TITLES: &[&str] = &[
    "señor",
    // Round 14: abbreviated Spanish titles typed in lower case ("sr. Ferrer").
    "sr",
    "sra",
    "srta",
    "señora",
    "abogada",
    "abogado",
    "doña",
    "don",
    "madame",
    "monsieur",
    "maître",
    "avocate",
    "avocat",
    "signor",
    "signora",
    "avvocato",
    "avvocata",
    "dottoressa",
    "dott",
    "dottor",
    "dottore",
    "professore",
    "professoressa",
    "doctora",
    "profesora",
    "ispettore",
    "ispettrice",
    "maresciallo",
    // Round 10: office holders and clergy written in lowercase before a name ("l'assessora
    // Bianchi", "el padre Ignacio", "la concejala Ruiz").
    "assessora",
    "assessore",
    "consigliera",
    "consigliere",
    "sindaca",
    "sindaco",
    "concejala",
    "concejal",
    "alcaldesa",
    "alcalde",
    "conseillère",
    "conseiller",
    "maire",
    "juge",
    "jueza",
    "juez",
    "giudice",
    "commissaire",
    "comisaria",
    "comisario",
    "commissario",
    "inspectora",
    "padre",
    "fray",
    "sor",
    "suor",
    "frère",
    "abbé",
    // Round 15: legal and notarial professions written in lowercase before a surname
    // ("la letrada Cuevas", "le notaire Vidal", "il notaio Ferri").
    "letrada",
    "letrado",
    "procuradora",
    "procurador",
    "notaria",
    "notario",
    "notaire",
    "huissier",
    "huissière",
    "greffière",
    "greffier",
    "notaio",
    "magistrada",
    "magistrado",
    "magistrato",
    // Round 17: abbreviated and police titles, family words typed in lowercase ("avv.
    // Ottaviano", "vicequestore Ferlito", "nonna Pina", "la tía Carmen").
    "avv",
    "prof",
    "vicequestore",
    "questore",
    "brigadiere",
    "nonna",
    "nonno",
    "tía",
    "tío",
    "tia",
    "tio",
    "abuela",
    "abuelo",
    "mamie",
    "tonton",
    "oma",
    "opa",
];

/// Elided articles and prepositions glued to the next word ("l'avvocato", "dell'avvocata").
pub(super) const ELISIONS: &[&str] = &[
    "l'", "l’", "d'", "d’", "dell'", "dell’", "all'", "all’", "dall'", "dall’", "nell'", "nell’",
    "sull'", "sull’", "un'", "un’", "qu'", "qu’",
];

/// Given names that are also countries, states or cities ("Jordan", "Florence"): in a
/// list of places they are places.
pub(super) const PLACE_NAMES: &[&str] = &[
    "jordan",
    "florence",
    "georgia",
    "chelsea",
    "sydney",
    "austin",
    "adelaide",
    "victoria",
    "savannah",
    "madison",
    "charlotte",
    "virginia",
    "carolina",
    "lourdes",
    "regina",
    "dallas",
    "devon",
    "valencia",
    "montserrat",
    "santiago",
    "lincoln",
    "chester",
    "florida",
    "verona",
    "siena",
    "sofia",
    "lorraine",
    "alexandria",
    "helena",
];

/// Month words that are also given names; stop words alone, names before a surname.
pub(super) const MONTH_NAMES: &[&str] = &["jan", "may", "june", "april", "august"];

/// Welsh "ap"/"ab", Irish "Ó", "Ní", "Nic", "Mac" and Italian "della", "dei", "degli"
/// were added in round 18 ("Rhys ap Gwilym", "Mairtín Ó Floinn").
pub(super) const PARTICLES: &[&str] = &[
    "de", "del", "van", "von", "der", "den", "da", "di", "du", "la", "le", "bin", "ibn", "al",
    "el", "dos", "das", "ter", "ten", "zu", "y", "e", "ap", "ab", "ó", "ní", "nic", "mac", "della",
    "dei", "degli",
];

/// Phrases right before a run that mark it as a person.
pub(super) const CUES_BEFORE: &[&str] = &[
    "my name is",
    "name is",
    "called",
    "named",
    "said",
    "spoke to",
    "speaking to",
    "talked to",
    "talk to",
    "according to",
    "i'm",
    "i am",
    "ask for",
    "asked for",
    "thanks",
    "thank you",
    "thanks to",
    "soy",
    "me llamo",
    "se llama",
    "llamado",
    "llamada",
    "ich bin",
    "heiße",
    "je suis",
    "je m'appelle",
    "s'appelle",
    "familie",
    "family",
    "famille",
    "familia",
    "famiglia",
    "gracias a",
    "merci à",
    "danke an",
    "hablaron con",
    "habló con",
    "dijo",
    "sagte",
    "a dit",
    "mi chiamo",
    "si chiama",
    "grazie a",
    "ha parlato con",
    "abbiamo sentito",
    "met with",
    "spoke with",
    "rang",
    "ring",
    "text",
    "call",
    "contact",
    "cc",
    "from",
    "by",
    "with",
    "to",
    "for",
];

/// Weak cues (prepositions) only count when the run also has some name
/// evidence; the strong ones above the "rang" entry count on their own.
pub(super) const WEAK_CUES: &[&str] = &[
    "rang", "ring", "text", "call", "contact", "cc", "from", "by", "with", "to", "for",
];

pub(super) const SAID_AFTER: &[&str] = &[
    "said",
    "says",
    "asked",
    "told",
    "explained",
    "added",
    "replied",
    "dijo",
    "dice",
    "sagte",
    "meinte",
    "a dit",
    "ha detto",
    "disse",
    "ha chiesto",
];

// No "a"/"an": they are also the Spanish "a" and German "an" (to) before names.
pub(super) const ARTICLES: &[&str] = &[
    "the", "la", "el", "los", "las", "le", "les", "der", "die", "das", "il", "lo",
];

/// Words from the sections of `not_names.txt` whose header starts with
/// "# Organisations" or "# Places": a name-looking word right after one of
/// these is part of an institution's name ("Fondation Abbé Pierre").
pub(super) fn org_place_set(data: &str) -> HashSet<String> {
    let mut in_section = false;
    let mut out = HashSet::new();
    for line in data.lines() {
        let line = line.trim_start();
        if let Some(header) = line.strip_prefix('#') {
            let header = header.trim_start();
            in_section = header.starts_with("Organisations") || header.starts_with("Places");
            continue;
        }
        if in_section {
            out.extend(line.split_whitespace().map(str::to_lowercase));
        }
    }
    out
}

pub(super) fn word_set(data: &str) -> HashSet<String> {
    data.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .map(str::to_lowercase)
        .collect()
}

/// A set of lowercased names that also answers for a word written with accents its list
/// leaves out, or without the accents it has ("siobhán" for "siobhan", "yılmaz" for
/// "yilmaz", "jose" for "josé"): writers and keyboards differ, the person does not.
#[derive(Debug, Default)]
pub(crate) struct NameSet(HashSet<String>);

impl NameSet {
    pub(crate) fn new(words: HashSet<String>) -> NameSet {
        let folded: Vec<String> = words.iter().map(|w| fold(w)).collect();
        let mut set = words;
        set.extend(folded);
        NameSet(set)
    }

    pub(crate) fn contains(&self, lower: &str) -> bool {
        // An ASCII word folds to itself: no second lookup, no allocation.
        self.0.contains(lower) || (!lower.is_ascii() && self.0.contains(&fold(lower)))
    }
}

/// A word without its diacritics: decomposed, combining marks dropped, and the Latin
/// letters that do not decompose mapped to their base ("ı", "ł", "ø", "đ").
pub(crate) fn fold(word: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'ı' => 'i',
            'ł' => 'l',
            'ø' => 'o',
            'đ' => 'd',
            other => other,
        })
        .collect()
}

//! Names found from the shape of the whole text rather than from one run of tokens.
//!
//! Held-out sets kept showing names outside every list ("Bakary", "Paqui", "aylin" in a
//! chat) that a reader still knows are people from their place in the text. Rules:
//! 1. *Speakers*: in a chat log ("Kemi: who's on the gate"), a word that leads three or
//!    more lines before a colon and leads two of them, or is a known given name, is a
//!    person.
//! 2. *Echoes*: a word already taken for a one-word name (or a speaker) is a name
//!    wherever else the text writes it capitalised, and in lowercase in chat-style texts.
//! 3. *Coordination*: a capitalised word joined by "and"/"y"/"et"/"und"/"e"/"+"/"&" to a
//!    name is a name too ("Wren + Jacqui", "Olu and Jess").
//! 4. *Naming cues*: a capitalised word after "ask", "pregunta a", "chiedi a", "frag",
//!    "merci à", "thanks to"… is a name.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::{is_informal, Names};
use crate::patterns::push;
use crate::util::compile;
use crate::{Finding, Kind};

/// Line-leading labels that are not speakers.
const LABELS: &[&str] = &[
    "update",
    "alert",
    "note",
    "notes",
    "date",
    "time",
    "where",
    "when",
    "who",
    "what",
    "re",
    "subject",
    "from",
    "to",
    "cc",
    "location",
    "lugar",
    "hora",
    "fecha",
    "ort",
    "zeit",
    "datum",
    "luogo",
    "ora",
    "data",
    "lieu",
    "heure",
    "maj",
    "alerta",
    "actualización",
    "alarm",
    "agenda",
    "action",
    "actions",
    "contact",
    "phone",
    "email",
    "address",
    "total",
    "meeting",
    "venue",
    "point",
    "todo",
    "done",
    "info",
    "status",
    "result",
    "aviso",
    "achtung",
    "attention",
    "urgent",
    "urgente",
    "nota",
    "tel",
    "web",
    "url",
    "ps",
];

/// Words right before a capitalised word that make it a person.
const NAMING_CUES: &[&str] = &[
    "ask",
    "ask for",
    "asked",
    "tell",
    "ring",
    "text",
    "thanks to",
    "thank",
    "cheers",
    "pregunta a",
    "pregunta por",
    "preguntad por",
    "preguntar por",
    "avisa a",
    "habla con",
    "gracias a",
    "demande à",
    "demandez à",
    "demander à",
    "merci à",
    "chiedi a",
    "chiedete a",
    "chiedere a",
    "grazie a",
    "frag",
    "fragt",
    "danke an",
    "dixit",
    "secondo",
    "selon",
    "según",
    // Round 10: a host's home, a family name after the family word, and calling verbs
    // ("chez Corinne", "Familie Nowak", "préviens Yacine").
    "chez",
    "en casa de",
    "a casa de",
    "a casa di",
    "familie",
    "family",
    "famille",
    "familia",
    "famiglia",
    "call",
    "préviens",
    "prévenir",
    "appelle",
    "appelez",
    "llama a",
    "llamad a",
    "chiama",
    "avvisa",
    "avvisate",
    // Round 12: the heads of an attendance list ("Anwesend: Dilara, Bernd Kowalczyk").
    "anwesend:",
    "present:",
    "presentes:",
    "asistentes:",
    "présents:",
    "présentes:",
    "presenti:",
    "attendees:",
    "attending:",
    "teilnehmende:",
    "partecipanti:",
    // Family and neighbour words: "il figlio Tonio", "her son Kwabena", "mi vecina Lupe".
    "son",
    "daughter",
    "wife",
    "husband",
    "partner",
    "brother",
    "sister",
    "mother",
    "father",
    "mum",
    "mom",
    "dad",
    "aunt",
    "aunty",
    "auntie",
    "uncle",
    "cousin",
    "nephew",
    "niece",
    "grandson",
    "granddaughter",
    "neighbour",
    "neighbor",
    "hijo",
    "hija",
    "mujer",
    "marido",
    "esposa",
    "esposo",
    "hermano",
    "hermana",
    "madre",
    "padre",
    "tía",
    "tío",
    "primo",
    "prima",
    "sobrino",
    "sobrina",
    "nieto",
    "nieta",
    "vecino",
    "vecina",
    "fils",
    "fille",
    "femme",
    "frère",
    "sœur",
    "mère",
    "père",
    "tante",
    "oncle",
    "neveu",
    "nièce",
    "voisin",
    "voisine",
    "figlio",
    "figlia",
    "moglie",
    "marito",
    "fratello",
    "sorella",
    "zia",
    "zio",
    "cugino",
    "cugina",
    "nipote",
    "vicino",
    "vicina",
    "sohn",
    "tochter",
    "bruder",
    "schwester",
    "mutter",
    "vater",
    "onkel",
    "cousine",
    "neffe",
    "nichte",
    "nachbar",
    "nachbarin",
    "enkel",
    "enkelin",
];

/// An article and a religious or family title right before a name.
static TITLE_WITH_ARTICLE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)\b(?:le|la|el|il|lo|der|die)[ \t]+(?:père|mère|frère|sœur|soeur|padre|madre|hermano|hermana|fratello|sorella|Pater|Bruder|Schwester)[ \t]+$",
    )
});

/// A line led by a speaker: "Kemi: …", "[10:02] Dan: …", and (round 16) with where they
/// speak from in brackets: "Ludo (Liège) : …".
static SPEAKER_LINE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?m)^[ \t]*(?:\[[^\]\n]{1,12}\][ \t]*)?(\p{L}[\p{L}'’\-]{1,19})(?:[ \t]*\([^()\n]{1,30}\))?[ \t]*:[ \t]",
    )
});

/// Two-letter capitalised words that are not short names ("Bo", "Jo", "Ed" are).
const SHORT_WORDS: &[&str] = &[
    "co", "so", "or", "an", "as", "at", "by", "do", "go", "he", "if", "in", "is", "it", "me", "my",
    "no", "of", "on", "oh", "ok", "to", "up", "us", "we", "tv", "uk", "us", "eu", "pc", "dj", "mp",
    "gp", "la", "le", "el", "il", "de", "da", "di", "du", "en", "et", "un", "es", "ya", "yo", "tu",
    "mi", "si", "se", "te", "lo", "al", "ne", "ce", "je", "il", "on", "ma", "ta", "sa", "er", "es",
    "du", "zu", "im", "am", "um", "ab", "so", "wo", "ob", "ja", "ok", "vs", "ps", "re", "fr", "mo",
    "ng", "di", "mi", "do", "sa",
];

const CONJUNCTIONS: &[&str] = &["and", "y", "et", "und", "e", "+", "&"];

impl Names {
    /// Adds the names rules 1-4 of the module docs find, given the candidates found so far.
    pub(crate) fn find_in_context(&self, text: &str, out: &mut Vec<Finding>) {
        let tokens = self.tokens(text);
        let informal = is_informal(&tokens);
        // Round 14: German writes its nouns capitalised ("Verletzte Person", "Abfahrt
        // Lager"), so there two capitalised words are a name only if a list knows one.
        let german = is_german(&tokens);
        let places: Vec<(usize, usize)> = out
            .iter()
            .filter(|f| f.kind == Kind::Address)
            .map(|f| (f.start, f.end))
            .collect();
        let cap_joined = |a: Option<&super::Token>, b: Option<&super::Token>| match (a, b) {
            (Some(a), Some(b)) => a.cap && b.cap && text.get(a.end..b.start) == Some(" "),
            _ => false,
        };
        // Starts of the tokens taken for names in this pass, so that a name found by a
        // cue carries a coordinated one ("préviens Yacine et Fofana").
        let mut named_here: HashSet<usize> = HashSet::new();
        let mut known: HashSet<String> = HashSet::new();
        // Round 12: a member alias or a person already found is a person to coordinate
        // with ("Santi y Tejón imprimen", where Tejón is an alias), even at the start of
        // a list item.
        let people: Vec<(usize, usize)> = out
            .iter()
            .filter(|f| matches!(f.kind, Kind::PersonName | Kind::MemberAlias))
            .map(|f| (f.start, f.end))
            .collect();
        let found_person =
            |o: &super::Token| people.iter().any(|&(s, e)| s <= o.start && o.end <= e);
        for f in out.iter().filter(|f| f.kind == Kind::PersonName) {
            let words: Vec<&str> = f.text.split_whitespace().collect();
            // Round 10: the surname of a full name is that person wherever the text writes
            // it again ("Ms Harriet Lowe … Lowe & Partners").
            if let [first, .., last] = words.as_slice() {
                let lower = last.to_lowercase();
                // Not after an initial ("W. Vino" may be coordinates and a verb) nor in
                // a saint's name ("San Lorenzo" names a district).
                let initial = first.chars().count() == 1
                    || (first.ends_with('.') && first.chars().count() == 2);
                let saint = [
                    "San", "Santa", "Santo", "Saint", "Sainte", "Sankt", "São", "St",
                ]
                .contains(first);
                if !initial
                    && !saint
                    && lower.chars().count() >= 4
                    && last.starts_with(char::is_uppercase)
                    && !self.stop.contains(&lower)
                    && !self.ambiguous.contains(&lower)
                    && !super::lists::TITLES.contains(&lower.as_str())
                {
                    known.insert(lower);
                }
            }
            if let [one] = words.as_slice() {
                let lower = one.to_lowercase();
                if lower.chars().count() >= 3
                    && !self.stop.contains(&lower)
                    && !self.ambiguous.contains(&lower)
                {
                    known.insert(lower);
                }
            }
        }
        self.speakers(text, &mut known);
        let is_name_word = |lower: &str, cap: bool| {
            known.contains(lower) && (cap || informal) && !self.stop.contains(lower)
        };
        for (i, t) in tokens.iter().enumerate() {
            let all_caps = text
                .get(t.start..t.end)
                .is_some_and(|s| s.chars().count() > 1 && !s.chars().any(char::is_lowercase));
            if all_caps {
                continue;
            }
            if is_name_word(&t.lower, t.cap) {
                push(out, Kind::PersonName, text, t.start, t.end);
                continue;
            }
            let short_ok = t.lower.chars().count() == 2 && !SHORT_WORDS.contains(&t.lower.as_str());
            let plain = t.cap
                && !t.initial
                && (t.lower.chars().count() >= 3 || short_ok)
                && !self.stop.contains(&t.lower)
                && !super::lists::TITLES.contains(&t.lower.as_str());
            if !plain {
                continue;
            }
            let is_name_tok = |o: &super::Token| {
                known.contains(&o.lower) || self.is_clear_first(o) || found_person(o)
            };
            let conj_word = |o: &super::Token| CONJUNCTIONS.contains(&o.lower.as_str());
            let symbol_gap = |a: &super::Token, b: &super::Token| {
                text.get(a.end..b.start)
                    .is_some_and(|g| matches!(g.trim(), "+" | "&"))
            };
            let prev = i.checked_sub(1).and_then(|p| tokens.get(p));
            let prev2 = i.checked_sub(2).and_then(|p| tokens.get(p));
            let next = tokens.get(i + 1);
            let next2 = tokens.get(i + 2);
            let coordinated = prev.is_some_and(|p| symbol_gap(p, t) && is_name_tok(p))
                || next.is_some_and(|n| symbol_gap(t, n) && is_name_tok(n))
                || (prev.is_some_and(conj_word)
                    && prev2.is_some_and(|p| is_name_tok(p) || named_here.contains(&p.start)))
                || (next.is_some_and(conj_word) && next2.is_some_and(|n| n.cap && is_name_tok(n)))
                // Round 12: the first of a list of names, before a found one.
                || (next.is_some_and(|n| {
                    text.get(t.end..n.start) == Some(", ") && n.cap && found_person(n)
                }) && prev.is_none_or(|p| text.get(p.end..t.start) != Some(" ")))
                // Round 10: a member of a list of names ("Fatima, Lou and Big Steve").
                || (prev.is_some_and(|p| is_name_tok(p) && text.get(p.end..t.start) == Some(", "))
                    && next.is_some_and(|n| {
                        conj_word(n) || text.get(t.end..n.start) == Some(", ")
                    }));
            // Two capitalised words in mid-sentence that no list knows as anything else:
            // "Ludovica Ferraresi", "Tendai Moyo" (a surname or first name outside the lists).
            // "métro Jean Macé", "gare Saint-Charles": a station is named, not a person.
            let after_place = prev.is_some_and(|p| self.org_place.contains(&p.lower));
            let pair = !t.sentence_start
                && !after_place
                && next.is_some_and(|n| {
                    n.cap
                        && !n.initial
                        && n.lower.chars().count() >= 3
                        && !self.stop.contains(&n.lower)
                        && !self.org_place.contains(&n.lower)
                        && !self.org_place.contains(&t.lower)
                        && text.get(t.end..n.start) == Some(" ")
                        && text
                            .get(n.start..n.end)
                            .is_none_or(|w| w.chars().any(char::is_lowercase))
                });
            let listed = |o: &super::Token| {
                self.first.contains(&o.lower) || self.surnames.contains(&o.lower)
            };
            let pair = pair && (!german || listed(t) || next.is_some_and(listed));
            if pair {
                if let Some(n) = next {
                    // Not part of a longer capitalised run (a title, an organisation) nor
                    // of an address found already.
                    let longer =
                        cap_joined(prev, Some(t)) || cap_joined(Some(n), tokens.get(i + 2));
                    let in_place = places.iter().any(|&(s, e)| s < n.end && t.start < e);
                    if !longer && !in_place {
                        push(out, Kind::PersonName, text, t.start, n.end);
                    }
                }
            }
            // Not a word that is also a place or an ordinary word ("Jordan and Florence
            // came": at a sentence start that says nothing).
            let before_found_person = next.is_some_and(conj_word)
                && next2.is_some_and(|n| n.cap && found_person(n))
                && !self.ambiguous.contains(&t.lower)
                && !super::lists::PLACE_NAMES.contains(&t.lower.as_str());
            if (coordinated && !t.sentence_start)
                || before_found_person
                || self.naming_cue(text, t.start)
            {
                named_here.insert(t.start);
                push(out, Kind::PersonName, text, t.start, t.end);
            }
        }
        // Round 12: a name this pass found by a cue or a list is that person wherever
        // the text writes it again ("Anwesend: Dilara, … bei Dilara in der …").
        let echoed: HashSet<&str> = tokens
            .iter()
            .filter(|t| named_here.contains(&t.start))
            .map(|t| t.lower.as_str())
            .filter(|w| {
                w.chars().count() >= 3 && !self.stop.contains(*w) && !self.ambiguous.contains(*w)
            })
            .collect();
        for t in &tokens {
            if t.cap && !named_here.contains(&t.start) && echoed.contains(t.lower.as_str()) {
                push(out, Kind::PersonName, text, t.start, t.end);
            }
        }
    }

    /// Round 12: a person found after an article and a religious or family title takes
    /// them in ("le père Michel", "la sœur Anne", "el hermano Tomás", "die Schwester
    /// Ruth"): the title with its article says who, as the name does.
    pub(crate) fn widen_over_titles(text: &str, out: &mut Vec<Finding>) {
        let Some(re) = TITLE_WITH_ARTICLE.as_ref() else {
            return;
        };
        let mut added = Vec::new();
        for f in out.iter().filter(|f| f.kind == Kind::PersonName) {
            let head = crate::util::before(text, f.start, 32);
            if let Some(m) = re.find(head) {
                added.push((f.start - (head.len() - m.start()), f.end));
            }
        }
        for (s, e) in added {
            push(out, Kind::PersonName, text, s, e);
        }
    }

    /// Round 13: two titled names side by side are one person with a chain of titles
    /// ("Frau Rechtsanwältin" + "Dr. Mareike Holtkamp").
    pub(crate) fn join_title_chains(&self, text: &str, out: &mut Vec<Finding>) {
        let titled = |t: &str| {
            t.split_whitespace().next().is_some_and(|w| {
                let lower = w.to_lowercase();
                self.is_title(&lower) || self.is_title(lower.trim_end_matches('.'))
            })
        };
        let persons: Vec<(usize, usize, bool)> = out
            .iter()
            .filter(|f| f.kind == Kind::PersonName)
            .map(|f| (f.start, f.end, titled(&f.text)))
            .collect();
        let mut added = Vec::new();
        for &(s1, e1, first_titled) in &persons {
            for &(s2, e2, second_titled) in &persons {
                if first_titled && second_titled && s2 == e1 + 1 && text.get(e1..s2) == Some(" ") {
                    added.push((s1, e2));
                }
            }
        }
        for (s, e) in added {
            push(out, Kind::PersonName, text, s, e);
        }
    }

    /// Drops persons right after a saint's word ("San Lorenzo" with only "Lorenzo"
    /// tagged): the pair names a place or a church, as in [`Names::drop_saints`].
    pub(crate) fn drop_after_saints(text: &str, out: &mut Vec<Finding>) {
        out.retain(|f| {
            f.kind != Kind::PersonName
                || ![
                    "San ", "Santa ", "Santo ", "Saint ", "Sainte ", "Sankt ", "São ", "St ",
                ]
                .iter()
                .any(|p| crate::util::before(text, f.start, p.len()) == *p)
        });
    }

    /// Drops person candidates that are saints' names, which name places and churches
    /// here ("San Lorenzo", "Sankt Georg").
    pub(crate) fn drop_saints(out: &mut Vec<Finding>) {
        out.retain(|f| {
            f.kind != Kind::PersonName
                || ![
                    "San ", "Santa ", "Santo ", "Saint ", "Sainte ", "Sankt ", "São ", "St ",
                ]
                .iter()
                .any(|p| f.text.starts_with(p))
        });
    }

    fn naming_cue(&self, text: &str, start: usize) -> bool {
        let head = crate::util::before(text, start, 24).to_lowercase();
        // A comma may follow the cue: "Su nieta, Yaiza".
        let head = head.trim_end().trim_end_matches(',').trim_end();
        NAMING_CUES.iter().any(|cue| {
            head.strip_suffix(cue).is_some_and(|rest| {
                rest.is_empty() || rest.ends_with(|c: char| !c.is_alphanumeric())
            })
        })
    }

    /// Rule 1: the speakers of a chat log.
    fn speakers(&self, text: &str, known: &mut HashSet<String>) {
        let Some(re) = SPEAKER_LINE.as_ref() else {
            return;
        };
        let mut counts: std::collections::HashMap<String, usize> = Default::default();
        let mut lines = 0;
        for caps in re.captures_iter(text) {
            let Some(word) = caps.get(1) else { continue };
            let w = word.as_str();
            if !w.chars().any(char::is_lowercase) {
                continue;
            }
            lines += 1;
            *counts.entry(w.to_lowercase()).or_default() += 1;
        }
        if lines < 3 {
            return;
        }
        for (word, n) in counts {
            let listed = self.first.contains(&word);
            if (n >= 2 || listed) && !LABELS.contains(&word.as_str()) && !self.stop.contains(&word)
            {
                known.insert(word);
            }
        }
    }
}

/// Whether the text is mostly German: its German function words outnumber those of the
/// other four languages together, and there are a few of them.
fn is_german(tokens: &[super::Token]) -> bool {
    const DE: &[&str] = &[
        "der", "die", "das", "und", "nicht", "ist", "mit", "für", "auf", "dem", "den", "ein",
        "eine", "wir", "sind", "ich", "von", "zu", "im", "bei",
    ];
    const OTHER: &[&str] = &[
        "the", "and", "is", "of", "to", "el", "la", "los", "las", "y", "que", "le", "les", "et",
        "est", "il", "di", "che", "per", "un",
    ];
    let de = tokens
        .iter()
        .filter(|t| DE.contains(&t.lower.as_str()))
        .count();
    let other = tokens
        .iter()
        .filter(|t| OTHER.contains(&t.lower.as_str()))
        .count();
    de >= 3 && de > other
}

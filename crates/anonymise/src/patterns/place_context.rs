//! General address rules (round 9 of issue 13): places taken from their context rather
//! than from one more street form per held-out miss.
//!
//! * A unit, floor, door, staircase or building word in the five languages with a number
//!   or a capital letter ("Level 3", "civico 140", "escalera B", "Aufgang C").
//! * A house number after a place preposition and a number word ("at no. 3").
//! * Ground floors and basements written as words ("rez-de-chaussée", "planta baja").
//! * Named buildings and estates ("Larch House", "Tower Block", "Meadow estate") and
//!   named districts of a town ("Colonia San Vicente", "Résidence Les Pins").
//! * A Romance street word followed by a capitalised name, with an elided article too
//!   ("piazza dell'Immacolata", "place Jean Jaurès").
//! * A capitalised word and a house number after a place preposition ("local de
//!   Embajadores 41", "Hausprojekt Rigaer 78").
//!
//! Then "the rear of" before an address is taken in, and address findings joined by a
//! comma ("flat 7, Larch House") become one.

use regex::Regex;

use super::push;
use crate::util::{before, char_at, compile};
use crate::{Finding, Kind};

/// Words that a capitalised word plus number after a preposition must not be: rooms,
/// gates, lines and other numbered things that are not streets.
pub(crate) const NOT_PLACE_WORDS: &[&str] = &[
    "room",
    "gate",
    "bus",
    "line",
    "platform",
    "channel",
    "page",
    "chapter",
    "section",
    "article",
    "step",
    "phase",
    "table",
    "team",
    "group",
    "year",
    "week",
    "day",
    "stage",
    "act",
    "box",
    "seat",
    "track",
    "route",
    "exit",
    "door",
    "aula",
    "sala",
    "raum",
    "zimmer",
    "saal",
    "salle",
    "linea",
    "línea",
    "ligne",
    "linie",
    "gleis",
    "bahnsteig",
    "covid",
    "windows",
    "android",
    "ios",
    "version",
    "v",
    "item",
    "point",
    "punto",
    "punkt",
    "top",
    "tagesordnungspunkt",
    "art",
    "artikel",
    "artículo",
    "articolo",
    "paragraph",
    "para",
    "no",
    "nr",
    "number",
    "número",
    "numéro",
    "numero",
    "level",
    "floor",
    "block",
    "unit",
    "flat",
    "apt",
    "piso",
    "planta",
    "puerta",
    "escalera",
    "portal",
    "étage",
    "porte",
    "bâtiment",
    "escalier",
    "stock",
    "etage",
    "aufgang",
    "haus",
    "scala",
    "interno",
    "piano",
    "civico",
    "edificio",
    "torre",
    "nave",
    "local",
    "lot",
    "m",
    "n",
    "tram",
    "metro",
    "u",
    "s",
    "rer",
    "bus",
    "ligne",
    "ruta",
    "tren",
    "zug",
    "treno",
    "train",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "januar",
    "februar",
    "märz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "janvier",
    "février",
    "mars",
    "avril",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "gennaio",
    "febbraio",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "dicembre",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "lunes",
    "martes",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "lunedì",
    "martedì",
    "mercoledì",
    "giovedì",
    "venerdì",
    "sabato",
    "domenica",
    "uhr",
    "ore",
    "horas",
    "heures",
    "iphone",
    "galaxy",
    "pixel",
    "firefox",
    "chrome",
];

/// Words after a building noun that make it not a building ("the House of Commons").
const BUILDING_LEADS_NOT: &[&str] = &[
    "the",
    "a",
    "an",
    "this",
    "that",
    "our",
    "your",
    "my",
    "their",
    "town",
    "city",
    "village",
    "church",
    "council",
    "community",
    "parliament",
    "white",
    "opera",
    "public",
    "guild",
    "union",
    "meeting",
    "open",
    "safe",
    "full",
    "big",
    "old",
    "new",
    "companies",
    "in",
    "at",
    "on",
    "of",
    "and",
    "for",
    "to",
];

/// Words after a number that make the number a count, not a house: "edificio 9 familias".
fn count_noun_after(text: &str, end: usize) -> bool {
    // Only a number can count something; "Kottbusser Tor durch …" ends in a word.
    if !text
        .get(..end)
        .is_some_and(|h| h.ends_with(|c: char| c.is_ascii_digit()))
    {
        return false;
    }
    let line = text.get(end..).unwrap_or("");
    let line = line.split('\n').next().unwrap_or("");
    let word: String = line
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect();
    line.starts_with(|c: char| c.is_whitespace())
        && word.chars().count() >= 3
        && word.chars().all(char::is_lowercase)
        && !NOT_COUNT_NOUNS.contains(&word.as_str())
}

/// Lowercase words after "unit 7" that are not what it counts ("unit 7 first", "portal
/// 3 and …").
const NOT_COUNT_NOUNS: &[&str] = &[
    "first",
    "then",
    "and",
    "the",
    "for",
    "with",
    "from",
    "tomorrow",
    "today",
    "tonight",
    "now",
    "before",
    "after",
    "until",
    "instead",
    "again",
    "too",
    "also",
    "upstairs",
    "downstairs",
    "opposite",
    "next",
    "behind",
    "del",
    "por",
    "para",
    "con",
    "que",
    "los",
    "las",
    "una",
    "pour",
    "avec",
    "dans",
    "chez",
    "puis",
    "les",
    "des",
    "und",
    "mit",
    "bei",
    "von",
    "vom",
    "dann",
    "oder",
    "per",
    "con",
    "che",
    "poi",
    "del",
    "della",
    "dalle",
    "alle",
];

#[derive(Debug)]
pub(crate) struct PlaceContext {
    unit: Option<Regex>,
    number_word: Option<Regex>,
    ground: Option<Regex>,
    /// A ground floor or basement after "au", "at the", "im"…: a person's floor.
    ground_after: Option<Regex>,
    building: Option<Regex>,
    district: Option<Regex>,
    /// German places named with an "-er" adjective: "Kottbusser Tor", "Frankfurter Tor".
    german_er: Option<Regex>,
    romance_street: Option<Regex>,
    word_number: Option<Regex>,
    rear_of: Option<Regex>,
    /// "s/n" (no number) after a Spanish street.
    no_number: Option<Regex>,
    /// An English street with an abbreviated type after a place preposition: "on
    /// Talbot St", "off Kings Rd".
    en_abbrev: Option<Regex>,
    /// A house number and a comma before a street: "8, impasse des Lilas".
    number_first: Option<Regex>,
    comma_gap: Option<Regex>,
    /// Floors with an ordinal: "2ª planta", "terzo piano", "4e étage", "3. OG" (round 10).
    /// Not English "the 3rd floor" nor German "3. OG" alone (look-alike tests); ", 3rd
    /// floor" after an address is joined by `ground`.
    floor: Option<Regex>,
    /// Several blocks or flats at once: "blocks C and D" (round 10).
    plural_units: Option<Regex>,
    /// Spanish premises after a comma: ", local 4" (round 10).
    local_unit: Option<Regex>,
    /// A Romance street type written capitalised: "Cuesta de Moyano" (round 10).
    romance_street_cap: Option<Regex>,
    /// "14 bis " before a lowercase street type (round 10).
    number_bis: Option<Regex>,
    /// The first words of a compound street name before a finding that starts with a
    /// capital: "Puerto de " + "Canfranc 9" (round 10).
    name_head: Option<Regex>,
    /// ", London " between a street and a postcode (round 10).
    town_gap: Option<Regex>,
}

impl PlaceContext {
    pub(crate) fn new() -> PlaceContext {
        let unit = r"(?i:flat|apt\.?|apartment|unit|suite|level|floor|block|bloque|portal|piso|planta|puerta|escalera|esc\.|étage|porte|bâtiment|bât\.|escalier|esc|stock|etage|aufgang|wohnung|whg\.|scala|interno|int\.|civico|edificio|torre|nave|lote|lot|bajo|ático|atico|appartement|appart\.?|appartamento|app\.to|piano|departamento|depto\.?|dpto\.?)";
        let article = r"(?:de\s+la\s+|de\s+los\s+|de\s+las\s+|de\s+l['’]|del\s+|de\s+|des\s+|du\s+|d['’]|di\s+|della\s+|dei\s+|degli\s+|delle\s+|dell['’]|dello\s+|la\s+|le\s+|les\s+|el\s+|los\s+|las\s+)?";
        let cap = r"\p{Lu}[\p{L}'’\-]+";
        PlaceContext {
            unit: compile(&format!(
                r"\b{unit}[ \t]+(?:\d{{1,4}}[a-z]?|\p{{Lu}})\b|\b(?i:porte|puerta|porta|Tür)[ \t]+(?i:droite|gauche|izquierda|derecha|destra|sinistra|links|rechts)\b"
            )),
            number_word: compile(
                r"(?i)\b(?:at|to|from|in|al|del|dal|au|du|en\s+el|im|nel|am|beim|chez)\s+(?:no\.|nº|n°|number|civico|numéro|número|núm\.|nr\.|hausnummer)\s*\d{1,4}[a-z]?\b",
            ),
            ground: compile(
                r"(?i)^[ \t]?,?[ \t]?(?:\d{1,2}(?:st|nd|rd|th)[ \t]+floor|\d{1,2}[º°][ \t]?[A-H]\b|rez-de-chaussée|planta\s+baja|piano\s+terra|pianterreno|erdgeschoss|ground\s+floor|basement\s+flat|entresuelo|sous-sol|souterrain|dachgeschoss)\b",
            ),
            ground_after: compile(
                r"(?i)\b(?:au|at\s+the|on\s+the|al|nel|nello)[ \t]+(?:rez-de-chaussée|planta\s+baja|piano\s+terra|pianterreno|erdgeschoss|ground\s+floor|basement|entresuelo|sous-sol|souterrain|dachgeschoss)\b",
            ),
            building: compile(&format!(
                r"\b((?:{cap}[ \t]+){{1,2}})(?:House|Tower|Towers|Block|Mansions|Heights|Buildings|Lodge|Estate|estate)\b"
            )),
            german_er: compile(
                r"\b\p{Lu}[\p{L}]{2,}(?:er|en|es)[ \t]+(?:Tor|Platz|Brücke|Straße|Str\.|Weg|Damm|Ufer|Ring|Markt|Allee|Chaussee|Hof|Kiez|Berg)\b",
            ),
            district: compile(&format!(
                r"\b(?:Colonia|Urbanización|Urb\.|Barriada|Polígono|Residencial|Résidence|Cité|cité|Lotissement|Siedlung|Villaggio|Quartiere|ZA|ZI|ZAC|Zone|Zona|Gewerbegebiet|Industriegebiet)[ \t]+{article}{cap}(?:[ \t]+{cap}){{0,2}}"
            )),
            romance_street: compile(&format!(
                r"\b(?:piazza|piazzale|piazzetta|viale|corso|vicolo|largo|salita|discesa|borgo|contrada|traversa|rampa|riva|fondamenta|campiello|lungarno|lungotevere|lungomare|strada|place|rue|boulevard|bd|allée|impasse|quai|chemin|cours|passage|villa|sentier|route|chaussée|faubourg|esplanade|promenade|parvis|ruelle|rond-point|calle|plaza|paseo|avenida|avda\.|ronda|travesía|glorieta|cuesta|costanilla|pasaje|callejón|calleja|camino|carretera|rambla|carrer|plaça|passeig|avinguda|rúa)[ \t]+{article}{cap}(?:[ \t]+{cap}){{0,3}}(?:,?[ \t]*\d{{1,4}}(?:[a-gi-z])?\b)?"
            )),
            word_number: compile(&format!(
                r"\b(?i:at|on|in|to|near|outside|behind|en|de|del|al|à|au|chez|presso|nel|nella|alla|local|hausprojekt|casa|portal)[ \t]+({cap}(?:[ \t]+{cap})?)[ \t]+(\d{{1,3}}[a-z]?)\b"
            )),
            no_number: compile(r"^[ \t]*,?[ \t]*s/n\b"),
            en_abbrev: compile(
                r"\b(?:on|at|in|off|near|along|from|to|down|up|behind|outside)[ \t]+((?:\p{Lu}[\p{L}'’\-]+[ \t]+){1,2}(?:St|Rd|Ave|Ln|Dr|Pl|Sq|Tce|Cres|Gdns)\b\.?)",
            ),
            number_first: compile(r"\b\d{1,4}(?:[ \t]?(?:bis|ter))?,[ \t]+$"),
            rear_of: compile(r"(?i)\b(?:the\s+)?(?:rear|back|front|side|corner|top)\s+of\s+$"),
            comma_gap: compile(
                r"^\s?(?:[,;]|de\s+la|de\s+los|de\s+las|del|de|di|della|du|of\s+the|of)?\s?$",
            ),
            floor: compile(
                r"(?i)\b(?:\d{1,2}(?:º|ª|°|er|re|e|ème|\.)[ \t]?(?:planta|piso|piano|étage)|(?:primer|segundo|tercer|cuarto|quinto|sexto|primera|segunda|tercera|cuarta|quinta|sexta|última)[ \t]+(?:planta|piso)|(?:primo|secondo|terzo|quarto|quinto|sesto|ultimo)[ \t]+piano|(?:premier|deuxième|troisième|quatrième|cinquième|sixième|dernier)[ \t]+étage)\b",
            ),
            plural_units: compile(
                r"(?i)\b(?:blocks|flats|units|bloques|portales|escaleras|bâtiments|escaliers|scale|aufgänge|häuser)[ \t]+(?:\d{1,4}|\p{Lu})(?:[ \t]*(?:,|and|y|et|e|und|&|/)[ \t]*(?:\d{1,4}\b|\p{Lu}\b))+",
            ),
            local_unit: compile(r",[ \t]*(local[ \t]+\d{1,3}[a-z]?)\b"),
            romance_street_cap: compile(&format!(
                r"\b(?:Piazza|Piazzale|Viale|Corso|Vicolo|Calle|Plaza|Paseo|Avenida|Ronda|Travesía|Glorieta|Cuesta|Costanilla|Pasaje|Callejón|Carretera|Rambla|Carrer|Plaça|Passeig|Avinguda|Rue|Allée|Impasse|Quai|Faubourg|Ruelle)[ \t]+{article}{cap}(?:[ \t]+{cap}){{0,3}}(?:,?[ \t]*\d{{1,4}}(?:[a-gi-z])?\b)?"
            )),
            number_bis: compile(r"\b\d{1,4}[ \t]?(?:bis|ter|quater)[ \t]+$"),
            name_head: compile(
                r"\b\p{Lu}[\p{L}'’\-]+[ \t]+(?:de[ \t]+la|de[ \t]+las|de[ \t]+los|del|de|di|della|du)[ \t]+$",
            ),
            town_gap: compile(r"^,[ \t]*\p{Lu}[\p{L}\-]+,?[ \t]+$"),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        for re in [
            &self.unit,
            &self.number_word,
            &self.district,
            &self.ground_after,
            &self.german_er,
        ]
        .into_iter()
        .flatten()
        {
            for m in re.find_iter(text) {
                if !count_noun_after(text, m.end()) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
        for re in [&self.floor, &self.plural_units].into_iter().flatten() {
            for m in re.find_iter(text) {
                push(out, Kind::Address, text, m.start(), m.end());
            }
        }
        if let Some(re) = &self.local_unit {
            for caps in re.captures_iter(text) {
                if let Some(m) = caps.get(1) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.romance_street_cap {
            for m in re.find_iter(text) {
                // "Corso Italia is a course…": at a sentence start the capital says nothing.
                let lead = before(text, m.start(), 8).trim_end_matches([' ', '\t']);
                if lead.is_empty() || lead.ends_with(['.', '!', '?', '\n', ':', '-', '•', '*']) {
                    continue;
                }
                let name = m.as_str().split_whitespace().nth(1).unwrap_or("");
                if !NOT_PLACE_WORDS.contains(&name.to_lowercase().as_str()) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.building {
            for caps in re.captures_iter(text) {
                let (Some(all), Some(lead)) = (caps.get(0), caps.get(1)) else {
                    continue;
                };
                let first = lead.as_str().split_whitespace().next().unwrap_or("");
                if !BUILDING_LEADS_NOT.contains(&first.to_lowercase().as_str()) {
                    push(out, Kind::Address, text, all.start(), all.end());
                }
            }
        }
        if let Some(re) = &self.romance_street {
            for m in re.find_iter(text) {
                let name = m.as_str().split_whitespace().nth(1).unwrap_or("");
                if !NOT_PLACE_WORDS.contains(&name.to_lowercase().as_str()) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.en_abbrev {
            for caps in re.captures_iter(text) {
                let Some(street) = caps.get(1) else { continue };
                // "on Main St Helens" would be a saint's town; a capital after it ends it.
                let capital_after = text
                    .get(street.end()..)
                    .map(str::trim_start)
                    .is_some_and(|r| r.starts_with(char::is_uppercase));
                if !capital_after {
                    push(out, Kind::Address, text, street.start(), street.end());
                }
            }
        }
        if let Some(re) = &self.word_number {
            for caps in re.captures_iter(text) {
                let (Some(word), Some(num)) = (caps.get(1), caps.get(2)) else {
                    continue;
                };
                let first = word.as_str().split_whitespace().next().unwrap_or("");
                if NOT_PLACE_WORDS.contains(&first.to_lowercase().as_str()) {
                    continue;
                }
                // Not a time, a decimal, a date or a quantity: "at Acme 3.5", "en Mayo 2".
                if matches!(
                    char_at(text, num.end()),
                    Some(':' | '.' | ',' | '/' | '%' | '-')
                ) && text
                    .get(num.end() + 1..)
                    .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                {
                    continue;
                }
                if !count_noun_after(text, num.end()) {
                    push(out, Kind::Address, text, word.start(), num.end());
                }
            }
        }
    }

    /// Takes in "the rear of" and joins address findings that a comma separates.
    pub(crate) fn widen_and_join(&self, text: &str, out: &mut Vec<Finding>) {
        let mut added = Vec::new();
        let mut spans: Vec<(usize, usize)> = out
            .iter()
            .filter(|f| f.kind == Kind::Address)
            .map(|f| (f.start, f.end))
            .collect();
        spans.sort_unstable();
        for &(s, e) in &spans {
            if let Some(m) = text.get(e..).and_then(|r| self.no_number.as_ref()?.find(r)) {
                added.push((s, e + m.end()));
            }
            if let Some(m) = text.get(e..).and_then(|r| self.ground.as_ref()?.find(r)) {
                added.push((s, e + m.end()));
            }
            let head = before(text, s, 24);
            if let Some(m) = self.rear_of.as_ref().and_then(|re| re.find(head)) {
                added.push((s - (head.len() - m.start()), e));
            }
            let lower_type = text
                .get(s..)
                .is_some_and(|r| r.starts_with(char::is_lowercase));
            for re in [&self.number_first, &self.number_bis] {
                if let Some(m) = re.as_ref().and_then(|re| re.find(head)) {
                    if lower_type {
                        added.push((s - (head.len() - m.start()), e));
                    }
                }
            }
            let upper_name = text
                .get(s..)
                .is_some_and(|r| r.starts_with(char::is_uppercase));
            if let Some(m) = self.name_head.as_ref().and_then(|re| re.find(head)) {
                let first = head[m.start()..].split_whitespace().next().unwrap_or("");
                if upper_name && !NOT_PLACE_WORDS.contains(&first.to_lowercase().as_str()) {
                    added.push((s - (head.len() - m.start()), e));
                }
            }
        }
        let Some(gap) = &self.comma_gap else { return };
        let mut cur: Option<(usize, usize, bool)> = None;
        for (s, e) in spans {
            cur = match cur {
                Some((cs, ce, j)) if s <= ce => Some((cs, ce.max(e), j)),
                Some((cs, ce, _)) if text.get(ce..s).is_some_and(|g| gap.is_match(g)) => {
                    Some((cs, e, true))
                }
                Some((cs, ce, _))
                    if text
                        .get(ce..s)
                        .is_some_and(|g| self.town_gap.as_ref().is_some_and(|r| r.is_match(g)))
                        && text.get(s..e).is_some_and(looks_like_postcode) =>
                {
                    Some((cs, e, true))
                }
                Some(done) => {
                    if done.2 {
                        added.push((done.0, done.1));
                    }
                    Some((s, e, false))
                }
                None => Some((s, e, false)),
            };
        }
        if let Some((s, e, true)) = cur {
            added.push((s, e));
        }
        for (s, e) in added {
            push(out, Kind::Address, text, s, e);
        }
    }
}

/// A UK, Dutch or continental postcode at the start: "E14 2BG", "75019 Paris".
fn looks_like_postcode(s: &str) -> bool {
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    (1..=2).contains(&letters) && b.get(letters).is_some_and(u8::is_ascii_digit) || digits >= 4
}

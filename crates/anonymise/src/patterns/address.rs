//! Street addresses, street names and postcodes.
//!
//! Street addresses follow each language's word order: English and French
//! put the number first ("14 Elm Street", "12 rue de la Paix"), German,
//! Dutch, Spanish and Italian put it last ("Hauptstraße 5", "Calle Mayor 12",
//! "Via Padova 45"). A capitalised English street name with a street type is
//! flagged even without a number ("Victoria Road"): a street is enough to
//! find a person's door. Postcodes: UK, US (with state), NL, and five-digit
//! DE/FR/ES/IT codes when followed by a town after a comma or line start.

use regex::Regex;

use super::push;
use crate::util::{char_at, char_before, compile, next_word};
use crate::{Finding, Kind};

const EN_TYPES: &str = "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Grove|Terrace|Tce|Drive|Dr|Boulevard|Blvd|Way|Place|Pl|Court|Ct|Crescent|Cres|Row|Walk|Square|Sq|Gardens|Gdns|Hill|Mews|Parade|Rise|View|Green|Park|Highway|Hwy|Parkway|Pkwy|Circle|Trail|Yard|Wharf|Quay|Embankment|Approach|Broadway";

/// Types that are specific enough to flag without a house number.
const EN_NAMED_TYPES: &str = "Street|Road|Avenue|Lane|Close|Grove|Terrace|Drive|Crescent|Court|Row|Walk|Mews|Gardens|Boulevard|Way|Place|Square|Parade|Yard|Wharf|Approach|Rd\\.?|Ave\\.?|Ln\\.?|Gdns\\.?|Cres\\.?|Tce\\.?";

/// First words that make "X Hall"/"X Centre" a kind of building, not a named one.
const GENERIC_VENUE_LEAD: &[&str] = &[
    "Town",
    "City",
    "Village",
    "Community",
    "Church",
    "Sports",
    "Sport",
    "Concert",
    "Music",
    "Union",
    "Guild",
    "Leisure",
    "Job",
    "Jobcentre",
    "Health",
    "Medical",
    "Day",
    "Youth",
    "Arts",
    "Art",
    "Social",
    "Civic",
    "Conference",
    "Exhibition",
    "Shopping",
    "Garden",
    "Visitor",
    "Visitors",
    "Student",
    "Students",
    "Advice",
    "Legal",
    "Law",
    "Public",
    "Main",
    "Old",
    "New",
    "Dining",
    "Assembly",
    "Main",
    "Detention",
    "Custody",
    "Call",
    "Data",
    "Distribution",
    "Recycling",
    "Family",
    "Children's",
    "Women's",
    "Food",
    "Bingo",
    "Pool",
    "Dance",
    "Drop-in",
    "Resource",
    "Training",
    "Learning",
    "Welcome",
    "Refugee",
    "Mosque",
    "Parish",
    "Scout",
    "Masonic",
    "Function",
    "Sports",
    "Tenants'",
    "Residents'",
    "Our",
    "Their",
];

/// First words that make "X Court"/"X Road" an institution or a phrase
/// rather than a street name.
const NOT_STREET_LEAD: &[&str] = &[
    "The",
    "A",
    "An",
    "This",
    "That",
    "Our",
    "Your",
    "My",
    "Their",
    "Its",
    "No",
    "Any",
    "Every",
    "On",
    "In",
    "At",
    "By",
    "To",
    "From",
    "Of",
    "And",
    "Or",
    "Crown",
    "High",
    "County",
    "Supreme",
    "Royal",
    "Magistrates",
    "Magistrates'",
    "Family",
    "Appeal",
    "Appeals",
    "Civil",
    "Criminal",
    "Food",
    "Tenants",
    "Residents",
    "Food",
    "Open",
    "Main",
];

/// Words after "Via"/"Calle"… that make it something other than a street ("via Zoom").
const NOT_STREET_NAME: &[&str] = &[
    "Zoom",
    "WhatsApp",
    "Signal",
    "Telegram",
    "Email",
    "E-mail",
    "Facebook",
    "Instagram",
    "Twitter",
    "Google",
    "Skype",
    "Teams",
    "Jitsi",
    "SMS",
    "Internet",
    "Web",
    "Post",
    "Mail",
    "Royal",
    "Crucis",
    "Lattea",
    "Dolorosa",
    // A weekday or month after a lowercase type: "scendere in strada Sabato".
    "Lunedì",
    "Martedì",
    "Mercoledì",
    "Giovedì",
    "Venerdì",
    "Sabato",
    "Domenica",
    "Lunes",
    "Martes",
    "Jueves",
    "Viernes",
    "Sábado",
    "Domingo",
    "Monday",
    "Saturday",
    "Sunday",
];

/// Nouns after a number that make it a count ("via London 3 times").
const COUNT_NOUNS: &[&str] = &[
    "times", "time", "days", "hours", "minutes", "miles", "km", "people", "stops", "changes",
    "weeks", "nights",
];

/// German compounds on "-platz" that are not squares.
const GENERIC_DE_SQUARES: &[&str] = &[
    "arbeitsplatz",
    "parkplatz",
    "spielplatz",
    "sportplatz",
    "bauplatz",
    "zeltplatz",
    "stellplatz",
    "sitzplatz",
    "schlafplatz",
    "abstellplatz",
    "ausbildungsplatz",
    "studienplatz",
    "kitaplatz",
    "krippenplatz",
    "therapieplatz",
    "campingplatz",
    "rastplatz",
    "sammelplatz",
    "bolzplatz",
    "festplatz",
    "marktplatz",
    "spitzenplatz",
    "stammplatz",
    "sportplatz",
    "fussballplatz",
    "fußballplatz",
    "tennisplatz",
    "golfplatz",
    "flugplatz",
    "lagerplatz",
    "treffplatz",
    "wohnplatz",
    "listenplatz",
    "vorplatz",
    "innenplatz",
    "tabellenplatz",
    "startplatz",
    "ehrenplatz",
    "freiplatz",
    "stehplatz",
    "liegeplatz",
    "pflegeplatz",
    "heimplatz",
    "wartelistenplatz",
    "übungsplatz",
    "schrottplatz",
    "wertstoffplatz",
    "recyclingplatz",
    "grillplatz",
    "rummelplatz",
    "hundeplatz",
    "reitplatz",
    "dorfplatz",
];

/// German compounds on "-markt" that name a kind of market, not one.
const GENERIC_DE_MARKETS: &[&str] = &[
    "supermarkt",
    "wochenmarkt",
    "flohmarkt",
    "arbeitsmarkt",
    "wohnungsmarkt",
    "biomarkt",
    "getränkemarkt",
    "baumarkt",
    "weihnachtsmarkt",
    "bauernmarkt",
    "drogeriemarkt",
    "discountmarkt",
    "fachmarkt",
    "trödelmarkt",
    "kunstmarkt",
    "mietmarkt",
    "immobilienmarkt",
    "binnenmarkt",
    "schwarzmarkt",
    "gemüsemarkt",
    "fischmarkt",
    "blumenmarkt",
    "nachtmarkt",
    "kleidermarkt",
    "großmarkt",
    "grossmarkt",
];

/// A German compound that names a kind of street or square, not one ("Hauptstraße",
/// "Arbeitsplatz"): the tagger does not take it for an address either.
pub(crate) fn is_generic_place_word(lower: &str) -> bool {
    GENERIC_DE_STREETS.contains(&lower) || GENERIC_DE_SQUARES.contains(&lower)
}

/// German compounds on "-straße"/"-gasse"/"-allee" that name a kind of street, not one.
const GENERIC_DE_STREETS: &[&str] = &[
    "hauptstraße",
    "seitenstraße",
    "nebenstraße",
    "einbahnstraße",
    "sackgasse",
    "landstraße",
    "bundesstraße",
    "querstraße",
    "durchgangsstraße",
    "fahrradstraße",
    "spielstraße",
    "wohnstraße",
    "hauptstrasse",
    "seitenstrasse",
    "nebenstrasse",
    "einbahnstrasse",
    "landstrasse",
    "bundesstrasse",
    "ringstraße",
    "dorfstraße",
    "baumallee",
    "lindenallee",
    "kastanienallee",
    "rettungsgasse",
];

/// Whether `start` follows a sentence end, a line start or the start of the text.
fn sentence_start(text: &str, start: usize) -> bool {
    let head = crate::util::before(text, start, 8).trim_end();
    head.is_empty() || head.ends_with(['.', '!', '?', '\n', ':', '-', '*', '•'])
}

const US_STATES: &str = "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC";

#[derive(Debug)]
pub(crate) struct Address {
    english: Option<Regex>,
    english_named: Option<Regex>,
    venue: Option<Regex>,
    uk_postcode: Option<Regex>,
    us_zip: Option<Regex>,
    nl_postcode: Option<Regex>,
    five_digit: Option<Regex>,
    germanic: Option<Regex>,
    romance_prefix: Option<Regex>,
    french: Option<Regex>,
    /// Type-first streets and squares named without a number: "Piazza della Scala",
    /// "Calle Mayor", "in via dei Volsci".
    romance_named: Option<Regex>,
    /// French streets and squares named in lowercase without a number: "rue Oberkampf",
    /// "place de la Bastille" (not "à la place de Marie", which means "instead of").
    french_named: Option<Regex>,
    /// German streets named without a number: "in der Bergmannstraße", "Karl-Marx-Allee".
    german_named: Option<Regex>,
    /// "vom Augustusplatz", "am Hermannplatz" (not "am Arbeitsplatz").
    german_square: Option<Regex>,
    /// "St Agnes Place", "Kestrel Estate", "Block C".
    english_extra: Option<Regex>,
    /// A flat or entrance number on its own: "flat 43", "portal 3" (not "flat 20 years").
    lone_unit: Option<Regex>,
    /// A building part on its own: "bâtiment C, 3e étage", "escalier B", "interno 7".
    building_part: Option<Regex>,
    building_part_de_es: Option<Regex>,
}

impl Address {
    pub(crate) fn new() -> Address {
        let unit = r"(?:(?i:flat|apt\.?|apartment|unit|suite|ste\.?|room|rm\.?)\s+\d{1,4}[A-Za-z]?|(?i:(?:\d{1,2}(?:st|nd|rd|th)|ground|first|second|third|fourth|fifth|top|basement|lower\s+ground)\s+floor(?:\s+flat)?))";
        let unit_link = r"(?:,?\s+|\s+(?i:of|at)\s+)";
        let name_word = r"(?:\p{Lu}[\p{L}'’\-]*|[NSEW]|\d{1,3}(?:st|nd|rd|th))";
        Address {
            english: compile(&format!(
                r"\b(?:(?:\p{{Lu}}[\p{{L}}'’\-]+[ \t]+){{1,2}}(?:House|Court|Mansions|Buildings|Building|Tower|Lodge|Heights),[ \t]+)?(?:{unit}{unit_link})?\d{{1,4}}[A-Za-z]?(?:-\d{{1,4}})?,?[ \t]+(?:{name_word}[ \t]+){{1,3}}(?:{EN_TYPES})\b\.?(?:,?[ \t]+{unit}\b)?"
            )),
            // Round 17: a named hall or centre where people meet ("at the Kingsley Hall").
            venue: compile(
                r"\b(?:(?i:at|to|from|outside|inside|behind|near)[ \t]+(?:the[ \t]+)?|(?i:in)[ \t]+the[ \t]+)(?P<v>\p{Lu}[\p{L}'’\-]+(?:[ \t]+\p{Lu}[\p{L}'’\-]+)?[ \t]+(?:Hall|Centre|Center|Chapel|Institute|Rooms))\b",
            ),
            english_named: compile(&format!(
                r"(?:\b{unit},?\s+)?\b(?:\p{{Lu}}[\p{{L}}'’\-]+[ \t]+){{1,2}}(?:{EN_NAMED_TYPES})\b"
            )),
            uk_postcode: compile(r"\b[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?[ \t]?\d[ABD-HJLNP-UW-Z]{2}\b"),
            us_zip: compile(&format!(
                r"\b(?:\p{{Lu}}\p{{Ll}}+(?:[ \t]\p{{Lu}}\p{{Ll}}+)?,[ \t])?(?:{US_STATES})[ \t]\d{{5}}(?:-\d{{4}})?\b"
            )),
            nl_postcode: compile(r"\b[1-9]\d{3}[ \t]?[A-Z]{2}\b"),
            five_digit: compile(
                r"(?m)(?:^|,)[ \t]*(\d{5}[ \t]+\p{Lu}[\p{L}\-]+(?:[ \t]\p{Lu}[\p{L}\-]+)?)",
            ),
            germanic: compile(
                r"\b(?:\p{Lu}[\p{L}\-]{2,}(?:straße|strasse|str\.|gasse|weg|allee|platz|damm|ring|ufer|chaussee|steig|pfad|markt|promenade|straat|gracht|laan|plein|kade|singel|dijk|steeg)|\p{Lu}[\p{L}]+(?:-\p{Lu}[\p{L}]+)*-(?:Straße|Strasse|Str\.|Allee|Platz|Weg|Ring|Damm|Ufer|Gasse|Promenade)|\p{Lu}[\p{L}\-]+[ \t](?:Straße|Strasse|Str\.|Weg|Allee|Platz|Damm|Ring|Ufer|Chaussee|Gasse|Markt|Steig|Promenade))[ \t]?\d{1,4}[a-zA-Z]?\b(?:,?[ \t]*(?:Vorderhaus|Hinterhaus|Seitenflügel|Quergebäude|Gartenhaus|Hof(?:[ \t]+(?:links|rechts))?|Aufgang[ \t]+[A-Z]|Haus[ \t]+\d{1,3}|\d{1,2}\.[ \t]?(?:OG|Obergeschoss|Stock|Etage)(?:[ \t]+(?:links|rechts|Mitte))?|EG|Erdgeschoss|DG|Dachgeschoss)\b)*",
            ),
            romance_prefix: compile(
                r"(?x)
                (?:\b(?:c\.so|C\.so|v\.le|V\.le|p\.za|P\.za|p\.zza|P\.zza|l\.go|L\.go|v\.lo|V\.lo|Bulevar|bulevar|avenue|chaussée|Chaussée|Polígono(?:[\x20\t]+Industrial)?|Pol\.[\x20\t]?Ind\.|calle|avenida|avda\.|paseo|plaza|ronda|carrer|rambla|avinguda|passeig|plaça|via|viale|piazza|piazzale|corso|largo|vicolo|strada|vico|salita|traversa|calata|rampa|lungomare|lungotevere|travesía|glorieta|carretera|Salita|Traversa|Calata|Rampa|Calle|Avenida|Avda\.?|Av\.|Paseo|Pº|Plaza|Pza\.?|Ronda|Camino|Carrer|Travesía|Glorieta|Carretera|Ctra\.|Via|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Strada|Vico|Borgo|Contrada|Lungomare|Lungotevere|Calleja|Callejón|Pasaje|Rambla|Cuesta|Rua|Avinguda|Passeig|Plaça|Rue|Avenue|Boulevard|Impasse|Quai|Allée|Place|Chemin|Cours)|\b[Cc]/)
                [\x20\t]*(?:(?:de|del|la|las|los|el|d'|di|della|dello|dei|delle|degli|do|da|dos|das)[\x20\t]+)*
                \p{Lu}[\p{L}'’\-]+
                (?:[\x20\t]+(?:(?:de|del|la|las|los|el|y|di|della|delle|dei|degli|do|da)[\x20\t]+|(?:dell|dall|d)['’])*\p{Lu}[\p{L}'’\-]+){0,3}
                (?:[\x20\t]+[IVX]{1,4}\b)?
                [\x20\t]*,?[\x20\t]*(?:n\.?º[\x20\t]?|nº[\x20\t]?|no\.?[\x20\t]?)?\d{1,4}[A-Za-z]?\b
                (?:[\x20\t]*,?[\x20\t]*(?:
                    \d{1,2}[\x20\t]?[ºª°](?:[\x20\t]?(?:izquierda|derecha|izda\.?|izq\.?|dcha\.?|dch\.?|centro|ext\.?|int\.?|[A-H])\b\.?)?
                  | (?:bajo|entresuelo|principal|ático|atico)(?:[\x20\t]+(?:[A-H]|izquierda|derecha|izq\.?|dcha\.?)\b)?
                  | (?:scala|interno|int\.|piano|escalera|esc\.|portal|puerta|pta\.|nave)[\x20\t]*(?:[A-Z]\b|\d{1,3}\b|terra\b|rialzato\b)
                  | (?:boîte|bte\.?)[\x20\t]*\d{1,3}\b
                  | (?:primo|secondo|terzo|quarto|quinto|sesto|settimo|ultimo|\d{1,2}[°º])[\x20\t]+piano
                  | (?:bâtiment|bât\.|escalier|esc\.)[\x20\t]+[A-Z\d]\b
                  | \d{1,2}(?:e|er|ème)[\x20\t]+étage
                ))*",
            ),
            building_part: compile(
                r"(?i:\b(?:bâtiment|bât\.|escalier|esc\.)[ \t]+)[A-Z\d]\b(?:,?[ \t]+\d{1,2}(?:e|er|ème)[ \t]+étage\b)?|\b\d{1,2}(?:e|er|ème)[ \t]+étage\b|\binterno[ \t]+\d{1,3}\b|\bscala[ \t]+[A-H]\b(?:,?[ \t]+interno[ \t]+\d{1,3}\b)?",
            ),
            // German house parts and floors without the street, when specific enough to
            // find a door: "Seitenflügel, 2. OG rechts", "3. Stock links" (a lone
            // "Vorderhaus" or "3. OG" is not); Spanish "3º izquierda" (not "5ª A", which
            // is also a school class).
            building_part_de_es: compile(
                r"\b(?:(?:Vorderhaus|Hinterhaus|Seitenflügel|Quergebäude|Gartenhaus),?[ \t]+\d{1,2}\.[ \t]?(?:OG|Obergeschoss|Stock|Etage)(?:[ \t]+(?:links|rechts|Mitte))?|\d{1,2}\.[ \t]?(?:OG|Obergeschoss|Stock|Etage)[ \t]+(?:links|rechts|Mitte))\b|\b\d{1,2}[ºª°][ \t]?(?:izquierda|derecha|izda\.|izq\.|dcha\.)",
            ),
            romance_named: compile(
                r"\b(?:(?:in|a|da|di|per|su|en|por|dans|sur)[ \t]+)?(?P<type>c\.so|C\.so|v\.le|V\.le|p\.za|P\.za|p\.zza|P\.zza|l\.go|L\.go|v\.lo|V\.lo|Parque|parque|Bulevar|bulevar|Parco|parco|Polígono[ \t]+Industrial|Polígono|calle|plaza|avenida|paseo|glorieta|travesía|ronda|carrer|plaça|piazza|piazzale|viale|vicolo|strada|corso|Piazza|Piazzale|Viale|Corso|Largo|Via|Calle|Carrer|Avenida|Av\.|Avda\.|Paseo|Plaza|Plaça|Rue|(?:(?:in|a|da|di|per|su|con|tra|fra|verso|lungo|zona|angolo|incrocio)[ \t]+)(?:via|piazza|piazzale|viale|corso|largo))[ \t]+(?:(?:de|del|della|dello|dei|delle|degli|di|la|las|los|el|d'|d’|du|des)[ \t]*)*\p{Lu}[\p{L}'’\-]+(?:[ \t]+(?:(?:de|del|della|di|y|e)[ \t]+)?\p{Lu}[\p{L}'’\-]+){0,2}(?:,?[ \t]+nave[ \t]+\d{1,3}[A-Za-z]?\b)?",
            ),
            french_named: compile(
                r"\b(?P<type>rue|avenue|boulevard|boul\.|bd|place|quai|impasse|allée|cité|résidence|square|parc|montée|Parc|Montée)[ \t]+(?P<part>de[ \t]+la[ \t]+|de[ \t]+l['’]|du[ \t]+|des[ \t]+|de[ \t]+|d['’])?\p{Lu}[\p{L}'’\-]+(?:[ \t]+(?:(?:de|du|des|la|le|d'|d’)[ \t]+)?\p{Lu}[\p{L}'’\-]+){0,2}",
            ),
            german_named: compile(
                r"\b(?:\p{Lu}[\p{L}]{2,}(?:straße|strasse|gasse|allee)|\p{Lu}[\p{L}]+(?:-\p{Lu}[\p{L}]+)+-(?:Straße|Strasse|Str\.|Allee|Platz|Gasse|Ufer|Damm|Ring)|\p{Lu}[\p{L}\-]+[ \t](?:Straße|Strasse|Allee)|\p{Lu}[\p{L}\-]+er[ \t]Platz)",
            ),
            german_square: compile(r"\b\p{Lu}[\p{L}]{2,}(?:platz|markt)\b"),
            english_extra: compile(
                r"\bSt\.?[ \t]+\p{Lu}[\p{L}'’\-]+[ \t]+(?:Place|Square|Street|Road|Lane|Gardens|Terrace|Walk|Row|Close|Court)\b|\b(?:\p{Lu}[\p{L}'’\-]+[ \t]+){1,2}Estate\b|\b(?:Block|block|Blk)[ \t]+[A-Z]\b|\bBlock[ \t]+\d{1,3}\b",
            ),
            lone_unit: compile(r"\b(?i:flat|apt\.?|apartment|portal)[ \t]+\d{1,4}[A-Za-z]?\b"),
            french: compile(
                // Only the street type and particles ignore case: under a global (?i)
                // `\p{Lu}` matches lowercase too, and the name ran on into the words
                // after it ("12 rue de la Paix now").
                r"\b\d{1,4}(?:[ \t]?(?i:bis|ter))?,?[ \t]+(?i:rue|avenue|av\.|boulevard|boul\.|bd|bld|place|impasse|allée|allee|chemin|quai|cours|passage|route|villa|cité|cite|sentier|voie|montée|montee)[ \t]+(?:(?i:de[ \t]+la|de[ \t]+l'|de[ \t]+l’|de|du|des|d'|d’|la|le|les|l'|l’)[ \t]*)*\p{Lu}[\p{L}'’\-]+(?:[ \t]+(?:(?:de|du|des|la|le|d'|d’)[ \t]+)?\p{Lu}[\p{L}'’\-]+){0,3}",
            ),
        }
    }

    /// Finds addresses, joining parts written one after the other with a comma ("Block C,
    /// Kestrel Estate", "Polígono Los Olivos, calle Diésel 14") into one finding.
    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        let mut parts = Vec::new();
        self.find_parts(text, &mut parts);
        parts.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        let mut merged: Vec<Finding> = Vec::new();
        for f in parts {
            if let Some(last) = merged.last_mut() {
                let gap = text.get(last.end..f.start).unwrap_or("x");
                if f.start >= last.end && matches!(gap, ", " | "," | " , ") {
                    let (start, end) = (last.start, f.end);
                    out.push(last.clone());
                    last.end = end;
                    last.text = text.get(start..end).unwrap_or("").to_string();
                    out.push(f);
                    continue;
                }
            }
            merged.push(f);
        }
        out.extend(merged);
    }

    fn find_parts(&self, text: &str, out: &mut Vec<Finding>) {
        let simple = [
            &self.building_part,
            &self.building_part_de_es,
            &self.english,
            &self.uk_postcode,
            &self.us_zip,
            &self.germanic,
            &self.romance_prefix,
        ];
        for re in simple.into_iter().flatten() {
            for m in re.find_iter(text) {
                // "via London 3 times": English "via" and a count, not an Italian street.
                let count = m.as_str().starts_with("via ")
                    && next_word(text, m.end()).is_some_and(|w| COUNT_NOUNS.contains(&w.as_str()));
                if !glued(text, m.start(), m.end()) && !count {
                    let end = m.start() + drop_sentence_period(m.as_str()).len();
                    push(out, Kind::Address, text, m.start(), end);
                }
            }
        }
        if let Some(re) = &self.french {
            for m in re.find_iter(text) {
                // Round 17: "à 19 heures 30 place Clichy": the number is the minutes,
                // the street starts at its type.
                let minutes = matches!(
                    crate::util::prev_word(text, m.start()).as_str(),
                    "heure" | "heures" | "h"
                );
                if minutes && !glued(text, m.start(), m.end()) {
                    let street = m.as_str().find(char::is_alphabetic).unwrap_or(0);
                    push(out, Kind::Address, text, m.start() + street, m.end());
                } else if !glued(text, m.start(), m.end()) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.romance_named {
            for caps in re.captures_iter(text) {
                let (Some(whole), Some(kind)) = (caps.get(0), caps.get(1)) else {
                    continue;
                };
                // The span starts at the street type ("in via X" -> "via X").
                let ty = kind.as_str().split_whitespace().last().unwrap_or("");
                // Only a leading preposition ("in via") is dropped, not "Polígono" of
                // "Polígono Industrial".
                let start = if kind.as_str().starts_with(char::is_lowercase) {
                    kind.end() - ty.len()
                } else {
                    kind.start()
                };
                let name = text.get(kind.end()..whole.end()).unwrap_or("").trim();
                let first_name_word = name
                    .split_whitespace()
                    .find(|w| w.starts_with(char::is_uppercase))
                    .unwrap_or("");
                // "Via Zoom", "Corso Italia" at a sentence start in English ("Via
                // London we…"): the words that are also English need a preposition.
                let english_too = matches!(ty, "Via" | "Corso" | "Largo");
                let has_prep = whole.start() < start;
                // "nel corso di Maria", "in strada Sabato": lowercase types that are also
                // ordinary words need a street-like context.
                let prev = crate::util::prev_word(text, start);
                let ordinary = (ty == "corso"
                    && matches!(
                        prev.as_str(),
                        "nel" | "del" | "durante" | "al" | "dal" | "sul" | "un" | "il" | "questo"
                    ))
                    || (ty == "ronda" && !matches!(prev.as_str(), "la" | "en" | "de" | "por"));
                if ordinary {
                    continue;
                }
                if NOT_STREET_NAME.contains(&first_name_word)
                    || (english_too && !has_prep && sentence_start(text, start))
                    || glued(text, start, whole.end())
                {
                    continue;
                }
                push(out, Kind::Address, text, start, whole.end());
            }
        }
        if let Some(re) = &self.french_named {
            for caps in re.captures_iter(text) {
                let (Some(whole), Some(ty)) = (caps.get(0), caps.get(1)) else {
                    continue;
                };
                let part = caps.get(2).map(|p| p.as_str().trim()).unwrap_or("");
                let prev = crate::util::prev_word(text, whole.start());
                // "place" is also "room" and "instead of": it needs a particle, and after
                // "la"/"en"/"sur" a bare "de" reads as "à la place de Marie".
                let instead = ty.as_str() == "place"
                    && (part.is_empty()
                        || (matches!(part, "de" | "d'" | "d’")
                            && matches!(
                                prev.as_str(),
                                "la" | "en" | "sur" | "une" | "ma" | "sa" | "ta"
                            )));
                let name = text.get(ty.end()..whole.end()).unwrap_or("").trim();
                let first = name
                    .split_whitespace()
                    .find(|w| w.starts_with(char::is_uppercase))
                    .unwrap_or("");
                if !instead
                    && !NOT_STREET_NAME.contains(&first)
                    && !glued(text, whole.start(), whole.end())
                {
                    push(out, Kind::Address, text, whole.start(), whole.end());
                }
            }
        }
        if let Some(re) = &self.german_named {
            for m in re.find_iter(text) {
                let lower = m.as_str().to_lowercase();
                let generic = GENERIC_DE_STREETS.iter().any(|g| lower == *g);
                if !generic && !glued(text, m.start(), m.end()) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.german_square {
            for m in re.find_iter(text) {
                let lower = m.as_str().to_lowercase();
                let prev = crate::util::prev_word(text, m.start());
                let placed = matches!(
                    prev.as_str(),
                    "am" | "vom" | "zum" | "dem" | "den" | "treffpunkt" | "über" | "auf" | "beim"
                );
                // A square's name is a name wherever it stands ("Besammlung beim Brunnen,
                // Helvetiaplatz"): the compounds on "-platz" that are not squares are
                // listed. Markets are named only after a preposition ("am Viktualienmarkt"),
                // since most "-markt" words are kinds of market ("Flohmarkt").
                let square = if lower.ends_with("markt") {
                    placed && !GENERIC_DE_MARKETS.iter().any(|g| lower.ends_with(g))
                } else {
                    !GENERIC_DE_SQUARES.iter().any(|g| lower.ends_with(g))
                };
                if square && !glued(text, m.start(), m.end()) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.english_extra {
            for m in re.find_iter(text) {
                let lead = m.as_str().split_whitespace().next().unwrap_or("");
                if !NOT_STREET_LEAD.contains(&lead) && !glued(text, m.start(), m.end()) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.lone_unit {
            for m in re.find_iter(text) {
                let count = next_word(text, m.end()).is_some_and(|w| {
                    COUNT_NOUNS.contains(&w.as_str())
                        || matches!(
                            w.as_str(),
                            "years" | "pounds" | "euros" | "per" | "percent" | "fee" | "rate"
                        )
                });
                if !count && !glued(text, m.start(), m.end()) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.venue {
            for caps in re.captures_iter(text) {
                let Some(v) = caps.name("v") else { continue };
                let lead = v.as_str().split_whitespace().next().unwrap_or("");
                if !GENERIC_VENUE_LEAD.contains(&lead) {
                    push(out, Kind::Address, text, v.start(), v.end());
                }
            }
        }
        if let Some(re) = &self.english_named {
            for m in re.find_iter(text) {
                let lead = m.as_str().split_whitespace().next().unwrap_or("");
                if !NOT_STREET_LEAD.contains(&lead) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.nl_postcode {
            for m in re.find_iter(text) {
                let letters = m.as_str().get(m.as_str().len() - 2..).unwrap_or("");
                let acronym = matches!(
                    letters,
                    "SA" | "SD"
                        | "SS"
                        | "AD"
                        | "BC"
                        | "CE"
                        | "AM"
                        | "PM"
                        | "UK"
                        | "EU"
                        | "US"
                        | "OK"
                        | "ID"
                        | "TV"
                        | "PC"
                        | "MB"
                        | "GB"
                        | "KB"
                        | "HP"
                        | "KM"
                        | "CM"
                        | "MM"
                        | "KG"
                );
                // A Dutch postcode is followed by a town or ends the phrase;
                // "1500 AB flyers" is a quantity.
                let before_lowercase = next_word(text, m.end()).is_some()
                    && text
                        .get(m.end()..)
                        .is_some_and(|r| r.trim_start().starts_with(char::is_lowercase));
                if !acronym && !before_lowercase && !glued(text, m.start(), m.end()) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
        if let Some(re) = &self.five_digit {
            for caps in re.captures_iter(text) {
                if let Some(m) = caps.get(1) {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
    }
}

fn glued(text: &str, start: usize, end: usize) -> bool {
    char_before(text, start).is_some_and(|c| {
        c.is_alphanumeric()
            || matches!(c, '.' | '@' | '-')
            || (c == '/' && path_before(text, start))
    }) || char_at(text, end).is_some_and(|c| c.is_alphanumeric() || c == '@')
}

/// A slash inside a path or web address ("example.org/Rue-X"), not one between two
/// streets of a corner ("Ecke Oranienstraße/Adalbertstraße", round 17).
fn path_before(text: &str, start: usize) -> bool {
    let before = text.get(..start.saturating_sub(1)).unwrap_or("");
    let word = before.rsplit(char::is_whitespace).next().unwrap_or("");
    word.is_empty() || word.contains(['.', ':', '/']) || !word.ends_with(char::is_alphabetic)
}

/// Keeps the period after an abbreviated street type ("Baker St.") but not
/// a sentence-final one ("Downing Street.").
fn drop_sentence_period(s: &str) -> &str {
    let Some(body) = s.strip_suffix('.') else {
        return s;
    };
    let last = body
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    let abbreviation = matches!(
        last,
        "St" | "Rd"
            | "Ave"
            | "Ln"
            | "Dr"
            | "Pl"
            | "Ct"
            | "Cres"
            | "Sq"
            | "Gdns"
            | "Blvd"
            | "Hwy"
            | "Pkwy"
            | "Tce"
            | "Str"
            | "izq"
            | "dcha"
            | "dch"
            | "Apt"
            | "Ste"
    );
    if abbreviation {
        s
    } else {
        body
    }
}

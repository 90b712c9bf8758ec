//! Round 16 of issue 13: the address families set 15 missed, generalised.
//!
//! * After a house number, the rest of a continental door number: Austrian "54/2/11"
//!   (house, staircase, door), Italian "8/3", "12/A"; Austrian units after a comma
//!   ("Stiege 2", "Tür 11", "Top 5"); and a four-digit postcode with its town after a
//!   comma ("…, 1170 Wien", "…, 3011 Bern", "…, 1000 Bruxelles").
//! * New findings: an Italian house number named by its word ("al civico 181", "del
//!   numero civico 12"), a French one after an article ("au n° 42"), and streets written
//!   in capitals in a heading ("VIA PADOVA", "CALLE DE TOLEDO 40", "14 ORCHARD STREET").
//!
//! Round 18 (from set 19's misses): the Latin American and Spanish units after a house
//! number ("Calle Mesones 129, depto. 12", "…, of. 402", "…, local 3"), and the German
//! parts of a tenement written after a house number or alone in a tenants' list ("Nr. 41,
//! HH 1. OG", "43, Seitenflügel EG", "Hinterhaus 45").

use regex::Regex;

use super::{push, widen_addresses};
use crate::util::{after, compile};
use crate::{Finding, Kind};

#[derive(Debug)]
pub(crate) struct AddressTails {
    door_number: Option<Regex>,
    unit_after: Option<Regex>,
    four_digit_town: Option<Regex>,
    house_word: Option<Regex>,
    capital_street: Option<Regex>,
    house_part: Option<Regex>,
}

/// The parts of a German tenement (front house, rear house, side wing, cross wing, garden
/// house) and their abbreviations.
const HOUSE_PARTS: &str =
    "VH|HH|SF|QG|GH|Vorderhaus|Hinterhaus|Seitenflügel|Quergebäude|Gartenhaus";

impl AddressTails {
    pub(crate) fn new() -> AddressTails {
        AddressTails {
            door_number: compile(r"^(?:/(?:\d{1,3}|[A-Za-z])\b){1,3}"),
            unit_after: compile(
                r"^(?:,?[ \t]+(?:Stiege|Stg\.|Tür|Top|Whg\.|Wohnung|Türnummer|(?i:depto\.?|dpto\.?|departamento|int\.|interior|of\.|oficina|local|apto\.?|apartamento|casa|lote|mz\.|manzana))[ \t]*\d{1,4}[a-zA-Z]?\b){1,3}",
            ),
            four_digit_town: compile(
                r"^,[ \t]*(?:[A-Z]{1,2}-)?[1-9]\d{3}[ \t]+\p{Lu}[\p{L}\-]+(?:[ \t]+(?:am|an|im|bei|sur|en)[ \t]+(?:der[ \t]+)?\p{Lu}[\p{L}\-]+)?",
            ),
            house_word: compile(
                r"\b(?:(?:al|del|dal|nel|il|allo|sul)[ \t]+(?:numero[ \t]+)?civico[ \t]+\d{1,4}(?:[ \t]?/[ \t]?[A-Za-z\d]{1,3})?[A-Za-z]?\b|(?:au|du|le|le[ \t]+numéro)[ \t]+n[°º][ \t]?\d{1,4}(?:[ \t]?(?:bis|ter))?\b)",
            ),
            house_part: compile(&format!(
                r"\b(?:(?:Nr\.[ \t]?)?\d{{1,4}}[a-z]?,[ \t]*(?:{HOUSE_PARTS})(?:[ \t]+(?:\d{{1,2}}\.[ \t]?(?:OG|Stock|Etage)|EG|DG|UG|HP))?(?:[ \t]+(?:links|rechts|Mitte|li\.|re\.))?|(?:Vorderhaus|Hinterhaus|Seitenflügel|Quergebäude|Gartenhaus)[ \t]+\d{{1,4}}[a-z]?)\b"
            )),
            capital_street: compile(
                r"\b(?:(?:VIA|VIALE|PIAZZA|CORSO|LARGO|VICOLO|CALLE|AVENIDA|PLAZA|PASEO|CARRER|RUE|AVENUE|BOULEVARD|IMPASSE|QUAI)[ \t]+(?:(?:DE|DEL|DELLA|DELLE|DEI|DEGLI|DI|DES|DU|LA|LAS|LOS|EL|LE)[ \t]+)*\p{Lu}{3,}[\p{Lu}'’\-]*(?:[ \t]+\p{Lu}{3,}[\p{Lu}'’\-]*)?(?:[ \t]*,?[ \t]*\d{1,4}[A-Z]?\b)?|\d{1,4}[ \t]+(?:\p{Lu}{2,}[ \t]+){1,3}(?:STREET|ROAD|LANE|AVENUE|TERRACE|CRESCENT|PLACE|SQUARE|GARDENS)\b|\p{Lu}{3,}(?:STRASSE|STRAẞE|GASSE|PLATZ|ALLEE)[ \t]+\d{1,4}[A-Z]?\b)",
            ),
        }
    }

    /// New address findings: a house number named by its word, streets in capitals.
    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        for re in [&self.house_word, &self.capital_street, &self.house_part]
            .into_iter()
            .flatten()
        {
            for m in re.find_iter(text) {
                push(out, Kind::Address, text, m.start(), m.end());
            }
        }
    }

    /// Widens address findings that end in a house number over the rest of the door
    /// number, units after it, and a four-digit postcode with its town.
    pub(crate) fn widen(&self, text: &str, out: &mut Vec<Finding>) {
        widen_addresses(text, out, |f| {
            let mut end = f.end;
            if f.text.ends_with(|c: char| c.is_ascii_digit()) {
                if let Some(m) = self
                    .door_number
                    .as_ref()
                    .and_then(|re| re.find(after(text, end, 16)))
                {
                    end += m.end();
                }
            }
            if let Some(m) = self
                .unit_after
                .as_ref()
                .and_then(|re| re.find(after(text, end, 60)))
            {
                end += m.end();
            }
            if let Some(m) = self
                .four_digit_town
                .as_ref()
                .and_then(|re| re.find(after(text, end, 60)))
            {
                end += m.end();
            }
            (f.start, end)
        });
    }
}

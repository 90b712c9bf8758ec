//! Round 17c of issue 13: address forms of set 18's regions, generalised.
//!
//! * Two streets of a crossing joined by "&" or "esquina" ("Milwaukee & Ashland", "5th &
//!   Mission", "c/ Sueca esquina Cádiz"), after a word of place.
//! * Colombian numbered streets ("Carrera 23 # 49-105, segundo piso", "Cra. 19 No.
//!   52-40", "Calle 53 # 20-14, apto 301").
//! * Canadian postcodes ("M6J 1H5") and Irish Eircodes ("D01 K7W2").
//! * Galician street types ("Praza da Princesa", "Rúa Hospital") and named markets,
//!   courtyards and community centres ("Mercado de Colón", "Mercato del Capo", "Cortile
//!   del Maglio", "Maison de quartier Sous-Gare", "halle de Kerlaouen").
//! * German streets on a dam or a bank without a number ("Markgrafendamm", "Maybachufer").
//! * A unit after an address and a comma ("…, Unit 3", "…, app. 6", "…, apto 301").

use regex::Regex;

use super::{push, widen_addresses};
use crate::util::compile;
use crate::{Finding, Kind};

#[derive(Debug)]
pub(crate) struct AddressRegions {
    patterns: Vec<Regex>,
    unit_after: Option<Regex>,
}

impl AddressRegions {
    pub(crate) fn new() -> AddressRegions {
        let cap = r"\p{Lu}[\p{L}'’\-]+";
        let patterns = [
            // Crossings: the first street after a word of place, the second after "&".
            format!(
                r"\b(?i:at|on|corner\s+of|cnr)\s+((?:\d{{1,3}}(?:st|nd|rd|th)|{cap})(?:\s+(?:St|Ave|Rd|Blvd))?\s*&\s*(?:\d{{1,3}}(?:st|nd|rd|th)|{cap})(?:\s+(?:St|Ave|Rd|Blvd))?)\b"
            ),
            format!(r"\b((?:c/|[Cc]alle)\s*{cap}(?:\s+{cap})?\s+esquina(?:\s+con)?\s+{cap})"),
            // Colombia.
            r"\b((?:Carrera|Cra\.?|Kr\.?|Calle|Cl\.?|Avenida|Av\.|Diagonal|Dg\.|Transversal|Tv\.)\s*\d{1,3}[A-Z]?\s*(?:#|No\.?|N°|Nº)\s*\d{1,3}[A-Z]?\s*-\s*\d{1,3}(?:,?\s*(?:apto\.?|apartamento|int\.?|interior|oficina|of\.|local)\s*\d{1,4}|,?\s*(?:primer|segundo|tercer|cuarto|quinto)\s+piso)?)".to_string(),
            // Canada and Ireland.
            r"\b([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] \d[ABCEGHJ-NPRSTV-Z]\d)\b".to_string(),
            r"\b((?:[ACDEFHKNPRTVWXY]\d{2}|D6W) [0-9ACDEFHKNPRTVWXY]{4})\b".to_string(),
            // Galician types; markets, courtyards, community centres by name.
            format!(
                r"\b((?:Praza|praza|Rúa|rúa|Travesa|Avenida\s+de|Mercado|Mercato|Marché|Cortile|Chiostro|Maison\s+de\s+quartier|Casa\s+Cultural|[Hh]alle)\s+(?:(?:de|da|do|das|dos|del|della|dello|dei|des|du|di|la|le|el)\s+)*{cap}(?:\s+{cap})?)"
            ),
            r"\b(\p{Lu}[\p{L}]{3,}(?:damm|ufer))\b".to_string(),
        ];
        AddressRegions {
            patterns: patterns.iter().filter_map(|p| compile(p)).collect(),
            unit_after: compile(
                r"^,\s*(?:[Uu]nit|[Ss]uite|Ste\.?|app\.?|appt\.?|apto\.?|[Aa]pt\.?)\s*\d{1,4}[A-Za-z]?\b",
            ),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        for re in &self.patterns {
            for caps in re.captures_iter(text) {
                if let Some(m) = caps.get(1) {
                    // "Eircode-like" product codes glued to letters or digits are not places.
                    let glued = crate::util::char_at(text, m.end())
                        .is_some_and(|c| c.is_alphanumeric() || c == '-');
                    if !glued {
                        push(out, Kind::Address, text, m.start(), m.end());
                    }
                }
            }
        }
    }

    /// Widens every address over a unit written after it and a comma.
    pub(crate) fn widen(&self, text: &str, out: &mut Vec<Finding>) {
        let Some(re) = &self.unit_after else { return };
        widen_addresses(text, out, |f| {
            let rest = text.get(f.end..).unwrap_or("");
            re.find(rest)
                .map_or((f.start, f.end), |m| (f.start, f.end + m.end()))
        });
    }
}

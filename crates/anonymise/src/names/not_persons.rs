//! Round 16 of issue 13: words set 15 took for people, as families.
//!
//! * A capitalised word joined to a lowercase one by a hyphen is an adjective: "a
//!   Kerry-registered van", "a Leeds-based group", "Dublin-born".
//! * A word after a verb of living or coming from and its preposition is a town:
//!   "residente a Chieri", "vive en Getafe", "habite à Pantin", "wohnt in Marzahn",
//!   "lives in Hove", "originaria di Lecce".
//! * A capitalised run after an office or association and its "de"/"of", or any part
//!   of that run, names what the office is for: "Oficina de Derechos Sociales", "Office
//!   of Tenant Affairs", "Büro für Mieterfragen", "Sportello di Ascolto".
//! * A run the tagger found whose every word is on the stop list is no name ("Marta: Sí,
//!   …"): the rules never take such a run, and the tagger must not either.

use std::sync::LazyLock;

use regex::Regex;

use super::Names;
use crate::util::{before, compile};
use crate::{Finding, Kind};

static LIVES_IN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)\b(?:residente|residenti|resident|residing|reside|residen|abita|abitano|vive|viven|vivo|vit|vivent|habite|habitent|wohnt|wohnen|lebt|leben|lives|live|living|based|nato|nata|nati|né|née|born|originari[oa]|originaires?|stammt|stammen|empadronad[oa]s?|domiciliad[oa]s?|domicilié(?:e|s)?)[ \t]+(?:a|in|en|à|au|at|aus|de|da|di|en[ \t]+el)[ \t]+$",
    )
});

static OFFICE_OF: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)\b(?:oficina|asociación|asociacion|sindicato|plataforma|federación|comisión|concejalía|consejería|área|servicio|secretaría|office|department|ministry|bureau|syndicat|collectif|amicale|service|ufficio|comitato|associazione|sindacato|sportello|assessorato|verein|büro|amt|referat)[ \t]+(?:de[ \t]+la|de[ \t]+los|de[ \t]+las|de|del|des|du|di|della|dei|delle|of|for|für|der|des)[ \t]+(?:\p{Lu}[\p{L}\-]*[ \t]+){0,3}$",
    )
});

impl Names {
    /// Drops the person findings the module docs describe. Runs on the rules' findings
    /// and again after the tagger.
    pub(crate) fn drop_not_persons(&self, text: &str, found: &mut Vec<Finding>) {
        found.retain(|f| {
            if f.kind != Kind::PersonName {
                return true;
            }
            let words: Vec<&str> = f.text.split_whitespace().collect();
            let hyphen_adjective = words.len() == 1
                && f.text
                    .split_once('-')
                    .is_some_and(|(_, rest)| rest.starts_with(char::is_lowercase));
            let head = before(text, f.start, 48);
            let town = words.len() <= 2 && LIVES_IN.as_ref().is_some_and(|re| re.is_match(head));
            let office = OFFICE_OF.as_ref().is_some_and(|re| re.is_match(head));
            // Round 17: parts joined by a hyphen or a slash count apart ("Jan-Mar", "Mo-Fr").
            let only_stop = f
                .text
                .split(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '/'))
                .filter(|w| !w.is_empty())
                .all(|w| {
                    let w = w.trim_matches(|c: char| !c.is_alphanumeric());
                    !w.is_empty() && self.stop.contains(&w.to_lowercase())
                });
            !(hyphen_adjective || town || office || only_stop)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(text: &str, spans: &[&str]) -> Vec<String> {
        super::super::kept_after(text, spans, Names::drop_not_persons)
    }

    #[test]
    fn adjectives_towns_offices_and_stop_words_are_not_people() {
        assert!(kept("a Leeds-based group", &["Leeds-based"]).is_empty());
        assert!(kept("la signora abita a Moncalieri", &["Moncalieri"]).is_empty());
        assert!(kept("la Oficina de Vivienda Digna", &["Vivienda Digna"]).is_empty());
        assert!(kept("la Oficina de Vivienda Digna", &["Digna"]).is_empty());
        assert!(kept("Ana: Vale, gracias", &["Vale"]).is_empty());
        // People stay: a hyphenated name, a person after "with", a name and a stop word.
        assert_eq!(kept("ask Jean-Luc today", &["Jean-Luc"]), ["Jean-Luc"]);
        assert_eq!(kept("she lives with Carla", &["Carla"]), ["Carla"]);
    }
}

//! Round 17 of issue 13: rosters that write people surname first.
//!
//! Minutes and sign-in sheets list people as "Okafor, Chidi; Brannigan, Róisín;
//! Deshpande, Aarav (minutes)", or one per line. The comma inside each item is what
//! makes it a name ("surname, given name"), and the items stand or fall together: once
//! two items of one roster have that shape and one of them holds a name the lists know
//! for sure, every item of that shape is a person, known or not. Items with a place or
//! organisation word ("Lyon, France") spoil nothing but are not taken.

use std::sync::LazyLock;

use regex::Regex;

use super::lists::PLACE_NAMES;
use super::Names;
use crate::patterns::push;
use crate::util::compile;
use crate::{Finding, Kind};

/// One item: "Surname[-Surname], Given[ Given]", optionally followed by a role in
/// parentheses. A particle ("de", "van") may open the surname.
static ITEM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"^[ \t]*(?:[-*•][ \t]+|\d{1,2}[.)][ \t]+)?(?P<name>(?:(?:de|da|di|van|von|del|della|le|la|al|el|ben|bin)[ \t]+)?\p{Lu}[\p{L}'’]+(?:[\-\x20]\p{Lu}[\p{L}'’]+)?,[ \t]+\p{Lu}(?:[\p{L}'’\-]+|\.)(?:[ \t]+\p{Lu}\.?[\p{L}'’\-]*)?)[ \t]*(?:\([^()\n]{1,40}\))?[ \t.]*$",
    )
});

/// A run of items found in one roster: (start, end, text) of each name.
type Items<'a> = Vec<(usize, usize, &'a str)>;

impl Names {
    /// Adds every "surname, given" item of a semicolon-separated roster line, and of a
    /// run of lines that each hold one item.
    pub(crate) fn find_rosters(&self, text: &str, out: &mut Vec<Finding>) {
        let Some(item) = ITEM.as_ref() else {
            return;
        };
        let mut line_start = 0;
        let mut one_per_line: Items = Vec::new();
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches(['\n', '\r']);
            // A list after a heading and its colon ("Present: …") starts after the colon.
            let list_from = body.find(':').map_or(0, |c| c + 1);
            let list = &body[list_from..];
            let mut items: Items = Vec::new();
            let mut offset = line_start + list_from;
            for part in list.split(';') {
                if let Some(name) = item.captures(part).and_then(|c| c.name("name")) {
                    items.push((offset + name.start(), offset + name.end(), name.as_str()));
                }
                offset += part.len() + 1;
            }
            if list.contains(';') {
                self.take_roster(text, &items, out);
            }
            if !list.contains(';') && items.len() == 1 {
                one_per_line.extend(items);
            } else {
                self.take_roster(text, &one_per_line, out);
                one_per_line.clear();
            }
            line_start += line.len();
        }
        self.take_roster(text, &one_per_line, out);
    }

    fn take_roster(&self, text: &str, items: &Items, out: &mut Vec<Finding>) {
        let items: Vec<_> = items
            .iter()
            .filter(|(_, _, n)| !self.place_item(n))
            .collect();
        if items.len() < 2 || !items.iter().any(|(_, _, n)| self.known_item(n)) {
            return;
        }
        for (start, end, _) in items {
            push(out, Kind::PersonName, text, *start, *end);
        }
    }

    /// Some word of the item is a surname or a given name that is no ordinary word.
    fn known_item(&self, item: &str) -> bool {
        words(item).any(|w| {
            !self.stop.contains(&w)
                && (self.surnames.contains(&w)
                    || (self.first.contains(&w) && !self.ambiguous.contains(&w)))
        })
    }

    fn place_item(&self, item: &str) -> bool {
        words(item).any(|w| self.org_place.contains(&w) || PLACE_NAMES.contains(&w.as_str()))
    }
}

fn words(item: &str) -> impl Iterator<Item = String> + '_ {
    item.split(|c: char| !c.is_alphabetic() && c != '\'' && c != '’')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

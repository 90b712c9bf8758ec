//! Round 17 of issue 13: one person's name written in parts the runs stop at.
//!
//! * A Catalan double surname joined by "i": "Pau Ferrer i Soler", "Laia Puigdomènech i
//!   Ros".
//! * A nickname in quotes between the given name and the surname: `Andrés "el Rubio"
//!   Peña`, `Matteo "Teo" Zanardi`, `Hugh «Shuggie» Mac`.

use std::sync::LazyLock;

use regex::Regex;

use crate::util::compile;
use crate::{Finding, Kind};

/// What may follow a name and still belong to it: " i Soler", ` "Teo" Zanardi`.
static TAIL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r#"^(?:[ \t]+i[ \t]+\p{Lu}[\p{L}'’\-]+|[ \t]+["“«'‘][\p{L} .'’\-]{1,24}["”»'’][ \t]+\p{Lu}[\p{L}'’\-]+)"#,
    )
});

/// Widens each person finding over the parts the module docs describe, dropping the
/// person findings the wider one now covers.
pub(crate) fn join_name_parts(text: &str, out: &mut Vec<Finding>) {
    let Some(tail) = TAIL.as_ref() else { return };
    let mut widened: Vec<(usize, usize)> = Vec::new();
    for f in out.iter().filter(|f| f.kind == Kind::PersonName) {
        let Some(rest) = text.get(f.end..) else {
            continue;
        };
        let Some(m) = tail.find(rest) else { continue };
        // "Ferrer i Soler" needs a full name before it: a lone "Pau i Marta" are two people.
        let catalan = m.as_str().trim_start().starts_with("i ");
        if catalan && !f.text.contains(' ') {
            continue;
        }
        widened.push((f.start, f.end + m.end()));
    }
    if widened.is_empty() {
        return;
    }
    widened.sort_unstable();
    out.retain(|f| {
        let at = widened.partition_point(|&(s, _)| s <= f.start);
        f.kind != Kind::PersonName || !(at > 0 && widened[at - 1].1 >= f.end)
    });
    for (start, end) in widened {
        crate::patterns::push(out, Kind::PersonName, text, start, end);
    }
}

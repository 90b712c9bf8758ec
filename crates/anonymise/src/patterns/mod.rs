//! Regex-based detectors for structured identifiers. Each detector pushes
//! raw candidates; overlaps are settled later in [`crate::resolve`].

pub(crate) mod address;
pub(crate) mod address_edges;
pub(crate) mod address_joins;
pub(crate) mod address_regions;
pub(crate) mod address_spans;
pub(crate) mod address_tails;

/// Weekday names, written out, in the five languages (with the unaccented spellings people
/// type), no abbreviations ("mar", "do", "so" are ordinary words): one list for every
/// rule that needs a whole weekday word.
pub(crate) const FULL_WEEKDAYS: &str = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|miércoles|miercoles|jueves|viernes|sábado|sabado|domingo|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica";
pub(crate) mod clock;
pub(crate) mod contact;
pub(crate) mod corners;
pub(crate) mod date_cues;
pub(crate) mod date_links;
pub(crate) mod datetime;
pub(crate) mod geo;
pub(crate) mod log_lines;
pub(crate) mod lone_floor;
pub(crate) mod named_streets;
pub(crate) mod no_moment;
pub(crate) mod not_people;
pub(crate) mod phone;
pub(crate) mod place_context;
pub(crate) mod plate;
pub(crate) mod time_context;
pub(crate) mod time_cues;
pub(crate) mod time_phrases;
pub(crate) mod time_range;
pub(crate) mod time_spans;

use crate::{Finding, Kind};

/// Adds, for each address finding, the wider span `widen` returns for it (the finding's
/// own span when nothing widens it is not added again).
pub(crate) fn widen_addresses(
    text: &str,
    out: &mut Vec<Finding>,
    widen: impl Fn(&Finding) -> (usize, usize),
) {
    let wider: Vec<(usize, usize)> = out
        .iter()
        .filter(|f| f.kind == Kind::Address)
        .map(|f| (f, widen(f)))
        .filter(|(f, span)| *span != (f.start, f.end))
        .map(|(_, span)| span)
        .collect();
    for (s, e) in wider {
        push(out, Kind::Address, text, s, e);
    }
}

/// Appends a finding if `start..end` is a valid, non-empty slice of `text`.
pub(crate) fn push(out: &mut Vec<Finding>, kind: Kind, text: &str, start: usize, end: usize) {
    if start >= end {
        return;
    }
    if let Some(found) = text.get(start..end) {
        out.push(Finding {
            kind,
            start,
            end,
            text: found.to_string(),
        });
    }
}

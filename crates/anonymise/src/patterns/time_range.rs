//! Time ranges whose first end is a bare number: "between 9 and 11am", "from 6 to 8 pm",
//! "dalle 18 alle 20", "de 18 a 20 h", "von 9 bis 17 Uhr". The second end is found by the
//! clock detectors (it carries the unit); this pass widens that finding leftwards over the
//! first hour, so the whole range is one finding and nothing of it is left in the text.

use regex::Regex;

use crate::util::{before, compile};
use crate::{Finding, Kind};

/// How far back the first end of a range may start.
const LOOK_BACK: usize = 40;

#[derive(Debug)]
pub(crate) struct TimeRange {
    /// "[between] 9 and " before a finding.
    with_joiner: Option<Regex>,
    /// "dalle 18 " before a finding that starts with its own joiner ("alle 20").
    opener_only: Option<Regex>,
}

impl TimeRange {
    pub(crate) fn new() -> TimeRange {
        let hour = r"(?:[01]?\d|2[0-3])(?:[:.h][0-5]\d)?(?:\s?(?:h|uhr|am|pm|a\.m\.|p\.m\.))?";
        let opener = r"(?:between|from|entre|de|desde|du|dalle|dal|tra|fra|von|zwischen|ab)";
        let joiner = r"(?:-|–|to|and|till|until|til|a|à|et|y|e|und|bis|hasta|jusqu['’]à|alle)";
        TimeRange {
            with_joiner: compile(&format!(r"(?i)(?:\b{opener}\s+)?\b{hour}\s*{joiner}\s*$")),
            opener_only: compile(&format!(r"(?i)\b{opener}\s+{hour}\s+$")),
        }
    }

    pub(crate) fn widen(&self, text: &str, out: &mut [Finding]) {
        for f in out.iter_mut().filter(|f| f.kind == Kind::DateTime) {
            let head = before(text, f.start, LOOK_BACK);
            let head_start = f.start - head.len();
            let lower = f.text.to_lowercase();
            let own_joiner = [
                "alle ", "a ", "à ", "bis ", "hasta ", "to ", "till ", "until ",
            ]
            .iter()
            .any(|j| lower.starts_with(j));
            let found = match (&self.with_joiner, &self.opener_only) {
                (Some(j), _) if !own_joiner => j.find(head),
                (_, Some(o)) if own_joiner => o.find(head),
                _ => None,
            };
            let Some(m) = found else { continue };
            let start = head_start + m.start();
            if let Some(widened) = text.get(start..f.end) {
                f.start = start;
                f.text = widened.to_string();
            }
        }
    }
}

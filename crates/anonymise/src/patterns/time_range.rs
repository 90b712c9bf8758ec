//! Time ranges whose first end is a bare number: "between 9 and 11am", "from 6 to 8 pm",
//! "dalle 18 alle 20", "de 18 a 20 h", "von 9 bis 17 Uhr". The second end is found by the
//! clock detectors (it carries the unit); this pass widens that finding leftwards over the
//! first hour, so the whole range is one finding and nothing of it is left in the text.

use regex::Regex;

use super::FULL_WEEKDAYS;
use crate::util::{before, compile};
use crate::{Finding, Kind};

/// Parts of the day written between a weekday and a time.
const PARTS: &str = "morning|evening|afternoon|night|matin|soir|après-midi|mattina|sera|pomeriggio|mañana|tarde|noche|morgen|abend|vormittag|nachmittag|früh";

/// How far back the first end of a range may start.
const LOOK_BACK: usize = 40;

#[derive(Debug)]
pub(crate) struct TimeRange {
    /// "[between] 9 and " before a finding.
    with_joiner: Option<Regex>,
    /// "dalle 18 " before a finding that starts with its own joiner ("alle 20").
    opener_only: Option<Regex>,
    /// A weekday and a part of the day right before a date or time: "samedi matin 10 h",
    /// "Samstag, dem 22. November", "Sunday evening at 7".
    day_before: Option<Regex>,
    /// A part of the day right after a time: "dalle 7 del mattino", "a quarter past ten
    /// at night", "um 8 abends".
    part_after: Option<Regex>,
}

impl TimeRange {
    pub(crate) fn new() -> TimeRange {
        let hour = r"(?:[01]?\d|2[0-3])(?:[:.h][0-5]\d)?(?:\s?(?:h|uhr|am|pm|a\.m\.|p\.m\.))?";
        let opener = r"(?:between|from|entre|de|desde|du|dalle|dal|tra|fra|von|zwischen|ab)";
        let joiner = r"(?:-|–|to|and|till|until|til|a|à|et|y|e|und|bis|hasta|jusqu['’]à|alle)";
        TimeRange {
            with_joiner: compile(&format!(r"(?i)(?:\b{opener}\s+)?\b{hour}\s*{joiner}\s*$")),
            opener_only: compile(&format!(r"(?i)\b{opener}\s+{hour}\s+$")),
            day_before: compile(&format!(
                r"(?i)\b(?:{FULL_WEEKDAYS})\.?(?:,?\s+(?:{PARTS}))?(?:,?\s+(?:dem|den|the|le|el|il))?,?\s+$"
            )),
            part_after: compile(
                r"(?i)^\s+(?:in\s+the\s+(?:morning|evening|afternoon)|at\s+night|del\s+mattino|della\s+mattina|della\s+sera|di\s+sera|di\s+notte|del\s+pomeriggio|de\s+la\s+(?:mañana|tarde|noche|madrugada)|du\s+(?:matin|soir)|de\s+l['’]après-midi|morgens|abends|nachts|früh)\b",
            ),
        }
    }

    /// Widens date and time findings over the weekday and part of the day written with
    /// them, so that nothing of the expression is left in the text.
    pub(crate) fn widen_day_words(&self, text: &str, out: &mut [Finding]) {
        for f in out.iter_mut().filter(|f| f.kind == Kind::DateTime) {
            if let Some(re) = &self.part_after {
                if let Some(m) = text.get(f.end..).and_then(|rest| re.find(rest)) {
                    let end = f.end + m.end();
                    if let Some(widened) = text.get(f.start..end) {
                        f.end = end;
                        f.text = widened.to_string();
                    }
                }
            }
            if let Some(re) = &self.day_before {
                let head = before(text, f.start, LOOK_BACK);
                let head_start = f.start - head.len();
                if let Some(m) = re.find(head) {
                    let start = head_start + m.start();
                    if let Some(widened) = text.get(start..f.end) {
                        f.start = start;
                        f.text = widened.to_string();
                    }
                }
            }
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

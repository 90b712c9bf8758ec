//! The one place that decides what happens to identifying details in a public free-text
//! field before it leaves the circle (the ledger is replicated to every follower and
//! sister circle; an alert goes to the federation).
//!
//! Each [`Field`] has a [`Policy`] (argued in `docs/ANONYMISATION.md`):
//! * **refuse** short fields typed on the spot (titles, tags, a claim's name, fund memos,
//!   the pledge): rewording costs the writer seconds, and a `[REDACTED:…]` marker in a
//!   title or memo leaves nothing worth publishing;
//! * **redact** long free text written after the fact (notes, summaries, tactic bodies):
//!   the rest of the text is worth keeping, and the writer is told what went;
//! * **warn** for an alert: it is urgent, and the address in "come to 12 rue de la Paix
//!   now" is the point of it, so it goes out as written with the findings reported.
//!
//! The zine has its own check/redact workflow (`zine check`, `zine publish --redact`).

use std::fmt;

use circle_anonymise::{Anonymiser, Finding, Kind};
use serde::Serialize;

/// A public free-text field of the ledger (or the alert text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    TaskTitle,
    /// `task claim --by`: who took the task.
    TaskClaim,
    /// `task close --note`: the after-action note.
    TaskNote,
    RetroTitle,
    RetroNotes,
    ActionTitle,
    ActionSummary,
    ActionTag,
    TacticTitle,
    TacticBody,
    FundDescription,
    FundMemo,
    PledgeText,
    AlertText,
    /// `lottery draw --from`: a candidate's name, in a transcript sister circles keep.
    LotteryCandidate,
    /// `lottery draw --purpose`.
    LotteryPurpose,
}

/// What happens to a field in which the anonymiser finds something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// The write is refused; nothing changes.
    Refuse,
    /// The findings are replaced by `[REDACTED:kind]`, and a warning says so.
    Redact,
    /// The text goes out as written, with a warning.
    Warn,
}

impl Field {
    /// The per-field decision.
    pub fn policy(self) -> Policy {
        use Field as F;
        match self {
            F::TaskTitle
            | F::TaskClaim
            | F::RetroTitle
            | F::ActionTitle
            | F::ActionTag
            | F::TacticTitle
            | F::FundDescription
            | F::FundMemo
            | F::PledgeText
            | F::LotteryCandidate
            | F::LotteryPurpose => Policy::Refuse,
            F::TaskNote | F::RetroNotes | F::ActionSummary | F::TacticBody => Policy::Redact,
            F::AlertText => Policy::Warn,
        }
    }

    /// How the field is named in messages.
    pub fn label(self) -> &'static str {
        use Field as F;
        match self {
            F::TaskTitle => "task title",
            F::TaskClaim => "task claim (--by)",
            F::TaskNote => "task note",
            F::RetroTitle => "retrospective title",
            F::RetroNotes => "retrospective notes",
            F::ActionTitle => "action title",
            F::ActionSummary => "action summary",
            F::ActionTag => "tag",
            F::TacticTitle => "tactic title",
            F::TacticBody => "tactic body",
            F::FundDescription => "fund description",
            F::FundMemo => "fund memo",
            F::PledgeText => "pledge text",
            F::AlertText => "alert text",
            F::LotteryCandidate => "lottery candidate (--from)",
            F::LotteryPurpose => "lottery purpose",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Field::TaskClaim => {
                "claims are public: claim by a role (\"print crew\", \"driver\"), never a member alias or a name"
            }
            Field::LotteryCandidate => {
                "a draw's candidates are public to sister circles and cannot be redacted without changing the draw: name each by a public handle or a number, never a member alias or a name"
            }
            _ => "it would leave the circle: reword it without the detail",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A refused write: the field and what was found in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub field: Field,
    pub findings: Vec<Finding>,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} contains {}; {}",
            self.field,
            describe(&self.findings),
            self.field.advice()
        )
    }
}

impl std::error::Error for Refused {}

/// A write that went ahead with identifying details redacted or left in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub field: Field,
    pub policy: Policy,
    /// The kinds found, in order of appearance (the found text itself stays local).
    pub kinds: Vec<Kind>,
    pub message: String,
}

/// Checks public fields with one circle's anonymiser and collects the warnings of a
/// command, so its report can show them.
#[derive(Debug)]
pub struct Screen {
    anonymiser: Anonymiser,
    warnings: Vec<Warning>,
    /// Warnings beyond [`MAX_WARNINGS`] (a long import), counted but not kept.
    omitted: usize,
}

/// Warnings kept for one command's report.
pub const MAX_WARNINGS: usize = 64;

impl Screen {
    pub fn new(anonymiser: Anonymiser) -> Screen {
        Screen {
            anonymiser,
            warnings: Vec::new(),
            omitted: 0,
        }
    }

    /// The text to write for `field`: unchanged, redacted, or refused.
    pub fn check(&mut self, field: Field, text: &str) -> Result<String, Refused> {
        let findings = self.anonymiser.scan(text);
        if findings.is_empty() {
            return Ok(text.to_owned());
        }
        let kinds: Vec<Kind> = findings.iter().map(|f| f.kind).collect();
        match field.policy() {
            Policy::Refuse => Err(Refused { field, findings }),
            Policy::Redact => {
                let (out, left) = crate::zine::redact_all(&self.anonymiser, text);
                if !left.is_empty() {
                    // Redaction did not converge: refuse rather than publish a remainder.
                    return Err(Refused {
                        field,
                        findings: left,
                    });
                }
                self.warn(Warning {
                    field,
                    policy: Policy::Redact,
                    message: format!("{field}: redacted {}", kind_list(&kinds)),
                    kinds,
                });
                Ok(out)
            }
            Policy::Warn => {
                self.warn(Warning {
                    field,
                    policy: Policy::Warn,
                    message: format!(
                        "{field}: sent as written (urgent) although it contains {}",
                        describe(&findings)
                    ),
                    kinds,
                });
                Ok(text.to_owned())
            }
        }
    }

    /// Each of several values (tags) of one field.
    pub fn check_all(&mut self, field: Field, texts: &[String]) -> Result<Vec<String>, Refused> {
        texts.iter().map(|t| self.check(field, t)).collect()
    }

    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// How many more warnings there were than [`Screen::warnings`] keeps.
    pub fn omitted(&self) -> usize {
        self.omitted
    }

    fn warn(&mut self, w: Warning) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(w);
        } else {
            self.omitted += 1;
        }
    }
}

fn kind_list(kinds: &[Kind]) -> String {
    let mut names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    names.dedup();
    names.join(", ")
}

/// "member_alias \"Red Fox\", phone \"07700 900123\"" – shown only to the local writer.
fn describe(findings: &[Finding]) -> String {
    let parts: Vec<String> = findings
        .iter()
        .take(5)
        .map(|f| format!("{} {:?}", f.kind, f.text))
        .collect();
    let more = findings.len().saturating_sub(5);
    if more > 0 {
        format!("{} and {more} more", parts.join(", "))
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use circle_anonymise::Lexicon;

    fn screen() -> Screen {
        Screen::new(Anonymiser::new(&Lexicon {
            member_aliases: vec!["Red Fox".into()],
            redact_words: vec![],
        }))
    }

    #[test]
    fn each_policy() {
        let mut s = screen();
        assert_eq!(
            s.check(Field::TaskTitle, "Print leaflets").unwrap(),
            "Print leaflets"
        );
        let refused = s.check(Field::TaskClaim, "R\u{0435}d Fox").unwrap_err();
        assert!(refused.to_string().contains("member_alias"), "{refused}");
        assert!(refused.to_string().contains("role"), "{refused}");
        assert_eq!(
            s.check(Field::TaskNote, "Red Fox drove").unwrap(),
            "[REDACTED:member_alias] drove"
        );
        let alert = "come to 12 rue de la Paix now";
        assert_eq!(s.check(Field::AlertText, alert).unwrap(), alert);
        let policies: Vec<Policy> = s.warnings().iter().map(|w| w.policy).collect();
        assert_eq!(policies, [Policy::Redact, Policy::Warn]);
        assert_eq!(s.warnings()[1].kinds, [Kind::Address]);
    }
}

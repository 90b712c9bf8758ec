//! A command's failure as every front-end shows it: one line of words and a kind.
//!
//! The words are the error's own (`{e:#}`: the chain of causes joined with ": "), the
//! same on the terminal, over the socket and in the web API's `{"error": …}`. The kind
//! comes from the first typed cause in the chain ([`NodeError::kind`],
//! [`LedgerError::kind`], a store error), never from the wording; a cause with no type
//! (a CLI's `bail!`) is a complaint about the input. The CLI's exit code
//! ([`Failure::exit_code`]) and the API's status code (`http::status`) both read it.

use std::process::ExitCode;

use circle_core::error::LedgerError;
use circle_node::{ErrorKind, NodeError};

/// A failed command: what it says, and what kind of failure it is.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }

    /// The failure `e` is: its one-line message, and the kind of its first typed cause.
    pub(crate) fn of(e: &anyhow::Error) -> Failure {
        Failure {
            kind: kind_of(e),
            message: format!("{e:#}").replace('\n', " "),
        }
    }

    /// The process's exit code for this failure: 1 whatever the kind. CLI.md promises
    /// "non-zero" and scripts test for 1 (2 is clap's, for arguments that do not parse);
    /// a kind-specific code would go here, the one place that decides it.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::FAILURE
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::of(&e)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

// A failure can travel on as an error (an HTTP handler's `?`) and keep its kind.
impl std::error::Error for Failure {}

/// The kind of a command's failure: the first typed cause in its chain decides.
pub(crate) fn kind_of(e: &anyhow::Error) -> ErrorKind {
    for cause in e.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.kind;
        }
        if let Some(n) = cause.downcast_ref::<NodeError>() {
            return n.kind();
        }
        if let Some(l) = cause.downcast_ref::<LedgerError>() {
            return l.kind();
        }
        if let Some(s) = cause.downcast_ref::<circle_store::StoreError>() {
            return circle_node::store_kind(s);
        }
    }
    ErrorKind::Invalid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_typed_cause_decides_the_kind_and_the_words_stay() {
        let closed = anyhow::Error::new(NodeError::from(LedgerError::Conflict(
            "task x is already closed".into(),
        )));
        let f = Failure::of(&closed);
        assert_eq!(f.kind, ErrorKind::Conflict);
        assert_eq!(f.message, "task x is already closed");
        let wrapped =
            anyhow::Error::new(NodeError::NotFound("no tactic t".into())).context("while forking");
        let f = Failure::of(&wrapped);
        assert_eq!(f.kind, ErrorKind::NotFound);
        assert_eq!(f.message, "while forking: no tactic t");
        assert_eq!(
            kind_of(&anyhow::anyhow!("`x` is not a circle id")),
            ErrorKind::Invalid
        );
        let again = anyhow::Error::new(Failure::new(ErrorKind::NotCompliant, "not kept"));
        assert_eq!(kind_of(&again), ErrorKind::NotCompliant);
        assert_eq!(f.exit_code(), ExitCode::FAILURE);
    }
}

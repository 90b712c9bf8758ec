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
use serde::{Deserialize, Serialize};

/// A failed command: what it says, and what kind of failure it is. It crosses the local
/// socket as it is, so a command forwarded to a running node fails with the same kind
/// as one run here.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Failure {
    #[serde(with = "kind_name")]
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
}

/// An [`ErrorKind`] by name on the socket (core's enum has no serde of its own).
mod kind_name {
    use circle_node::ErrorKind;
    use serde::{Deserialize, Deserializer, Serializer};

    const NAMES: [(ErrorKind, &str); 8] = [
        (ErrorKind::Invalid, "invalid"),
        (ErrorKind::NotFound, "not_found"),
        (ErrorKind::Conflict, "conflict"),
        (ErrorKind::NotCompliant, "not_compliant"),
        (ErrorKind::NotSteward, "not_steward"),
        (ErrorKind::Unavailable, "unavailable"),
        (ErrorKind::StorageFull, "storage_full"),
        (ErrorKind::Internal, "internal"),
    ];

    pub(super) fn serialize<S: Serializer>(kind: &ErrorKind, s: S) -> Result<S::Ok, S::Error> {
        let name = NAMES
            .iter()
            .find(|(k, _)| k == kind)
            .map_or("internal", |(_, n)| n);
        s.serialize_str(name)
    }

    /// A name this version does not know reads as `internal`: still a failure.
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ErrorKind, D::Error> {
        let name = String::deserialize(d)?;
        Ok(NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map_or(ErrorKind::Internal, |(k, _)| *k))
    }
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

    #[test]
    fn a_failure_crosses_the_socket_with_its_kind() {
        let sent = Failure::new(ErrorKind::NotCompliant, "not kept");
        let line = serde_json::to_string(&sent).unwrap();
        assert_eq!(line, r#"{"kind":"not_compliant","message":"not kept"}"#);
        let got: Failure = serde_json::from_str(&line).unwrap();
        assert_eq!(
            (got.kind, got.message.as_str()),
            (ErrorKind::NotCompliant, "not kept")
        );
        let e = anyhow::Error::new(got);
        assert_eq!(kind_of(&e), ErrorKind::NotCompliant);
        assert_eq!(Failure::of(&e).message, "not kept");
        let future: Failure =
            serde_json::from_str(r#"{"kind":"something_new","message":"m"}"#).unwrap();
        assert_eq!(future.kind, ErrorKind::Internal);
    }
}

//! The circle's private lexicon: member aliases and never-publish words.
//!
//! Kept in `lexicon.json` in the data directory (mode 0600), never in the ledger: the
//! list of aliases is exactly what must not leave the circle.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use circle_core::anonymise::{Anonymiser, Lexicon};
use circle_core::public_text::Screen;
use serde::{Deserialize, Serialize};

use crate::NodeError;

const MAX_ENTRIES: usize = 10_000;
const MAX_WORD: usize = 200;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalLexicon {
    pub member_aliases: Vec<String>,
    pub redact_words: Vec<String>,
}

/// Which list of the lexicon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LexiconList {
    MemberAliases,
    RedactWords,
}

fn path(root: &Path) -> PathBuf {
    root.join("lexicon.json")
}

impl LocalLexicon {
    pub fn load(root: &Path) -> Result<LocalLexicon, NodeError> {
        let p = path(root);
        if !p.exists() {
            return Ok(LocalLexicon::default());
        }
        let bytes =
            fs::read(&p).map_err(|e| NodeError::Invalid(format!("{}: {e}", p.display())))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| NodeError::Invalid(format!("{} is damaged: {e}", p.display())))
    }

    pub fn anonymiser_lexicon(&self) -> Lexicon {
        Lexicon {
            member_aliases: self.member_aliases.clone(),
            redact_words: self.redact_words.clone(),
        }
    }

    fn list_mut(&mut self, which: LexiconList) -> &mut Vec<String> {
        match which {
            LexiconList::MemberAliases => &mut self.member_aliases,
            LexiconList::RedactWords => &mut self.redact_words,
        }
    }

    /// Adds a word; returns false if it was there already (case-insensitively).
    pub fn add(&mut self, which: LexiconList, word: &str) -> Result<bool, NodeError> {
        let word = word.trim();
        if word.is_empty() || word.chars().count() > MAX_WORD || word.chars().any(char::is_control)
        {
            return Err(NodeError::Invalid(format!(
                "a lexicon entry is 1 to {MAX_WORD} printable characters"
            )));
        }
        let list = self.list_mut(which);
        if list.iter().any(|w| w.to_lowercase() == word.to_lowercase()) {
            return Ok(false);
        }
        if list.len() >= MAX_ENTRIES {
            return Err(NodeError::Invalid(format!("at most {MAX_ENTRIES} entries")));
        }
        list.push(word.to_owned());
        Ok(true)
    }

    /// Removes a word; returns false if it was not there.
    pub fn remove(&mut self, which: LexiconList, word: &str) -> bool {
        let list = self.list_mut(which);
        let before = list.len();
        list.retain(|w| w.to_lowercase() != word.trim().to_lowercase());
        list.len() != before
    }

    /// Saves durably: temp file (0600) → fsync → rename → fsync directory.
    pub fn save(&self, root: &Path) -> Result<(), NodeError> {
        let p = path(root);
        let tmp = p.with_extension("json.tmp");
        let io = |e: std::io::Error| NodeError::Invalid(format!("{}: {e}", p.display()));
        let _ = fs::remove_file(&tmp);
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io)?;
        let json =
            serde_json::to_vec_pretty(self).map_err(|e| NodeError::Invalid(e.to_string()))?;
        f.write_all(&json).map_err(io)?;
        f.sync_all().map_err(io)?;
        fs::rename(&tmp, &p).map_err(io)?;
        File::open(root).and_then(|d| d.sync_all()).map_err(io)?;
        Ok(())
    }
}

impl crate::LocalCircle {
    /// The check every public free-text field goes through before it is written, built
    /// with this circle's lexicon (see `circle_core::public_text`).
    pub fn public_text(&self) -> Result<Screen, NodeError> {
        let lexicon = LocalLexicon::load(self.root())?;
        Ok(Screen::new(Anonymiser::new(&lexicon.anonymiser_lexicon())))
    }
}

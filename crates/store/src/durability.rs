//! Group commit with a real fsync behind sled's flush.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use crate::StoreError;

#[derive(Debug, Default)]
struct State {
    /// Highest write generation known durable.
    done: u64,
    /// A leader is flushing right now; others wait for it.
    in_progress: bool,
}

/// Tracks which writes are durable and makes more of them durable, one flush at a time.
#[derive(Debug)]
pub(crate) struct Durability {
    dir: PathBuf,
    written: AtomicU64,
    state: Mutex<State>,
    cv: Condvar,
    synced_blobs: Mutex<HashSet<OsString>>,
}

impl Durability {
    pub(crate) fn new(dir: &Path) -> Durability {
        Durability {
            dir: dir.to_owned(),
            written: AtomicU64::new(0),
            state: Mutex::new(State::default()),
            cv: Condvar::new(),
            synced_blobs: Mutex::new(HashSet::new()),
        }
    }

    /// Records that a write has been handed to sled (not yet durable).
    pub(crate) fn wrote(&self) {
        self.written.fetch_add(1, Ordering::SeqCst);
    }

    /// Returns once every write recorded before the call is durable. Concurrent
    /// callers share flushes: one leader flushes for all who arrived before it.
    pub(crate) fn sync(&self, db: &sled::Db) -> Result<(), StoreError> {
        let target = self.written.load(Ordering::SeqCst);
        let mut st = self.state.lock().map_err(|_| poisoned())?;
        loop {
            if st.done >= target {
                return Ok(());
            }
            if st.in_progress {
                st = self.cv.wait(st).map_err(|_| poisoned())?;
                continue;
            }
            st.in_progress = true;
            let goal = self.written.load(Ordering::SeqCst);
            drop(st);
            let result = self.flush(db);
            st = self.state.lock().map_err(|_| poisoned())?;
            st.in_progress = false;
            if result.is_ok() {
                st.done = st.done.max(goal);
            }
            self.cv.notify_all();
            result?;
        }
    }

    fn flush(&self, db: &sled::Db) -> Result<(), StoreError> {
        db.flush()?;
        File::open(self.dir.join("db"))?.sync_all()?;
        let blobs = self.dir.join("blobs");
        if blobs.is_dir() {
            let mut synced = self.synced_blobs.lock().map_err(|_| poisoned())?;
            for entry in std::fs::read_dir(&blobs)? {
                let entry = entry?;
                if synced.insert(entry.file_name()) {
                    File::open(entry.path())?.sync_all()?;
                }
            }
            File::open(&blobs)?.sync_all()?;
        }
        File::open(&self.dir)?.sync_all()?;
        Ok(())
    }
}

fn poisoned() -> StoreError {
    StoreError::Corrupt("a writer thread panicked".into())
}

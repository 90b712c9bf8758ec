//! The circle that tests and benchmarks start from, defined once for the node's unit tests,
//! its integration tests and its benchmarks: a fresh circle on disk that has declared its
//! mutual aid fund (unless asked not to) and signed its rapid defense pledge.

use std::path::Path;

use crate::{LocalCircle, NodeError};

/// A circle named `name` in `dir`, keeping the fund (if `with_fund`) and the pledge.
pub fn protocol_circle(
    dir: &Path,
    name: &str,
    now: u64,
    with_fund: bool,
) -> Result<LocalCircle, NodeError> {
    let mut local = LocalCircle::init(dir, name, 14, now)?;
    if with_fund {
        local.write(now, |l, s| {
            l.declare_fund(s, now, "Hardship fund").map(|c| ((), c))
        })?;
    }
    local.write(now, |l, s| {
        l.sign_pledge(s, now, "We answer every call.")
            .map(|c| ((), c))
    })?;
    Ok(local)
}

/// Copies a data directory as a file manager would (tests of a second device or a
/// seized copy).
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

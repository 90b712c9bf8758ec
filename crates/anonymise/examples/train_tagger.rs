//! Trains the anonymiser's token tagger on the labelled corpus and writes its weights.
//!
//! ```text
//! cargo run -p circle-anonymise --example train_tagger -- [--below N] [--skip A-B] [OUT]
//! ```
//!
//! Only tuning files are used: numbered below `N` (default 2200, where the current
//! held-out set starts: it must never be trained on), and not every fifth file below 199
//! (the older held-out part). `--skip A-B` leaves out a range as well, to measure the
//! tagger on a set it was not trained on. `OUT` defaults to `data/tagger_weights.txt`;
//! `tests/tagger.rs` checks that the committed file is what this writes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use circle_anonymise::{train_tagger_on_corpus, TAGGER_EPOCHS};

fn main() -> ExitCode {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut below = 2200;
    let mut skip: Option<(usize, usize)> = None;
    let mut out = crate_dir.join("data/tagger_weights.txt");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--below" => match args.next().and_then(|v| v.parse().ok()) {
                Some(n) => below = n,
                None => return usage(),
            },
            "--skip" => {
                let range = args.next().and_then(|v| {
                    let (a, b) = v.split_once('-')?;
                    Some((a.parse().ok()?, b.parse().ok()?))
                });
                match range {
                    Some(r) => skip = Some(r),
                    None => return usage(),
                }
            }
            other => out = PathBuf::from(other),
        }
    }
    let (files, weights) = match train_tagger_on_corpus(&crate_dir.join("corpus"), below, skip) {
        Ok(trained) => trained,
        Err(e) => {
            eprintln!("training: {e}");
            return ExitCode::FAILURE;
        }
    };
    let header = format!(
        "# circle-anonymise tagger weights: feature, then weights for other, person, address, time.\n# Trained by examples/train_tagger.rs on {files} corpus files numbered below {below}{}, {TAGGER_EPOCHS} epochs.\n",
        skip.map_or(String::new(), |(a, b)| format!(" except {a}-{b}"))
    );
    if let Err(e) = fs::write(&out, header + &weights) {
        eprintln!("writing {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    println!(
        "{files} files, {} weight lines -> {}",
        weights.lines().count(),
        out.display()
    );
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: train_tagger [--below N] [--skip A-B] [OUT]");
    ExitCode::FAILURE
}

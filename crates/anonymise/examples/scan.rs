//! Prints the findings of each line of standard input, one per line, as `kind "text"`:
//! a quick way to see what the anonymiser makes of a sentence while writing a rule.
//! `cargo run -p circle-anonymise --example scan <<< "call Maria at 7"`; with
//! `SCAN_RULES=1`, the rules alone, without the tagger; with `SCAN_WHOLE=1`, all of
//! standard input as one text (as a zine or a chat export is scanned).

use std::io::BufRead;

use circle_anonymise::{Anonymiser, Lexicon};

fn main() {
    let anonymiser = Anonymiser::new(&Lexicon::default());
    let rules_only = std::env::var_os("SCAN_RULES").is_some();
    let whole = std::env::var_os("SCAN_WHOLE").is_some();
    let texts: Vec<String> = if whole {
        let mut all = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut all).unwrap_or(0);
        vec![all]
    } else {
        std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .collect()
    };
    for line in texts {
        println!("> {line}");
        let findings = if rules_only {
            anonymiser.scan_rules(&line)
        } else {
            anonymiser.scan(&line)
        };
        for finding in findings {
            println!("  {} {:?}", finding.kind, finding.text);
        }
    }
}

//! Prints the findings of each line of standard input, one per line, as `kind "text"`:
//! a quick way to see what the anonymiser makes of a sentence while writing a rule.
//! `cargo run -p circle-anonymise --example scan <<< "call Maria at 7"`; with
//! `SCAN_RULES=1`, the rules alone, without the tagger.

use std::io::BufRead;

use circle_anonymise::{Anonymiser, Lexicon};

fn main() {
    let anonymiser = Anonymiser::new(&Lexicon::default());
    let rules_only = std::env::var_os("SCAN_RULES").is_some();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
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

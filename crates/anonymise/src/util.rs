//! Small helpers shared by the detectors: safe regex compilation and
//! char-boundary-safe context windows.

use regex::Regex;

/// Compiles a built-in pattern. Built-in patterns are constants, and the
/// `all_patterns_compile` tests prove each one compiles, so the error branch
/// is unreachable in practice; it skips the detector instead of panicking.
pub(crate) fn compile(pattern: &str) -> Option<Regex> {
    match Regex::new(pattern) {
        Ok(re) => Some(re),
        Err(err) => {
            debug_assert!(false, "built-in pattern failed to compile: {err}");
            None
        }
    }
}

/// The last `max` bytes (or fewer, to stay on a char boundary) before `pos`.
pub(crate) fn before(text: &str, pos: usize, max: usize) -> &str {
    let mut start = pos.saturating_sub(max);
    while start < pos && !text.is_char_boundary(start) {
        start += 1;
    }
    text.get(start..pos).unwrap_or("")
}

/// The next `max` bytes (or fewer, to stay on a char boundary) from `pos`.
pub(crate) fn after(text: &str, pos: usize, max: usize) -> &str {
    let mut end = pos.saturating_add(max).min(text.len());
    while end > pos && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(pos..end).unwrap_or("")
}

/// The character just before byte offset `pos`, if any.
pub(crate) fn char_before(text: &str, pos: usize) -> Option<char> {
    text.get(..pos)?.chars().next_back()
}

/// The character starting at byte offset `pos`, if any.
pub(crate) fn char_at(text: &str, pos: usize) -> Option<char> {
    text.get(pos..)?.chars().next()
}

/// True if `c` continues a word (letters, digits, combining marks, `_`).
pub(crate) fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || is_mark(c)
}

/// Combining marks (accents typed as separate code points) belong to the
/// word they modify. Covers the main combining blocks without a Unicode table.
pub(crate) fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// The word (letters only, lowercased) immediately before `pos`, skipping
/// spaces. Used for context cues such as "at", "version", "a las".
pub(crate) fn prev_word(text: &str, pos: usize) -> String {
    let window = before(text, pos, 40);
    let trimmed = window.trim_end();
    let word: String = trimmed
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    word.to_lowercase()
}

/// The word (letters only, lowercased) immediately after `pos`, skipping
/// spaces, or `None` if punctuation, a digit or the end of text comes first.
pub(crate) fn next_word(text: &str, pos: usize) -> Option<String> {
    let window = after(text, pos, 40);
    let rest = window.trim_start();
    let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
    if word.is_empty() {
        None
    } else {
        Some(word.to_lowercase())
    }
}

/// Whether the phrase ends at `pos`: end of text, a line break, or closing or sentence
/// punctuation after spaces ("until two\"", "alle 9\nsiamo già in 40").
pub(crate) fn phrase_ends(text: &str, pos: usize) -> bool {
    let rest = text
        .get(pos..)
        .unwrap_or("")
        .trim_start_matches([' ', '\t']);
    rest.is_empty()
        || rest.starts_with([
            '.', '!', '?', '\n', '\r', ')', ';', ',', '—', '–', ':', '-', '"', '”', '’', '»', '\'',
        ])
}

/// The first whitespace-separated word of `s`, lowercased ("" for none).
pub(crate) fn first_word_lower(s: &str) -> String {
    s.split_whitespace().next().unwrap_or("").to_lowercase()
}

/// Whether the comma right before `pos` separates the fields of a CSV row: it follows a
/// word, not a digit ("car park,06:15", not "1,07700").
pub(crate) fn csv_comma_before(text: &str, pos: usize) -> bool {
    char_before(text, pos) == Some(',')
        && pos >= 2
        && char_before(text, pos - 1).is_some_and(|c| !c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_respect_char_boundaries() {
        let s = "añb😀c";
        for i in 0..=s.len() {
            let _ = before(s, i, 2);
            let _ = after(s, i, 2);
            let _ = char_before(s, i);
            let _ = char_at(s, i);
            let _ = prev_word(s, i);
            let _ = next_word(s, i);
        }
        assert_eq!(prev_word("meet at 7", 8), "at");
        assert_eq!(next_word("7 people", 1).as_deref(), Some("people"));
        assert_eq!(next_word("7.", 1), None);
    }
}

//! # circle-anonymise
//!
//! Finds identifying details in a circle's after-action texts ("zines") so
//! they can be shown to the writer or redacted before anything is published.
//!
//! The main types:
//!
//! * [`Anonymiser`] – compiled detectors; build once with a circle's
//!   [`Lexicon`] and reuse for every text.
//! * [`Finding`] – one detected span: its [`Kind`], byte offsets and text.
//! * [`redact`] – replaces findings with `[REDACTED:kind]` markers.
//!
//! Detection is rule based (regular expressions, embedded name lists and
//! context cues), so it runs offline, is predictable, and is linear in the
//! length of the text. It is a safety net for a human editor, not a
//! guarantee: see `ANONYMISER.md` for measured recall/precision and limits.
//!
//! ```
//! use circle_anonymise::{redact, Anonymiser, Kind, Lexicon};
//!
//! let lexicon = Lexicon {
//!     member_aliases: vec!["Red Fox".into()],
//!     redact_words: vec!["Northgate Depot".into()],
//! };
//! let anon = Anonymiser::new(&lexicon);
//! let text = "Red Fox met Maria Lopez at Northgate Depot, call +44 7700 900123.";
//! let findings = anon.scan(text);
//! let kinds: Vec<Kind> = findings.iter().map(|f| f.kind).collect();
//! assert_eq!(
//!     kinds,
//!     [Kind::MemberAlias, Kind::PersonName, Kind::RedactWord, Kind::Phone]
//! );
//! assert_eq!(
//!     redact(text, &findings),
//!     "[REDACTED:member_alias] met [REDACTED:person_name] at \
//!      [REDACTED:redact_word], call [REDACTED:phone]."
//! );
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod corpus;
mod echo;
mod kind;
mod lexicon;
mod names;
mod normalise;
mod patterns;
mod resolve;
mod tagger;
mod util;

use std::sync::LazyLock;

#[doc(hidden)]
pub use corpus::{corpus_file_number, parse_corpus_file, CorpusFile};
pub use kind::{Kind, UnknownKind};
#[doc(hidden)]
pub use tagger::{train_tagger, train_tagger_on_corpus, LabelledText, EPOCHS as TAGGER_EPOCHS};

use lexicon::WordMatcher;
use names::Names;
use patterns::{
    address::Address, address_edges::AddressEdges, address_joins::AddressJoins,
    address_regions::AddressRegions, address_spans::AddressSpans, address_tails::AddressTails,
    clock::Clock, contact::Contact, corners::Corners, date_cues::DateCues, date_links::DateLinks,
    datetime::DateTime, geo::Geo, log_lines::LogLines, phone::Phone, place_context::PlaceContext,
    plate::Plate, time_context::TimeContext, time_cues::TimeCues, time_phrases::TimePhrases,
    time_range::TimeRange, time_spans::TimeSpans,
};

/// One detected identifying detail.
///
/// `start..end` are byte offsets into the scanned `&str` (end exclusive),
/// always on char boundaries, and `text` is that slice.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// What was found.
    pub kind: Kind,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// The matched text, `&scanned[start..end]`.
    pub text: String,
}

/// Words a circle keeps locally: its members' aliases and anything else it
/// always wants redacted (venues, vehicle nicknames, operation names).
#[derive(Clone, Debug, Default)]
pub struct Lexicon {
    /// Aliases members use with each other.
    pub member_aliases: Vec<String>,
    /// Other words or phrases to always redact.
    pub redact_words: Vec<String>,
}

/// The lexicon-independent detectors. They are the expensive part to build
/// (large Unicode regexes, name sets), so they are built once per process
/// and shared by every [`Anonymiser`].
#[derive(Debug)]
struct Detectors {
    contact: Contact,
    phone: Phone,
    geo: Geo,
    address: Address,
    address_edges: AddressEdges,
    address_joins: AddressJoins,
    address_spans: AddressSpans,
    address_tails: AddressTails,
    corners: Corners,
    place_context: PlaceContext,
    plate: Plate,
    datetime: DateTime,
    clock: Clock,
    time_range: TimeRange,
    time_context: TimeContext,
    time_cues: TimeCues,
    date_cues: DateCues,
    date_links: DateLinks,
    address_regions: AddressRegions,
    time_phrases: TimePhrases,
    log_lines: LogLines,
    time_spans: TimeSpans,
    names: Names,
    tagger: tagger::Tagger,
}

static DETECTORS: LazyLock<Detectors> = LazyLock::new(|| Detectors {
    contact: Contact::new(),
    phone: Phone::new(),
    geo: Geo::new(),
    address: Address::new(),
    address_edges: AddressEdges::new(),
    address_joins: AddressJoins::new(),
    address_spans: AddressSpans::new(),
    address_tails: AddressTails::new(),
    corners: Corners::new(),
    place_context: PlaceContext::new(),
    plate: Plate::new(),
    datetime: DateTime::new(),
    clock: Clock::new(),
    time_range: TimeRange::new(),
    time_context: TimeContext::new(),
    time_cues: TimeCues::new(),
    date_cues: DateCues::new(),
    date_links: DateLinks::new(),
    address_regions: AddressRegions::new(),
    time_phrases: TimePhrases::new(),
    log_lines: LogLines::new(),
    time_spans: TimeSpans::new(),
    names: Names::new(),
    tagger: tagger::Tagger::new(),
});

/// Compiled detectors for one circle. Construction compiles the lexicon
/// (the built-in detectors are compiled once per process and shared);
/// scanning is then cheap and can be repeated for any number of texts.
#[derive(Debug)]
pub struct Anonymiser {
    aliases: WordMatcher,
    redact_words: WordMatcher,
    detectors: &'static Detectors,
}

impl Anonymiser {
    /// Builds an anonymiser for a circle's lexicon. Never panics: lexicon
    /// words are escaped and an unusable word is searched literally.
    pub fn new(lexicon: &Lexicon) -> Anonymiser {
        Anonymiser {
            aliases: WordMatcher::new(Kind::MemberAlias, &lexicon.member_aliases),
            redact_words: WordMatcher::new(Kind::RedactWord, &lexicon.redact_words),
            detectors: &DETECTORS,
        }
    }

    /// Finds identifying details in `text`.
    ///
    /// The result is sorted by `start` and non-overlapping. Where candidate
    /// spans overlap, lexicon matches win, then the longer span, then a
    /// fixed kind priority (structured formats before dates and names).
    ///
    /// Matching runs on a normalised copy (see `normalise.rs`: invisible characters,
    /// compatibility forms, look-alike letters, spaced and line-broken digits), and every
    /// finding is mapped back: offsets and `text` always refer to `text` as given.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        self.scan_with(text, true)
    }

    /// The rules alone, without the statistical tagger: what the tagger is trained
    /// against, and the baseline its figures are compared with.
    #[doc(hidden)]
    pub fn scan_rules(&self, text: &str) -> Vec<Finding> {
        self.scan_with(text, false)
    }

    fn scan_with(&self, text: &str, tagger: bool) -> Vec<Finding> {
        let Some(norm) = normalise::normalise(text) else {
            return self.scan_normalised(text, tagger);
        };
        self.scan_normalised(&norm.text, tagger)
            .into_iter()
            .filter_map(|f| {
                let (start, end) = norm.original(f.start, f.end)?;
                Some(Finding {
                    kind: f.kind,
                    start,
                    end,
                    text: text.get(start..end)?.to_owned(),
                })
            })
            .collect()
    }

    fn scan_normalised(&self, text: &str, tagger: bool) -> Vec<Finding> {
        let mut candidates = Vec::new();
        self.aliases.find(text, &mut candidates);
        self.redact_words.find(text, &mut candidates);
        let d = self.detectors;
        d.contact.find(text, &mut candidates);
        d.phone.find(text, &mut candidates);
        d.geo.find(text, &mut candidates);
        d.address.find(text, &mut candidates);
        d.place_context.find(text, &mut candidates);
        d.address_edges.find(text, &mut candidates);
        // Round 14: post-office boxes, US streets with a compass point.
        d.address_spans.find(text, &mut candidates);
        d.place_context.widen_and_join(text, &mut candidates);
        // Round 12: building parts and premises before a street, posts and bells after,
        // then the comma joins again over what that widened.
        d.address_edges.widen(text, &mut candidates);
        // Round 13: numbers, doors and courtyards after a street, the floor of a building
        // before it, two streets of a corner, a unit whose number has a letter.
        d.address_joins.find(text, &mut candidates);
        d.address_joins.widen(text, &mut candidates);
        // Round 14: the room or premises before an address, floors and doors after it.
        d.address_spans.widen(text, &mut candidates);
        // Round 16: door numbers, units and four-digit postcodes after a street; house
        // numbers named by their word; streets in capitals.
        d.address_tails.find(text, &mut candidates);
        d.address_tails.widen(text, &mut candidates);
        // Round 19: streets named after dates, chat streets.
        d.corners.find(text, &mut candidates);
        // Round 17c: crossings, Colombian streets, Canadian and Irish postcodes, markets and
        // courtyards, units after a comma.
        d.address_regions.find(text, &mut candidates);
        d.address_regions.widen(text, &mut candidates);
        d.place_context.widen_and_join(text, &mut candidates);
        d.plate.find(text, &mut candidates);
        d.datetime.find(text, &mut candidates);
        d.clock.find(text, &mut candidates);
        d.time_range.widen(text, &mut candidates);
        d.time_range.widen_day_words(text, &mut candidates);
        d.time_phrases.find(text, &mut candidates);
        // Round 16: a dotted time after a word that schedules, "el día 3".
        d.time_cues.find(text, &mut candidates);
        // Round 17: short dates by their cues, abbreviated weekdays and months, bounded
        // day numbers, hour ranges in dated rows.
        d.date_cues.find(text, &mut candidates);
        // Round 18: ranges of days and hours, dashed day-months, "8M", weekday + "19/4".
        d.date_links.find(text, &mut candidates);
        d.time_context.find(text, &mut candidates);
        d.time_context.widen_and_join(text, &mut candidates);
        // Round 12: the weekday or part of the day and the approximation around a time,
        // then the joins again over what that widened.
        d.time_phrases.widen(text, &mut candidates);
        d.time_context.widen_and_join(text, &mut candidates);
        // Round 13: in a log, the time that opens a line, in words or with its minutes
        // taken for a house number.
        d.log_lines.find(text, &mut candidates);
        // Round 14: habitual weekdays before an hour, parts of the day after a day, date
        // and hour across "., um", Italian hours in words with their article.
        d.time_spans.find(text, &mut candidates);
        d.time_spans.widen(text, &mut candidates);
        // Round 18: "in punto", "after lunch", then the joins over what the spans widened.
        d.date_links.widen(text, &mut candidates);
        d.time_context.widen_and_join(text, &mut candidates);
        d.names.find(text, &mut candidates);
        d.names.find_in_context(text, &mut candidates);
        // Round 17: rosters that write people "surname, given".
        d.names.find_rosters(text, &mut candidates);
        // Round 18: given names with a surname's initial, initials before a surname.
        d.names.find_initialled(text, &mut candidates);
        names::joins::join_name_parts(text, &mut candidates);
        Names::widen_over_titles(text, &mut candidates);
        d.names.join_title_chains(text, &mut candidates);
        Names::drop_saints(&mut candidates);
        // Round 16: overlapping address candidates are one place, not rivals.
        // Round 19: the two streets of a crossing are one place.
        d.corners.join(text, &mut candidates);
        resolve::unite_overlaps(text, &mut candidates, Kind::Address);
        patterns::no_moment::drop_cut_words(text, &mut candidates);
        let mut rules = resolve::resolve(candidates);
        // Round 18: a plate, name or square found once is found wherever it recurs (before
        // the drops below, which judge each occurrence again).
        echo::echo(text, &mut rules);
        patterns::lone_floor::drop_lone_floors(text, &mut rules);
        patterns::no_moment::drop_no_moment(text, &mut rules);
        patterns::not_people::drop_not_people(text, &mut rules);
        d.names.drop_not_persons(text, &mut rules);
        d.names.drop_firms(text, &mut rules);
        patterns::named_streets::streets_for_people(text, &mut rules);
        patterns::not_people::fix_log_blocks(text, &mut rules);
        d.address_spans.rewiden(text, &mut rules);
        if !tagger {
            return rules;
        }
        // Rules first: the tagger only adds findings where no rule found anything (and,
        // like the rules, takes no saint's name for a person: "San Lorenzo").
        let mut out = d.tagger.extend(&d.names, text, rules);
        // Round 19: the tagger finds streets without a number; crossings join them too.
        d.corners.join(text, &mut out);
        resolve::unite_overlaps(text, &mut out, Kind::Address);
        out = resolve::resolve(out);
        echo::echo(text, &mut out);
        Names::drop_saints(&mut out);
        Names::drop_after_saints(text, &mut out);
        patterns::lone_floor::drop_lone_floors(text, &mut out);
        patterns::no_moment::drop_no_moment(text, &mut out);
        patterns::not_people::drop_not_people(text, &mut out);
        d.names.drop_not_persons(text, &mut out);
        d.names.drop_firms(text, &mut out);
        patterns::named_streets::streets_for_people(text, &mut out);
        d.address_spans.rewiden(text, &mut out);
        out
    }
}

/// Replaces every finding's span in `text` with `[REDACTED:kind]`.
///
/// Findings may come in any order; overlapping or out-of-range findings
/// (e.g. from a different text) are skipped rather than causing a panic.
pub fn redact(text: &str, findings: &[Finding]) -> String {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for f in sorted {
        if f.start < pos || f.start >= f.end || text.get(f.start..f.end).is_none() {
            continue;
        }
        out.push_str(text.get(pos..f.start).unwrap_or(""));
        out.push_str("[REDACTED:");
        out.push_str(f.kind.as_str());
        out.push(']');
        pos = f.end;
    }
    out.push_str(text.get(pos..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests;

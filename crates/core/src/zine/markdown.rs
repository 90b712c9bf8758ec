//! A zine's Markdown as a flow of blocks that a booklet can lay out on pages.
//!
//! `pulldown-cmark` parses (CommonMark, plus strikethrough); this module renders its
//! events itself instead of using `push_html`, for two reasons:
//!
//! - **Untrusted text.** Zines come from sister circles. Raw HTML in a draft is shown as
//!   text, never passed on; a link keeps its address only for `http`, `https` and
//!   `mailto` (no `javascript:`); an image is shown as its description, never loaded
//!   (a printed zine must not call anyone's server when it is opened).
//! - **Pagination.** The fold-and-staple booklet is laid out before it reaches a
//!   browser, so each block knows how many lines it takes, and a paragraph or a code
//!   block can be cut between two pages at a word or a line and carry on.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::escape_html;

/// Inline markup around a piece of text.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Inline {
    Em,
    Strong,
    Strike,
    Code,
    /// A link: its (escaped) address, or empty when it is not one to follow.
    Link(String),
}

impl Inline {
    fn open(&self) -> String {
        match self {
            Inline::Em => "<em>".into(),
            Inline::Strong => "<strong>".into(),
            Inline::Strike => "<s>".into(),
            Inline::Code => "<code>".into(),
            Inline::Link(href) if href.is_empty() => "<span class=\"link\">".into(),
            Inline::Link(href) => format!("<a href=\"{href}\">"),
        }
    }

    fn close(&self) -> &'static str {
        match self {
            Inline::Em => "</em>",
            Inline::Strong => "</strong>",
            Inline::Strike => "</s>",
            Inline::Code => "</code>",
            Inline::Link(href) if href.is_empty() => "</span>",
            Inline::Link(_) => "</a>",
        }
    }
}

/// A run of text without white space, under one stack of inline markup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Piece {
    text: String,
    tags: Vec<Inline>,
    /// A space separates it from the piece before: a place to wrap or cut.
    space_before: bool,
    /// A hard line break comes before it.
    break_before: bool,
}

/// What a paragraph-like block is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Para,
    Quote,
    /// A list item, indented by its depth.
    Item(u8),
}

/// One block of the flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Block {
    /// A heading of the zine's own sections (`What worked`…): `<h2>`.
    Section(String),
    /// A heading inside the text, shown two levels down (`#` is `<h3>`).
    Heading(u8, Vec<Piece>),
    /// Text that may be cut between pages at a space. `marker` is a list item's
    /// bullet or number, `cont` marks the rest of a block cut at a page's end.
    Text {
        kind: Kind,
        marker: Option<String>,
        pieces: Vec<Piece>,
        cont: bool,
    },
    /// Preformatted lines (a code block, or raw HTML shown as text).
    Pre(Vec<String>),
    Rule,
}

/// Characters that surely fit on a line of a booklet page (DejaVu Serif at 10.5 pt sets
/// about 64 on its 124 mm; fewer are counted so a line that runs long still fits), and
/// of preformatted text (9 pt monospace: 63).
const LINE_CHARS: usize = 58;
const PRE_CHARS: usize = 60;
/// Headings are larger: fewer characters to a line.
const HEADING_CHARS: usize = 36;

impl Block {
    /// Lines this block takes on a page, margins included (one line is 5.2 mm).
    pub(super) fn lines(&self) -> f32 {
        match self {
            Block::Section(title) => {
                1.0 + wrapped(title.chars().count(), HEADING_CHARS) as f32 * 1.2
            }
            Block::Heading(_, pieces) => 0.8 + wrap(pieces, HEADING_CHARS).1 as f32 * 1.2,
            Block::Text { kind, pieces, .. } => 0.5 + wrap(pieces, width(*kind)).1 as f32,
            Block::Pre(lines) => 0.8 + pre_lines(lines),
            Block::Rule => 1.0,
        }
    }

    /// Cuts the block so that its first part takes at most `room` lines; `None` when
    /// not even one line fits, or the block cannot be cut (a heading).
    pub(super) fn split(&self, room: f32) -> Option<(Block, Block)> {
        match self {
            Block::Text {
                kind,
                marker,
                pieces,
                cont,
            } => {
                let (starts, _) = wrap(pieces, width(*kind));
                let fit = (room - 0.5).floor();
                if fit < 1.0 {
                    return None;
                }
                // The last line start with all the lines before it within the room.
                let at = starts
                    .iter()
                    .skip(1)
                    .take_while(|(_, before)| *before as f32 <= fit)
                    .last()
                    .map(|(i, _)| *i)?;
                let first = Block::Text {
                    kind: *kind,
                    marker: marker.clone(),
                    pieces: pieces[..at].to_vec(),
                    cont: *cont,
                };
                let mut rest = pieces[at..].to_vec();
                if let Some(p) = rest.first_mut() {
                    p.space_before = false;
                    p.break_before = false;
                }
                let second = Block::Text {
                    kind: *kind,
                    marker: None,
                    pieces: rest,
                    cont: true,
                };
                Some((first, second))
            }
            Block::Pre(lines) => {
                let mut used = 0.8;
                let mut n = 0;
                for l in lines {
                    let h = wrapped(l.chars().count(), PRE_CHARS) as f32;
                    if used + h > room {
                        break;
                    }
                    used += h;
                    n += 1;
                }
                if n == 0 || n == lines.len() {
                    return None;
                }
                Some((
                    Block::Pre(lines[..n].to_vec()),
                    Block::Pre(lines[n..].to_vec()),
                ))
            }
            _ => None,
        }
    }

    /// A heading should not end a page: the booklet keeps it with what follows.
    pub(super) fn is_heading(&self) -> bool {
        matches!(self, Block::Section(_) | Block::Heading(..))
    }

    pub(super) fn to_html(&self) -> String {
        match self {
            Block::Section(title) => format!("<h2>{}</h2>\n", escape_html(title)),
            Block::Heading(level, pieces) => {
                format!("<h{level}>{}</h{level}>\n", inline_html(pieces))
            }
            Block::Text {
                kind,
                marker,
                pieces,
                cont,
            } => {
                let mut class = match kind {
                    Kind::Para => String::new(),
                    Kind::Quote => "quote".to_owned(),
                    Kind::Item(depth) => format!("item depth{}", depth.min(&4)),
                };
                if *cont {
                    class += " cont";
                }
                let class = class.trim();
                let attr = if class.is_empty() {
                    String::new()
                } else {
                    format!(" class=\"{class}\"")
                };
                let marker = marker
                    .as_ref()
                    .map(|m| format!("<span class=\"marker\">{}</span>", escape_html(m)))
                    .unwrap_or_default();
                format!("<p{attr}>{marker}{}</p>\n", inline_html(pieces))
            }
            Block::Pre(lines) => format!("<pre>{}</pre>\n", escape_html(&lines.join("\n"))),
            Block::Rule => "<hr>\n".to_owned(),
        }
    }
}

fn width(kind: Kind) -> usize {
    match kind {
        Kind::Para => LINE_CHARS,
        Kind::Quote => LINE_CHARS - 6,
        Kind::Item(depth) => LINE_CHARS.saturating_sub(4 * (depth as usize + 1)).max(20),
    }
}

fn wrapped(chars: usize, width: usize) -> usize {
    chars.div_ceil(width).max(1)
}

fn pre_lines(lines: &[String]) -> f32 {
    lines
        .iter()
        .map(|l| wrapped(l.chars().count(), PRE_CHARS))
        .sum::<usize>() as f32
}

/// How wide a word sets, in average characters: capitals and digits are wider than
/// the lower case an average assumes (a page of capitals must not run over).
fn set_width(word: &str) -> usize {
    let chars = word.chars().count();
    let wide = word
        .chars()
        .filter(|c| c.is_uppercase() || c.is_ascii_digit())
        .count();
    chars + wide.div_ceil(3)
}

/// Greedy word wrap of pieces into lines of `width` characters: where each line
/// starts, as (index of its first piece, lines before it), and how many lines the text
/// takes in all (a word longer than a line wraps anywhere and takes several).
fn wrap(pieces: &[Piece], width: usize) -> (Vec<(usize, usize)>, usize) {
    let mut starts = vec![(0, 0)];
    let mut total = 1;
    let mut used = 0usize;
    for (i, p) in pieces.iter().enumerate() {
        let len = set_width(&p.text);
        let gap = usize::from(p.space_before && used > 0);
        if i > 0 && (p.break_before || (p.space_before && used + gap + len > width)) {
            starts.push((i, total));
            total += 1;
            used = 0;
        } else {
            used += gap;
        }
        used += len;
        while used > width {
            total += 1;
            used -= width;
        }
    }
    (starts, total)
}

/// The pieces as HTML: markup opened and closed only where it changes.
fn inline_html(pieces: &[Piece]) -> String {
    let mut out = String::new();
    let mut open: Vec<Inline> = Vec::new();
    for (i, p) in pieces.iter().enumerate() {
        let common = open.iter().zip(&p.tags).take_while(|(a, b)| a == b).count();
        while open.len() > common {
            if let Some(t) = open.pop() {
                out.push_str(t.close());
            }
        }
        if i > 0 && p.break_before {
            out.push_str("<br>");
        } else if i > 0 && p.space_before {
            out.push(' ');
        }
        for t in &p.tags[common..] {
            out.push_str(&t.open());
            open.push(t.clone());
        }
        out.push_str(&escape_html(&p.text));
    }
    while let Some(t) = open.pop() {
        out.push_str(t.close());
    }
    out
}

/// Only addresses that are safe to follow keep their link.
fn safe_href(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    if ["http://", "https://", "mailto:"]
        .iter()
        .any(|s| lower.starts_with(s))
    {
        escape_html(url.trim())
    } else {
        String::new()
    }
}

/// Builds blocks from parser events.
#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    pieces: Vec<Piece>,
    tags: Vec<Inline>,
    /// The next piece follows a space (or a line break).
    space: bool,
    hard_break: bool,
    /// Open lists: the next number of an ordered one, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// A list item's marker, waiting for the item's first text.
    marker: Option<String>,
    quote: usize,
    heading: Option<u8>,
    pre: Option<String>,
}

impl Builder {
    fn kind(&self) -> Kind {
        if !self.lists.is_empty() {
            Kind::Item(u8::try_from(self.lists.len() - 1).unwrap_or(u8::MAX))
        } else if self.quote > 0 {
            Kind::Quote
        } else {
            Kind::Para
        }
    }

    fn text(&mut self, text: &str) {
        for (i, word) in text.split(char::is_whitespace).enumerate() {
            if i > 0 {
                self.space = true;
            }
            if word.is_empty() {
                continue;
            }
            // A word directly after the previous piece joins it (`foo**bar**`).
            self.pieces.push(Piece {
                text: word.to_owned(),
                tags: self.tags.clone(),
                space_before: self.space,
                break_before: self.hard_break,
            });
            self.space = false;
            self.hard_break = false;
        }
    }

    /// Ends the paragraph being gathered, if it has any text.
    fn flush(&mut self) {
        self.space = false;
        self.hard_break = false;
        if self.pieces.is_empty() {
            return;
        }
        let pieces = std::mem::take(&mut self.pieces);
        let block = match self.heading {
            Some(level) => Block::Heading(level, pieces),
            None => Block::Text {
                kind: self.kind(),
                marker: self.marker.take(),
                pieces,
                cont: false,
            },
        };
        self.blocks.push(block);
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.flush(),
            // Raw HTML shows as written, in a preformatted block.
            Tag::HtmlBlock => {
                self.flush();
                self.pre = Some(String::new());
            }
            Tag::Heading { level, .. } => {
                self.flush();
                self.heading = Some(match level {
                    HeadingLevel::H1 => 3,
                    HeadingLevel::H2 => 4,
                    HeadingLevel::H3 => 5,
                    _ => 6,
                });
            }
            Tag::BlockQuote(_) => {
                self.flush();
                self.quote += 1;
            }
            Tag::CodeBlock(_) => {
                self.flush();
                self.pre = Some(String::new());
            }
            Tag::List(start) => {
                self.flush();
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush();
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}.");
                        *n += 1;
                        m
                    }
                    _ => "•".to_owned(),
                };
                self.marker = Some(marker);
            }
            Tag::Emphasis => self.tags.push(Inline::Em),
            Tag::Strong => self.tags.push(Inline::Strong),
            Tag::Strikethrough => self.tags.push(Inline::Strike),
            Tag::Link { dest_url, .. } => self.tags.push(Inline::Link(safe_href(&dest_url))),
            Tag::Image { .. } => {
                // Never loaded: the description stands in for it, in brackets.
                self.text("[image:");
                self.tags.push(Inline::Em);
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::Item => self.flush(),
            TagEnd::Heading(_) => {
                self.flush();
                self.heading = None;
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.quote = self.quote.saturating_sub(1);
            }
            TagEnd::CodeBlock | TagEnd::HtmlBlock => {
                self.flush();
                if let Some(text) = self.pre.take() {
                    let lines = text.trim_end_matches('\n').lines().map(str::to_owned);
                    self.blocks.push(Block::Pre(lines.collect()));
                }
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link => {
                self.tags.pop();
            }
            TagEnd::Image => {
                self.tags.pop();
                self.space = false;
                self.text("]");
            }
            _ => {}
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            // Raw HTML is text like any other: shown, never interpreted.
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => match &mut self.pre {
                Some(pre) => pre.push_str(&t),
                None => self.text(&t),
            },
            Event::Code(t) => {
                self.tags.push(Inline::Code);
                self.text(&t);
                self.tags.pop();
            }
            Event::SoftBreak => self.space = true,
            Event::HardBreak => self.hard_break = true,
            Event::Rule => {
                self.flush();
                self.blocks.push(Block::Rule);
            }
            _ => {}
        }
    }
}

/// Parses Markdown (CommonMark with strikethrough) into blocks.
pub(super) fn blocks(markdown: &str) -> Vec<Block> {
    let mut b = Builder::default();
    for event in Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH) {
        b.event(event);
    }
    b.flush();
    b.blocks
}

/// Markdown as HTML (one block after the other, nothing cut).
#[cfg(test)]
fn to_html(markdown: &str) -> String {
    blocks(markdown).iter().map(Block::to_html).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_lists_and_emphasis_render_as_markup() {
        let html = to_html(
            "# Night shift\n\nWe *held* the **line**.\n\n- soup\n- songs\n\n1. one\n2. two\n",
        );
        assert!(html.contains("<h3>Night shift</h3>"), "{html}");
        assert!(
            html.contains("We <em>held</em> the <strong>line</strong>."),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"marker\">•</span>soup"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"marker\">2.</span>two"),
            "{html}"
        );
        assert!(!html.contains('#'), "{html}");
    }

    #[test]
    fn raw_html_and_unsafe_links_are_text() {
        let html = to_html(
            "<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> [x](javascript:alert(1)) ![pic](http://tracker.example/p.png)\n",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(!html.contains("tracker.example"), "{html}");
        assert!(html.contains("[image:<em>pic</em>]"), "{html}");
        let ok = to_html("[site](https://example.org/a?b=\"c\")");
        assert!(
            ok.contains("<a href=\"https://example.org/a?b=&quot;c&quot;\">site</a>"),
            "{ok}"
        );
    }

    #[test]
    fn words_joined_by_markup_stay_joined() {
        assert_eq!(
            to_html("foo**bar** baz"),
            "<p>foo<strong>bar</strong> baz</p>\n"
        );
        assert_eq!(to_html("a  \nb"), "<p>a<br>b</p>\n");
    }

    #[test]
    fn a_long_paragraph_splits_at_a_word_and_loses_nothing() {
        let text = "word ".repeat(200);
        let b = blocks(&text);
        assert_eq!(b.len(), 1);
        let total = b[0].lines();
        let (first, rest) = b[0].split(10.0).unwrap();
        assert!(first.lines() <= 10.0, "{}", first.lines());
        assert!(rest.lines() < total);
        let words = |b: &Block| b.to_html().matches("word").count();
        assert_eq!(words(&first) + words(&rest), 200);
        assert!(rest.to_html().starts_with("<p class=\"cont\">"));
        assert!(b[0].split(0.9).is_none());
    }

    #[test]
    fn code_blocks_keep_their_lines() {
        let b = blocks("```\nline one\n<b>two</b>\n```\n");
        assert_eq!(
            b,
            vec![Block::Pre(vec!["line one".into(), "<b>two</b>".into()])]
        );
        assert!(b[0].to_html().contains("&lt;b&gt;two"));
    }
}

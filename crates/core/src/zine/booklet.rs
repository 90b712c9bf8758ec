//! A zine as printed matter: an A5 booklet to read on screen or print page after page,
//! and the same booklet imposed for folding (fold-and-staple).
//!
//! **Imposed.** Pages are laid out here, not by the browser, so that they can be
//! ordered for the fold: page 1 is the cover, page n the back cover with the colophon,
//! blank pages before it make n a multiple of four, and each A4 sheet (landscape) carries
//! four pages, two on each side: the first sheet n and 1 on its front, 2 and n−1 on its
//! back, the next n−2 and 3, then 4 and n−3, and so on. Printed double-sided (flip on
//! the short edge), the stack folds in half into a booklet to staple on the fold.
//!
//! Both are self-contained HTML: one inline style, no script, nothing loaded from
//! anywhere (the document's own policy forbids it even when opened from a file).

use std::collections::VecDeque;

use super::escape_html;
use super::markdown::{blocks, Block};
use crate::ledger::Zine;

/// What a zine says at its end: on the last page, or the back cover.
const COLOPHON: &str = "Copy, adapt, share. Knowledge travels, evidence evaporates.";
/// Lines of text a booklet page holds (180 mm of 5.2 mm lines is 34; kept lower so an
/// estimate that runs long still fits).
const PAGE_LINES: f32 = 32.0;
/// A heading needs this many lines of what follows on its page.
const KEEP_WITH_HEADING: f32 = 2.0;

/// The document's own policy: its inline style and nothing else, wherever it is opened.
const POLICY: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">";

/// Text style shared by both forms: every height a multiple of half a 5.2 mm line, so
/// the imposed layout can count lines.
const TEXT_CSS: &str = r#"
* { box-sizing: border-box; }
html { font-family: Georgia, "DejaVu Serif", serif; font-size: 10.5pt; line-height: 5.2mm; color: #111; }
h1 { font-size: 22pt; line-height: 9mm; margin: 0 0 4mm; letter-spacing: .02em; overflow-wrap: anywhere; }
h2 { font-size: 12pt; line-height: 6.2mm; margin: 2.6mm 0 2.6mm; text-transform: uppercase; letter-spacing: .08em; border-bottom: 1px solid #111; overflow-wrap: anywhere; }
h3, h4, h5, h6 { font-size: 11.5pt; line-height: 6.2mm; margin: 1.3mm 0 1.3mm; overflow-wrap: anywhere; }
h5, h6 { font-style: italic; }
p { margin: 0 0 2.6mm; overflow-wrap: anywhere; hyphens: auto; }
p.cont { text-indent: 0; }
p.quote { margin-left: 3mm; padding-left: 3mm; border-left: 2px solid #777; font-style: italic; }
p.item { padding-left: 4mm; text-indent: -4mm; margin-bottom: 1.3mm; }
p.item.depth1 { margin-left: 4mm; } p.item.depth2 { margin-left: 8mm; }
p.item.depth3 { margin-left: 12mm; } p.item.depth4 { margin-left: 16mm; }
p.item .marker { display: inline-block; width: 4mm; text-indent: 0; }
p.item.cont { text-indent: 0; }
pre { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; line-height: 5.2mm; margin: 0 0 2.6mm; padding: 0 2mm; background: #f2f2f2; white-space: pre-wrap; overflow-wrap: anywhere; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: .9em; }
hr { border: 0; border-top: 1px solid #777; margin: 2.6mm 0; }
a, .link { color: inherit; text-decoration: underline; }
.byline { font-style: italic; margin: 0; }
.colophon { font-size: 8.5pt; text-align: center; border-top: 1px solid #999; padding-top: 2mm; }
"#;

/// Page after page on A5, numbered in the bottom margin; the colophon ends the text.
const FLOW_CSS: &str = r#"
@page { size: A5; margin: 14mm 12mm 16mm 12mm;
  @bottom-center { content: counter(page); font: 8.5pt Georgia, "DejaVu Serif", serif; } }
@page :first { @bottom-center { content: none; } }
body { margin: 0 auto; max-width: 148mm; padding: 8mm; background: #fff; }
header.cover { text-align: center; padding: 10mm 0 8mm; border-bottom: 3px double #111; margin-bottom: 8mm; }
.colophon { margin-top: 10mm; break-inside: avoid; }
@media print { body { padding: 0; max-width: none; } }
"#;

/// A4 sheets, landscape, two A5 pages on each side, in folding order.
const IMPOSED_CSS: &str = r#"
@page { size: A4 landscape; margin: 0; }
body { margin: 0; }
.side { width: 297mm; height: 210mm; display: flex; overflow: hidden; break-after: page; }
.side:last-of-type { break-after: auto; }
.page { width: 148.5mm; height: 210mm; padding: 14mm 12mm 16mm; position: relative; overflow: hidden; }
.page.cover { display: flex; flex-direction: column; justify-content: center; text-align: center; }
.page.cover h1 { border-bottom: 3px double #111; padding-bottom: 4mm; }
.page.back { display: flex; flex-direction: column; justify-content: flex-end; }
.folio { position: absolute; bottom: 7mm; left: 0; right: 0; margin: 0; text-align: center; font-size: 8.5pt; }
.how { display: none; }
@media screen {
  body { background: #d8d8d8; padding: 6mm; }
  .how { display: block; max-width: 297mm; margin: 0 auto 6mm; font-family: sans-serif; line-height: 1.4; }
  .side { background: #fff; margin: 0 auto 6mm; box-shadow: 0 1px 4px rgba(0, 0, 0, .3); }
  .page + .page { border-left: 1px dashed #bbb; }
}
"#;

/// The zine's text as one flow of blocks: the body, then its sections.
fn flow(z: &Zine) -> Vec<Block> {
    let mut out = blocks(&z.body);
    for (heading, text) in [
        ("What worked", &z.worked),
        ("What failed", &z.failed),
        ("Open questions", &z.questions),
    ] {
        if !text.trim().is_empty() {
            out.push(Block::Section(heading.to_owned()));
            out.extend(blocks(text));
        }
    }
    out
}

fn head(title: &str, css: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{POLICY}\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{TEXT_CSS}{css}</style>\n</head>\n",
        escape_html(title)
    )
}

/// The zine as an A5 booklet, page after page (self-contained HTML).
pub fn to_html(circle_name: &str, z: &Zine) -> String {
    let text: String = flow(z).iter().map(Block::to_html).collect();
    format!(
        "{}<body>\n<header class=\"cover\">\n<h1>{title}</h1>\n\
         <p class=\"byline\">An after-action zine from {circle}</p>\n</header>\n\
         <main>\n{text}</main>\n<footer class=\"colophon\">{COLOPHON}</footer>\n</body>\n</html>\n",
        head(&z.title, FLOW_CSS),
        title = escape_html(&z.title),
        circle = escape_html(circle_name),
    )
}

/// Lays the flow out on pages of [`PAGE_LINES`]: a block that does not fit is cut at a
/// word or a line where it can be, a heading never ends a page.
fn paginate(flow: Vec<Block>) -> Vec<Vec<Block>> {
    let mut pages = Vec::new();
    let mut page: Vec<Block> = Vec::new();
    let mut used = 0.0;
    let mut queue: VecDeque<Block> = flow.into();
    while let Some(block) = queue.pop_front() {
        let lines = block.lines();
        let needs = if block.is_heading() {
            lines + KEEP_WITH_HEADING
        } else {
            lines
        };
        if used + needs <= PAGE_LINES {
            used += lines;
            page.push(block);
            continue;
        }
        if let Some((first, rest)) = block.split(PAGE_LINES - used) {
            page.push(first);
            queue.push_front(rest);
        } else if page.is_empty() {
            // Taller than a page and impossible to cut: it gets a page of its own.
            page.push(block);
        } else {
            queue.push_front(block);
        }
        pages.push(std::mem::take(&mut page));
        used = 0.0;
    }
    if !page.is_empty() {
        pages.push(page);
    }
    pages
}

/// Page numbers (1-based) in the order they are printed: for each sheet, front left,
/// front right, back left, back right. `n` is a multiple of four.
pub fn imposition(n: usize) -> Vec<usize> {
    (0..n / 4)
        .flat_map(|s| [n - 2 * s, 1 + 2 * s, 2 + 2 * s, n - 1 - 2 * s])
        .collect()
}

/// The zine imposed for fold-and-staple printing (self-contained HTML; see the module).
pub fn to_booklet(circle_name: &str, z: &Zine) -> String {
    let inner = paginate(flow(z));
    let n = (inner.len() + 2).div_ceil(4) * 4;
    let title = escape_html(&z.title);
    let circle = escape_html(circle_name);
    let page = |number: usize| -> String {
        if number == 1 {
            return format!(
                "<section class=\"page cover\" data-page=\"1\">\n<h1>{title}</h1>\n\
                 <p class=\"byline\">An after-action zine from {circle}</p>\n</section>\n"
            );
        }
        if number == n {
            return format!(
                "<section class=\"page back\" data-page=\"{n}\">\n<p class=\"byline\">{title}: \
                 an after-action zine from {circle}</p>\n<p class=\"colophon\">{COLOPHON}</p>\n</section>\n"
            );
        }
        let body: String = inner
            .get(number - 2)
            .map(|blocks| blocks.iter().map(Block::to_html).collect())
            .unwrap_or_default();
        format!(
            "<section class=\"page\" data-page=\"{number}\">\n{body}<p class=\"folio\">{number}</p>\n</section>\n"
        )
    };
    let order = imposition(n);
    let mut sides = String::new();
    for (i, pair) in order.chunks(2).enumerate() {
        let face = if i % 2 == 0 { "front" } else { "back" };
        sides += &format!(
            "<div class=\"side\" data-sheet=\"{}\" data-face=\"{face}\">\n{}{}</div>\n",
            i / 2 + 1,
            page(pair[0]),
            page(pair[1]),
        );
    }
    format!(
        "{}<body data-pages=\"{n}\" data-sheets=\"{sheets}\">\n<p class=\"how\">{n} pages on {sheets} \
         A4 sheet(s). Print double-sided, flipping on the short edge, at 100% (no scaling); \
         fold the stack in half and staple it on the fold.</p>\n{sides}</body>\n</html>\n",
        head(&z.title, IMPOSED_CSS),
        sheets = n / 4,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zine(body: &str) -> Zine {
        Zine {
            zine_id: "z".into(),
            title: "The <long> night".into(),
            body: body.into(),
            worked: "Soup.".into(),
            failed: String::new(),
            questions: "Tents?".into(),
            action_id: None,
            day: 0,
        }
    }

    #[test]
    fn pages_are_ordered_for_folding() {
        assert_eq!(imposition(4), vec![4, 1, 2, 3]);
        assert_eq!(imposition(8), vec![8, 1, 2, 7, 6, 3, 4, 5]);
        let mut all = imposition(12);
        all.sort_unstable();
        assert_eq!(all, (1..=12).collect::<Vec<_>>());
    }

    #[test]
    fn a_short_zine_is_one_sheet() {
        let html = to_booklet("C", &zine("# Night\n\nWe held the line."));
        assert!(html.contains("data-pages=\"4\""), "{html}");
        assert_eq!(html.matches("class=\"side\"").count(), 2);
        assert!(html.contains("<h3>Night</h3>"));
        assert!(html.contains("The &lt;long&gt; night"));
        assert!(html.contains("size: A4 landscape"));
    }

    #[test]
    fn a_long_zine_spreads_over_sheets_and_keeps_every_word() {
        let body: String = (0..60)
            .map(|i| format!("Paragraph {i} {}\n\n", "words to fill the page ".repeat(12)))
            .collect();
        let html = to_booklet("C", &zine(&body));
        let n: usize = html
            .split("data-pages=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap();
        assert!(n > 8 && n.is_multiple_of(4), "{n}");
        for i in 0..60 {
            assert!(
                html.contains(&format!("Paragraph {i} ")),
                "paragraph {i} lost"
            );
        }
        assert_eq!(html.matches("class=\"page").count(), n);
        let pages = paginate(flow(&zine(&body)));
        for p in &pages {
            let lines: f32 = p.iter().map(Block::lines).sum();
            assert!(lines <= PAGE_LINES, "{lines}");
        }
    }

    #[test]
    fn the_flowing_booklet_ends_with_its_colophon_in_the_flow() {
        let html = to_html("C", &zine("Text"));
        assert!(html.contains("size: A5"));
        assert!(
            !html.contains("position: fixed"),
            "a fixed footer prints over the text"
        );
        assert_eq!(html.matches(COLOPHON).count(), 1);
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{html}"
        );
    }
}

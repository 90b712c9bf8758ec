//! `circle token`: the web page's access token and the link that signs a browser in,
//! for whoever runs the node as a service and never sees `serve`'s output.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use crate::token;
use crate::Report;

/// Inside a running node: the token its page requires (`--token`'s, if given) and the
/// page's own address.
pub(crate) fn running(dir: &Path) -> Result<Report> {
    match token::serving() {
        Some((page, t)) => Ok(report(&t, Some(&page), true)),
        // `serve --no-http`, or the default port was taken: no page runs.
        None => {
            let t = token::load_or_create(dir)?;
            Ok(report(&t, None, true))
        }
    }
}

/// No node runs: the token the next `serve` uses (made now if this is the first time),
/// at the default address.
pub(crate) fn offline(dir: &Path) -> Result<Report> {
    crate::private::ensure_dir(dir)?;
    let t = token::load_or_create(dir)?;
    let page = format!("http://{}", token::DEFAULT_ADDR);
    Ok(report(&t, Some(&page), false))
}

fn report(t: &str, page: Option<&str>, serving: bool) -> Report {
    let url = page.map(|p| token::sign_in_url(p, t));
    let text = match (&url, serving) {
        (Some(u), true) => format!(
            "token: {t}\nsign-in link: {u}\n(open it once in a browser on this computer: it stays signed in)"
        ),
        (Some(u), false) => format!(
            "token: {t}\nsign-in link: {u}\n(the page runs while `circle serve` does; with another --http address, change the address; with --token, that token is used instead)"
        ),
        (None, _) => format!("token: {t}\nthe running node serves no web page (started with --no-http, or its port was taken)"),
    };
    Report::new(json!({ "token": t, "url": url, "serving": serving }), text)
}

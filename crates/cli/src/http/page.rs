//! The page at `/`: a server-rendered shell, one stylesheet and one small script, all
//! compiled into the binary (`crates/cli/assets/`). No build step, nothing fetched from
//! elsewhere: the node may be offline for days.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::{ApiError, AppState};

const INDEX: &str = include_str!("../../assets/index.html");
const SCRIPT: &str = include_str!("../../assets/app.js");
const STEWARDS: &str = include_str!("../../assets/stewards.js");
const STYLE: &str = include_str!("../../assets/app.css");
const ICON: &str = include_str!("../../assets/icon.svg");

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route(
            "/assets/app.js",
            get(|| asset(SCRIPT, "text/javascript; charset=utf-8")),
        )
        .route(
            "/assets/stewards.js",
            get(|| asset(STEWARDS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/assets/app.css",
            get(|| asset(STYLE, "text/css; charset=utf-8")),
        )
        .route("/assets/icon.svg", get(|| asset(ICON, "image/svg+xml")))
}

/// The shell, with the circle's name and id filled in; the script loads the rest.
async fn index(State(s): State<AppState>) -> Result<Response, ApiError> {
    let (name, id) = s
        .local(|local, _| Ok((local.circle().ledger.name(), local.circle_id().to_hex())))
        .await?;
    let page = INDEX
        .replace("{{name}}", &escape(&name))
        .replace("{{circle_id}}", &escape(&id));
    Ok(Html(page).into_response())
}

async fn asset(body: &'static str, mime: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    // Revalidate every time: a new binary must not show yesterday's script.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// Text made safe inside HTML elements and quoted attributes (the zine booklet's rule).
pub(super) use circle_core::zine::escape_html as escape;

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape(r#"<b a="x">&'"#),
            "&lt;b a=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn the_shell_links_only_its_own_assets() {
        let page = super::INDEX;
        for needle in ["/assets/app.js", "/assets/app.css", "{{name}}"] {
            assert!(page.contains(needle), "{needle}");
        }
        for far in ["http://", "https://", "//fonts", "cdn"] {
            assert!(!page.contains(far), "external reference {far}");
        }
    }
}

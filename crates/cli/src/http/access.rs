//! Who may use the page and the API, and from where.
//!
//! - **Token.** Always: every request carries it, `Authorization: Bearer TOKEN`, or the
//!   `circle_token` cookie that opening the page once with `?token=TOKEN` sets
//!   (HttpOnly, SameSite=Strict), after which the token leaves the address bar. Loopback
//!   is no boundary: every account and process on the machine can reach it.
//! - **Host.** On a loopback address a request must name a loopback host (any port, so
//!   an SSH tunnel works): a page elsewhere that rebinds its own domain to 127.0.0.1
//!   (DNS rebinding) is refused before anything else.
//! - **Same origin.** A state-changing request must be `Content-Type: application/json`
//!   (which a form on another site cannot send without a CORS preflight, never answered
//!   here), its `Origin`, if any, must be this page, and `Sec-Fetch-Site`, if any, must
//!   not say cross-site. So other websites open in the same browser cannot write to the
//!   ledger, even on loopback.
//! - **Headers.** Every answer forbids sniffing, framing and referrers; the page gets a
//!   content security policy that allows only its own script and style.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::{ApiError, AppState};

/// The cookie that carries the token for the page.
const COOKIE: &str = "circle_token";
/// The policy of the page: its own script, style and images, nothing else.
pub(super) const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// The access rules of one server.
#[derive(Debug)]
pub(crate) struct Access {
    token: String,
    /// Only loopback host names are accepted (the page listens on loopback).
    loopback: bool,
}

impl Access {
    pub(crate) fn new(token: String, addr: SocketAddr) -> Access {
        Access {
            token,
            loopback: addr.ip().is_loopback(),
        }
    }
}

/// A `Host` header that names this machine's loopback interface, with any port or none.
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().map(|h| format!("[{h}]")),
        None => host.split(':').next().map(str::to_owned),
    };
    let port_ok = |rest: &str| {
        rest.is_empty()
            || rest
                .strip_prefix(':')
                .is_some_and(|p| p.parse::<u16>().is_ok())
    };
    match name {
        Some(n) => {
            let rest = &host[n.len()..];
            let ok_name = n.eq_ignore_ascii_case("localhost")
                || n == "[::1]"
                || n.parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|ip| ip.is_loopback());
            ok_name && port_ok(rest)
        }
        None => false,
    }
}

/// The middleware in front of every route.
pub(crate) async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let access = &state.access;
    let api = req.uri().path().starts_with("/api/");
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if access.loopback && !loopback_host(&host) {
        return refuse(
            api,
            StatusCode::FORBIDDEN,
            "this node answers only at its loopback address, e.g. http://127.0.0.1:7878",
        );
    }
    let token = &access.token;
    if !api && req.method() == Method::GET {
        if let Some(given) = query_token(&req) {
            return if same(&given, token) {
                remember(token)
            } else {
                refuse(
                    api,
                    StatusCode::UNAUTHORIZED,
                    "That sign-in link holds a wrong token. On the computer that runs the node, run: circle token, and open the link it prints.",
                )
            };
        }
    }
    if !carries(req.headers(), token) {
        let why = if api {
            "this node needs its access token: send `Authorization: Bearer TOKEN` (`circle token` prints it), or open the page once with the link `circle token` prints"
        } else {
            "This page needs its access token. On the computer that runs the node, run: circle token, and open the link it prints (once: this browser then stays signed in)."
        };
        return refuse(api, StatusCode::UNAUTHORIZED, why);
    }
    if !req.method().is_safe() {
        if let Err(why) = same_origin(req.headers(), &host) {
            return refuse(api, StatusCode::FORBIDDEN, why);
        }
        if !is_json(req.headers()) {
            return refuse(
                api,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the request body as JSON, with `Content-Type: application/json`",
            );
        }
    }
    let mut response = next.run(req).await;
    secure(response.headers_mut());
    response
}

/// Compares in time independent of where the first difference is.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn query_token(req: &Request) -> Option<String> {
    let q: HashMap<String, String> = axum::extract::Query::try_from_uri(req.uri())
        .ok()
        .map(|q| q.0)?;
    q.get("token").cloned()
}

/// The token as a bearer header or as the page's cookie.
fn carries(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix("Bearer "))
        .any(|t| same(t.trim(), token));
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(name, value)| name == COOKIE && same(value, token));
    bearer || cookie
}

/// Sets the cookie and reloads the page without the token in the address. A page (not
/// a redirect): a redirect that began on another site would not carry a Strict cookie.
fn remember(token: &str) -> Response {
    let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
    let mut r = Html(
        "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=\"0;url=/\">\
         <title>circle</title><p><a href=\"/\">Open the circle's page</a></p>",
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    secure(r.headers_mut());
    r
}

/// Refuses a state-changing request that another website could have sent.
fn same_origin(headers: &HeaderMap, host: &str) -> Result<(), &'static str> {
    let get = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = get("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return Err("requests from other websites are refused");
        }
    }
    if let Some(origin) = get(header::ORIGIN.as_str()) {
        let ours = format!("http://{host}");
        if !origin.eq_ignore_ascii_case(&ours) {
            return Err("requests from other origins are refused");
        }
    }
    Ok(())
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// A refusal: JSON for the API, a short page for a person.
fn refuse(api: bool, status: StatusCode, message: &str) -> Response {
    let mut r = if api {
        ApiError::new(status, message).into_response()
    } else {
        let page = format!(
            "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
             <title>circle: {}</title><h1>{}</h1><p>{}</p>",
            status.as_u16(),
            status.canonical_reason().unwrap_or("refused"),
            super::page::escape(message)
        );
        (status, Html(page)).into_response()
    };
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    secure(r.headers_mut());
    r
}

/// Headers on every answer.
fn secure(h: &mut HeaderMap) {
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        h.insert(name, HeaderValue::from_static(value));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_pass_the_host_check() {
        for ok in [
            "127.0.0.1:7878",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:7878",
            "127.0.0.2:1",
        ] {
            assert!(loopback_host(ok), "{ok}");
        }
        for bad in [
            "attacker.example",
            "localhost.evil:80",
            "10.0.0.1:7878",
            "[::2]:1",
            "127.0.0.1:x",
            "",
        ] {
            assert!(!loopback_host(bad), "{bad}");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abcdefgh", "abcdefgh"));
        assert!(!same("abcdefgh", "abcdefgX"));
        assert!(!same("abc", "abcd"));
    }

    #[test]
    fn json_content_type_with_parameters() {
        let mut h = HeaderMap::new();
        assert!(!is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(is_json(&h));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!is_json(&h));
    }

    #[test]
    fn cross_site_writes_are_refused() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h, "127.0.0.1:7878").is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:7878"),
        );
        assert!(same_origin(&h, "127.0.0.1:7878").is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(same_origin(&h, "127.0.0.1:7878").is_err());
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(same_origin(&h, "127.0.0.1:7878").is_err());
    }

    #[test]
    fn the_cookie_or_the_bearer_carries_the_token() {
        let token = "0123456789abcdef";
        let mut h = HeaderMap::new();
        assert!(!carries(&h, token));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; circle_token=0123456789abcdef"),
        );
        assert!(carries(&h, token));
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer 0123456789abcdef"),
        );
        assert!(carries(&h, token));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer nope"),
        );
        assert!(!carries(&h, token));
    }
}

//! The node's local web page and JSON API: a second front-end over the same commands.
//!
//! `circle serve` starts it beside the local socket (`--http ADDR`, default
//! `127.0.0.1:7878`). Every API handler turns its request into an [`args::Command`] and
//! hands it to the node's one [`Executor`], exactly as the CLI's socket does, then answers
//! with the command's JSON: the API and `--json` cannot drift. The few things a command
//! does with files (a tactic body, a zine draft, an export) take and give text instead,
//! run by the same executor ([`Executor::local`]). A failure's status code comes from its
//! kind ([`status`]), its words are the CLI's: no handler re-checks a rule.
//!
//! - [`api`]: the `/api/…` handlers;
//! - [`events`]: the live alert stream (server-sent events);
//! - [`page`]: the page at `/`, its two assets and the invite's QR code;
//! - [`access`]: token, same-origin and host checks, security headers;
//! - [`token`]: the access token, always required (kept in the data directory);
//! - [`conn`]: accepting connections, with a cap and idle timeouts.
//!
//! Everything is bounded: request bodies ([`MAX_BODY`]), connections and how long they
//! idle, commands running at once, live streams. Errors are JSON `{ "error": "..." }` with a status code that says
//! what kind of failure it is (see `docs/api.md`).
//!
//! [`args::Command`]: crate::args::Command

mod access;
mod api;
mod conn;
mod events;
mod page;
mod stewards;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use circle_node::{ErrorKind, LocalCircle, NetStatus};
use serde_json::Value;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

use crate::args::Command;
use crate::exec::Executor;
use crate::failure::Failure;
use crate::token::{self, DEFAULT_ADDR};
use crate::Report;
/// Largest request body: a 256 KiB zine or tactic (the ledger's cap) as JSON, with room.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
/// Live alert streams open at once (one per open page).
const STREAMS: usize = 32;

/// What `serve` was asked for: where to listen, and the token given with `--token`
/// (without one, the data directory's, see [`HttpConfig::with_token`]).
#[derive(Clone, Debug)]
pub(crate) struct HttpConfig {
    addr: SocketAddr,
    /// `--http` was given: failing to bind is then an error, not a warning.
    explicit: bool,
    token: Option<String>,
}

/// A page's settings with its token resolved: what [`spawn`] serves.
#[derive(Clone, Debug)]
pub(crate) struct HttpAccess {
    token: String,
}

impl HttpConfig {
    /// Checks the flags: `None` for `--no-http`; an error for an address reachable from
    /// other machines without a token, or for a token that is too weak or unprintable.
    pub(crate) fn from_args(
        http: Option<SocketAddr>,
        no_http: bool,
        token: Option<String>,
    ) -> Result<Option<HttpConfig>> {
        if no_http {
            return Ok(None);
        }
        let addr = http.unwrap_or(DEFAULT_ADDR);
        let token = token.filter(|t| !t.is_empty());
        if let Some(t) = &token {
            token::check(t)?;
        }
        if !addr.ip().is_loopback() && token.is_none() {
            bail!(
                "--http {addr} lets other machines reach the page; pass --token TOKEN (or set CIRCLE_TOKEN) so only people with the token can use it"
            );
        }
        Ok(Some(HttpConfig {
            addr,
            explicit: http.is_some(),
            token,
        }))
    }
}

impl HttpConfig {
    /// The token the page requires: `--token`'s, or the one kept in `dir` (made at first
    /// start). `dir` must already be private ([`crate::private::ensure_dir`]).
    pub(crate) fn access(&self, dir: &std::path::Path) -> Result<HttpAccess> {
        let token = match &self.token {
            Some(t) => t.clone(),
            None => token::load_or_create(dir)?,
        };
        Ok(HttpAccess { token })
    }
}

/// A bound listener, before the node starts.
#[derive(Debug)]
pub(crate) struct Bound {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
}

/// Binds the page's address. The default address already in use (a second node on this
/// machine) is a warning and no page; an address given with `--http` must bind.
pub(crate) async fn bind(cfg: &HttpConfig) -> Result<Option<Bound>> {
    let listener = match tokio::net::TcpListener::bind(cfg.addr).await {
        Ok(l) => l,
        Err(e) if !cfg.explicit => {
            tracing::warn!(
                "no web page: cannot listen on {} ({e}); pass --http ADDR to choose another",
                cfg.addr
            );
            return Ok(None);
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot serve the web page on {}", cfg.addr))
        }
    };
    let addr = listener.local_addr().context("the web page's address")?;
    Ok(Some(Bound { listener, addr }))
}

/// The running web server; [`HttpServer::shutdown`] stops it.
#[derive(Debug)]
pub(crate) struct HttpServer {
    url: String,
    sign_in: String,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl HttpServer {
    /// `http://IP:PORT`, as `serve --json` prints it.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The page with its token: opening it once signs a browser in.
    pub(crate) fn sign_in_url(&self) -> &str {
        &self.sign_in
    }

    /// Ends live streams, lets requests in flight finish (bounded), then stops.
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// Starts serving the page and the API on `bound`, its commands run by `exec`.
pub(crate) fn spawn(exec: Executor, cfg: HttpAccess, bound: Bound) -> HttpServer {
    let (stop, stopped) = watch::channel(false);
    let url = format!("http://{}", bound.addr);
    let sign_in = token::sign_in_url(&url, &cfg.token);
    // For `circle token`, which this process answers while it serves.
    token::set_serving(&url, &cfg.token);
    let state = AppState {
        exec,
        access: Arc::new(access::Access::new(cfg.token, bound.addr)),
        streams: Arc::new(Semaphore::new(STREAMS)),
        stop: stopped.clone(),
    };
    let app = router(state);
    let task = tokio::spawn(conn::serve(bound.listener, app, stopped));
    HttpServer {
        url,
        sign_in,
        stop,
        task,
    }
}

/// What every handler shares.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    /// The node's one executor, shared with the local socket.
    exec: Executor,
    access: Arc<access::Access>,
    /// Slots for live alert streams.
    streams: Arc<Semaphore>,
    /// Turns true when the server stops: live streams end then.
    stop: watch::Receiver<bool>,
}

impl AppState {
    /// Runs `f` on the own circle, by the executor (bounded, on a blocking thread).
    async fn local<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut LocalCircle, &NetStatus) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.exec.local(f).await
    }

    /// Runs a CLI command inside the node; its `--json` output is the answer.
    async fn command(&self, command: Command) -> Result<Value, ApiError> {
        let report = self.exec.run(command, true).await?;
        Ok(report_json(report))
    }
}

fn router(state: AppState) -> Router {
    let guarded = axum::middleware::from_fn_with_state(state.clone(), access::guard);
    Router::new()
        .merge(page::routes())
        .merge(api::routes())
        .merge(stewards::routes())
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such page or endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "this method is not allowed here",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(guarded)
        .with_state(state)
}

/// The JSON half of a command's report: what `--json` prints.
fn report_json(report: Report) -> Value {
    // A report serialises as `{json, text}`.
    match serde_json::to_value(report) {
        Ok(Value::Object(mut m)) => m.remove("json").unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// An API failure: a status code and `{ "error": message, ...extra }`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    /// More fields for the body (the findings of a refused zine).
    extra: Option<serde_json::Map<String, Value>>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            extra: None,
        }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    fn with(mut self, key: &str, value: Value) -> ApiError {
        self.extra
            .get_or_insert_with(Default::default)
            .insert(key.to_owned(), value);
        self
    }

    /// A command's error: the CLI's one-line message, and a code by its kind.
    fn from_command(e: anyhow::Error) -> ApiError {
        Failure::of(&e).into()
    }
}

impl From<Failure> for ApiError {
    fn from(f: Failure) -> ApiError {
        ApiError::new(status(f.kind), f.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = self.extra.unwrap_or_default();
        body.insert("error".into(), Value::String(self.message));
        (self.status, axum::Json(Value::Object(body))).into_response()
    }
}

/// The status code of a failure's kind: the one place the API sorts failures
/// (`docs/api.md`, "Errors").
pub(crate) fn status(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict | ErrorKind::NotCompliant | ErrorKind::NotSteward => {
            StatusCode::CONFLICT
        }
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A JSON request body; its failures answer as [`ApiError`]s.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub(crate) struct Body<T>(T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let status = match &r {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            JsonRejection::JsonDataError(_) | JsonRejection::JsonSyntaxError(_) => {
                StatusCode::BAD_REQUEST
            }
            _ => r.status(),
        };
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the request body is larger than {} KiB", MAX_BODY / 1024)
        } else {
            r.body_text()
        };
        ApiError::new(status, message)
    }
}

/// A query string; a malformed one answers 400.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub(crate) struct Query<T>(T);

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::bad_request(r.body_text())
    }
}

/// Path parameters; a malformed one answers 400.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct Path<T>(T);

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> ApiError {
        ApiError::bad_request(r.body_text())
    }
}

/// A JSON answer with a status code.
fn answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// `201 Created` with the command's JSON.
fn created(body: Value) -> Response {
    answer(StatusCode::CREATED, body)
}

/// `200 OK` with the command's JSON.
fn ok(body: Value) -> Response {
    answer(StatusCode::OK, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exposed_address_needs_a_strong_token() {
        let lan: Option<SocketAddr> = Some("0.0.0.0:7878".parse().unwrap());
        let err = HttpConfig::from_args(lan, false, None).unwrap_err();
        assert!(err.to_string().contains("--token"), "{err}");
        assert!(HttpConfig::from_args(lan, false, Some("short".into())).is_err());
        assert!(HttpConfig::from_args(lan, false, Some("a;b".repeat(8))).is_err());
        let ok = HttpConfig::from_args(lan, false, Some("x".repeat(16))).unwrap();
        assert!(ok.unwrap().explicit);
        let default = HttpConfig::from_args(None, false, None).unwrap().unwrap();
        assert_eq!(default.addr, DEFAULT_ADDR);
        assert!(!default.explicit);
        assert!(HttpConfig::from_args(lan, true, None).unwrap().is_none());
    }

    #[test]
    fn failures_map_to_status_codes_by_type_not_wording() {
        use circle_core::error::LedgerError;
        use circle_node::NodeError;
        let code = |e: anyhow::Error| ApiError::from_command(e).status.as_u16();
        let missing = anyhow::Error::new(NodeError::NotFound("no tactic x".into()));
        assert_eq!(code(missing.context("while forking")), 404);
        assert_eq!(code(NodeError::NotCompliant("not kept".into()).into()), 409);
        let node = |e: LedgerError| anyhow::Error::new(NodeError::from(e));
        assert_eq!(code(node(LedgerError::TermExpired(2))), 409);
        assert_eq!(code(node(LedgerError::NotSteward(2))), 409);
        assert_eq!(code(node(LedgerError::Conflict("closed".into()))), 409);
        assert_eq!(code(node(LedgerError::Invalid("empty".into()))), 400);
        assert_eq!(
            code(node(LedgerError::NotFound {
                kind: "task",
                id: "x".into()
            })),
            404
        );
        assert_eq!(code(NodeError::Net("down".into()).into()), 503);
        let full =
            circle_store::StoreError::from(std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert_eq!(code(NodeError::from(full).into()), 507);
        assert_eq!(code(NodeError::StoreFailed("full".into()).into()), 503);
        assert_eq!(code(anyhow::anyhow!("`x` is not a circle id")), 400);
        let busy = ApiError::from(Failure::new(ErrorKind::Unavailable, "busy"));
        assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}

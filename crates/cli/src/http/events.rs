//! `GET /api/alerts/stream`: rapid-defense alerts as server-sent events, live.
//!
//! Each alert the node accepts (or sends) is one `alert` event whose data is the alert
//! as `GET /api/alerts` lists it. A page that fell behind gets a `resync` event and
//! reloads the list. Streams end when the server stops, so shutdown never waits on an
//! open page; at most [`STREAMS`](super::STREAMS) are open at once.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::{ApiError, AppState};

pub(super) async fn stream(
    State(state): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let slot = state.streams.clone().try_acquire_owned().map_err(|_| {
        ApiError::unavailable("too many pages are following alerts; close one and retry")
    })?;
    let alerts = state.exec.node().subscribe_alerts();
    let stop = state.stop.clone();
    let events = futures::stream::unfold(
        (alerts, stop, slot),
        |(mut alerts, mut stop, slot)| async move {
            let event = tokio::select! {
                got = alerts.recv() => match got {
                    Ok(alert) => Event::default()
                        .event("alert")
                        .json_data(&alert)
                        .unwrap_or_else(|_| Event::default().event("resync").data("{}")),
                    Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
                    Err(RecvError::Closed) => return None,
                },
                _ = stop.wait_for(|s| *s) => return None,
            };
            Some((Ok(event), (alerts, stop, slot)))
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

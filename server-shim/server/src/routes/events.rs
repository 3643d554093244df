//! `GET /v1/invoices/{id}/events`: the invoice view as Server-Sent Events, one per new version.
//!
//! The stream opens with the current view (unless `Last-Event-ID` says the client has it), sends
//! each later version, and ends after a final status. Comments every 15 seconds keep proxies from
//! closing it. Changes reach streams through the change feed, from every shim process sharing the
//! database; a stream also re-reads its invoice now and then, in case a notification was lost.

use super::{ApiError, AppState};
use crate::checkout::Checkout;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use shim_api::{InvoiceId, InvoiceView};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::{Receiver, error::RecvError};

/// How long a browser waits before reconnecting a dropped stream.
const RETRY: Duration = Duration::from_secs(2);
/// How long a stream trusts the change feed before re-reading its invoice anyway.
const RECHECK: Duration = Duration::from_secs(30);
/// Heartbeat interval.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

struct Follow {
    /// Counts the stream as open while it lives.
    _open: crate::metrics::StreamGuard,
    checkout: Checkout,
    id: InvoiceId,
    changes: Receiver<InvoiceId>,
    sent: Option<u64>,
    next: Option<InvoiceView>,
    done: bool,
}

fn event(view: &InvoiceView) -> Event {
    let event = Event::default()
        .event("invoice")
        .id(view.version.to_string())
        .retry(RETRY);
    match serde_json::to_string(view) {
        Ok(json) => event.data(json),
        Err(_) => event.data("{}"),
    }
}

impl Follow {
    /// The next event to send, or `None` when the stream should end.
    async fn next_event(&mut self) -> Option<Event> {
        if self.done {
            return None;
        }
        // Re-read at least every RECHECK, however busy the feed is with other invoices, in case a
        // notification for this one was lost.
        let mut recheck_at = tokio::time::Instant::now() + RECHECK;
        loop {
            if let Some(view) = self.next.take() {
                self.sent = Some(view.version);
                self.done = view.is_final;
                return Some(event(&view));
            }
            let change = tokio::time::timeout_at(recheck_at, self.changes.recv()).await;
            match change.unwrap_or(Err(RecvError::Lagged(0))) {
                Ok(changed) if changed != self.id => continue,
                Ok(_) | Err(RecvError::Lagged(_)) => {
                    recheck_at = tokio::time::Instant::now() + RECHECK;
                    match self.checkout.fresh_view(&self.id).await {
                        Ok(view) if Some(view.version) > self.sent => self.next = Some(view),
                        Ok(_) => continue,
                        Err(e) => {
                            tracing::warn!(invoice = %self.id, error = %e, "live stream could not re-read its invoice");
                            return None;
                        }
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// Live push: Server-Sent Events of the invoice view, one `invoice` event per version.
#[utoipa::path(
    get, path = "/v1/invoices/{id}/events", tag = "invoices",
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("Last-Event-ID" = Option<u64>, Header, description = "The last version the client has"),
    ),
    responses(
        (status = 200, description = "`text/event-stream`: an `invoice` event (data: the invoice view, id: its version) now and on every change; ends after a final status", content_type = "text/event-stream", body = String),
        (status = 404, description = "No such invoice", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn stream(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let id = id
        .ok()
        .and_then(|Path(id)| InvoiceId::parse(&id))
        .ok_or_else(|| ApiError::not_found("no invoice with that id"))?;
    // Subscribe before reading, so that no change between the two is missed.
    let changes = state.checkout.subscribe();
    let view = state.checkout.fresh_view(&id).await?;
    let seen: Option<u64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let up_to_date = seen.is_some_and(|seen| seen >= view.version);
    let follow = Follow {
        _open: state.metrics.stream_opened(),
        checkout: state.checkout.clone(),
        id,
        changes,
        sent: if up_to_date { seen } else { None },
        done: up_to_date && view.is_final,
        next: (!up_to_date).then_some(view),
    };
    let events = futures_util::stream::unfold(follow, |mut follow| async move {
        follow.next_event().await.map(|event| (Ok(event), follow))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

//! `GET /v1/invoices/{id}/events`: the invoice view as Server-Sent Events, one per new version.
//!
//! The stream opens with the current view (unless `Last-Event-ID` says the client has it), sends
//! each later version, and ends after a final status. Comments every 15 seconds keep proxies from
//! closing it. Changes reach streams through the change feed, from every shim process sharing the
//! database; a stream also re-reads its invoice now and then, in case a notification was lost.
//!
//! Streams are what a shim holds by the thousand, so most are not served through hyper and the
//! router: a connection whose first request opens a stream is answered by [`serve_direct`], which
//! keeps a few hundred bytes per stream where hyper keeps 16 KB of buffers per connection. The
//! router's handler, [`stream`], serves the rest (a stream asked on a kept-alive connection, a
//! request head that did not come in one piece) with the same frames.

use super::{ApiError, AppState};
use crate::services::{ServiceError, Services};
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use shim_api::{InvoiceId, InvoiceView};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio::time::Instant;

/// How long a browser waits before reconnecting a dropped stream.
const RETRY: Duration = Duration::from_secs(2);
/// How long a stream trusts the change feed before re-reading its invoice anyway.
const RECHECK: Duration = Duration::from_secs(30);
/// When a client over the caps on open streams may try again (seconds).
const STREAM_RETRY: u64 = 30;
/// Heartbeat interval.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One payer's stream: what it has sent, and what comes next.
struct Follow {
    /// Counts the stream as open while it lives.
    _open: crate::metrics::StreamGuard,
    /// Its place within the caps on open streams.
    _slot: crate::rate_limit::StreamSlot,
    services: Services,
    id: InvoiceId,
    changes: Receiver<InvoiceId>,
    sent: Option<u64>,
    next: Option<InvoiceView>,
    done: bool,
    /// When the next heartbeat is due, unless an event goes first.
    heartbeat_at: Instant,
    /// When the invoice is re-read anyway, in case a notification was lost. Kept across frames:
    /// the heartbeats of a quiet stream must not keep putting it off.
    recheck_at: Instant,
}

/// The `text/event-stream` frame of one invoice version.
fn frame(view: &InvoiceView) -> Bytes {
    let json = serde_json::to_string(view).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!(
        "event: invoice\nid: {}\nretry: {}\ndata: {json}\n\n",
        view.version,
        RETRY.as_millis()
    ))
}

/// A comment line: keeps proxies from closing a quiet stream.
const HEARTBEAT: &[u8] = b":\n\n";

/// What a quiet stream does next.
enum Wake {
    /// A heartbeat is due.
    Heartbeat,
    /// Its subject changed, the feed lagged, or its periodic re-read is due: read it again.
    Reread,
    /// The change feed is gone: end the stream.
    Closed,
}

/// Waits on `changes` for the stream of `id`: until its subject changes, its heartbeat is due
/// (then `heartbeat_at` moves on) or its re-read is due (then `recheck_at` moves on, as after
/// every re-read). The re-read comes at least every [`RECHECK`], however busy the feed is with
/// others and however many heartbeats go out meanwhile, in case a notification was lost.
async fn wake<T: Clone + PartialEq>(
    changes: &mut Receiver<T>,
    id: &T,
    recheck_at: &mut Instant,
    heartbeat_at: &mut Instant,
) -> Wake {
    loop {
        let due = (*recheck_at).min(*heartbeat_at);
        let change = tokio::time::timeout_at(due, changes.recv()).await;
        if change.is_err() && Instant::now() >= *heartbeat_at {
            *heartbeat_at = Instant::now() + KEEP_ALIVE;
            return Wake::Heartbeat;
        }
        match change.unwrap_or(Err(RecvError::Lagged(0))) {
            Ok(changed) if changed != *id => continue,
            Ok(_) | Err(RecvError::Lagged(_)) => {
                *recheck_at = Instant::now() + RECHECK;
                return Wake::Reread;
            }
            Err(RecvError::Closed) => return Wake::Closed,
        }
    }
}

/// A live stream's source of frames.
trait Frames: Send + 'static {
    /// The next frame to send (an event or a heartbeat), or `None` when the stream should end.
    fn next_frame(&mut self) -> impl std::future::Future<Output = Option<Bytes>> + Send;
}

/// The `text/event-stream` answer sending `follow`'s frames.
fn event_stream(follow: impl Frames) -> Response {
    let frames = futures_util::stream::unfold(follow, |mut follow| async move {
        follow
            .next_frame()
            .await
            .map(|frame| (Ok::<_, std::convert::Infallible>(frame), follow))
    });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        Body::from_stream(frames),
    )
        .into_response()
}

/// A place within the caps on open streams for the client of this request, or the 429 saying
/// what its page does `instead`.
fn stream_slot(
    state: &AppState,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: &HeaderMap,
    instead: &str,
) -> Result<crate::rate_limit::StreamSlot, ApiError> {
    let peer = peer.map_or(std::net::Ipv4Addr::LOCALHOST.into(), |p| p.0.0.ip());
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = state.limiter.client(peer, forwarded);
    state.stream_slots.take(client).ok_or_else(|| {
        ApiError::rate_limited(
            &format!("too many live streams open; {instead}"),
            STREAM_RETRY,
        )
    })
}

impl Follow {
    /// Opens a stream of invoice `id` for a client that has version `seen`.
    async fn open(
        state: &AppState,
        slot: crate::rate_limit::StreamSlot,
        id: InvoiceId,
        seen: Option<u64>,
    ) -> Result<Follow, ServiceError> {
        // Subscribe before reading, so that no change between the two is missed.
        let changes = state.services.subscribe();
        let view = state.services.invoices.fresh_view(&id).await?;
        let up_to_date = seen.is_some_and(|seen| seen >= view.version);
        Ok(Follow {
            _open: state.metrics.stream_opened(),
            _slot: slot,
            services: state.services.clone(),
            id,
            changes,
            sent: if up_to_date { seen } else { None },
            done: up_to_date && view.is_final,
            next: (!up_to_date).then_some(view),
            heartbeat_at: Instant::now() + KEEP_ALIVE,
            recheck_at: Instant::now() + RECHECK,
        })
    }
}

impl Frames for Follow {
    async fn next_frame(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        loop {
            if let Some(view) = self.next.take() {
                self.sent = Some(view.version);
                self.done = view.is_final;
                self.heartbeat_at = Instant::now() + KEEP_ALIVE;
                return Some(frame(&view));
            }
            match wake(
                &mut self.changes,
                &self.id,
                &mut self.recheck_at,
                &mut self.heartbeat_at,
            )
            .await
            {
                Wake::Heartbeat => return Some(Bytes::from_static(HEARTBEAT)),
                Wake::Closed => return None,
                Wake::Reread => match self.services.invoices.fresh_view(&self.id).await {
                    Ok(view) if Some(view.version) > self.sent => self.next = Some(view),
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::warn!(invoice = %self.id, error = %e, "live stream could not re-read its invoice");
                        return None;
                    }
                },
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
        (status = 429, description = "Over the rate, or over the caps on open streams (per client, in all): read `GET /v1/invoices/{id}` instead; see `Retry-After`", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn stream(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = id
        .ok()
        .and_then(|Path(id)| InvoiceId::parse(&id))
        .ok_or_else(|| ApiError::not_found("no invoice with that id"))?;
    let seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(last_event_id);
    let slot = stream_slot(
        &state,
        peer,
        &headers,
        "the widget reads the invoice instead",
    )?;
    let follow = Follow::open(&state, slot, id, seen).await?;
    Ok(event_stream(follow))
}

fn last_event_id(value: &str) -> Option<u64> {
    value.trim().parse().ok()
}

/// The longest request head [`serve_direct`] looks at; longer ones go to hyper.
const HEAD_PEEK: usize = 2048;

/// What the first request on a connection asks, if it opens a live stream: read from the
/// socket's buffer without taking it, so that any other request is left whole for hyper.
pub(crate) struct StreamRequest {
    id: InvoiceId,
    seen: Option<u64>,
    forwarded_for: Option<String>,
    request_id: Option<String>,
    head_len: usize,
}

/// The first request waiting on `socket`, if it is exactly a live stream's `GET` (HTTP/1.1,
/// complete, nothing after its head). Anything else, or a head still arriving, is `None`.
pub(crate) async fn peek_stream_request(socket: &tokio::net::TcpStream) -> Option<StreamRequest> {
    let mut buf = [0u8; HEAD_PEEK];
    let n = socket.peek(&mut buf).await.ok()?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(head_len) = request.parse(&buf[..n]).ok()? else {
        return None;
    };
    if request.method != Some("GET") || request.version != Some(1) || head_len != n {
        return None;
    }
    let path = request.path?.split('?').next()?;
    let id = path
        .strip_prefix("/v1/invoices/")?
        .strip_suffix("/events")
        .and_then(InvoiceId::parse)?;
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
    };
    // A body on a GET, or an upgrade, is for hyper to judge.
    if header("content-length").is_some_and(|v| v.trim() != "0")
        || header("transfer-encoding").is_some()
        || header("upgrade").is_some()
    {
        return None;
    }
    Some(StreamRequest {
        id,
        seen: header("last-event-id").and_then(last_event_id),
        forwarded_for: header("x-forwarded-for").map(str::to_owned),
        request_id: header("x-request-id")
            .filter(|v| v.len() <= 200 && HeaderValue::from_str(v).is_ok())
            .map(str::to_owned),
        head_len,
    })
}

/// Serves the live stream `request` asks for on `socket`, with the headers the router would
/// send, when its client is within its rate and the invoice exists; otherwise gives the socket
/// back untouched (nothing read), for hyper to answer as the router would (a 429, a 404).
pub(crate) async fn serve_direct(
    state: &AppState,
    mut socket: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    request: StreamRequest,
) -> Option<tokio::net::TcpStream> {
    let started = std::time::Instant::now();
    let client = state
        .limiter
        .client(peer.ip(), request.forwarded_for.as_deref());
    if state.limiter.check(client).is_err() {
        return Some(socket);
    }
    // Over the caps on open streams: the router answers the 429.
    let Some(slot) = state.stream_slots.take(client) else {
        return Some(socket);
    };
    let Ok(mut follow) = Follow::open(state, slot, request.id, request.seen).await else {
        return Some(socket);
    };
    // Take the head off the socket (it is all there: it was peeked whole), then answer.
    let mut head = [0u8; HEAD_PEEK];
    if socket
        .read_exact(&mut head[..request.head_len])
        .await
        .is_err()
    {
        return None;
    }
    let request_id = request.request_id.unwrap_or_else(super::request_id);
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\
         access-control-allow-origin: *\r\nx-content-type-options: nosniff\r\n\
         referrer-policy: no-referrer\r\nx-request-id: {request_id}\r\nconnection: close\r\n\r\n"
    );
    if socket.write_all(response.as_bytes()).await.is_err() {
        return None;
    }
    state.metrics.request(STREAM_ROUTE, 200, started.elapsed());
    let (mut reader, mut writer) = socket.split();
    let mut probe = [0u8; 1];
    loop {
        tokio::select! {
            frame = follow.next_frame() => {
                let Some(frame) = frame else { break };
                if writer.write_all(&frame).await.is_err() {
                    return None;
                }
            }
            // The payer left (or, against HTTP, sent another request on a stream): done.
            _ = reader.read(&mut probe) => return None,
        }
    }
    let _ = writer.shutdown().await;
    None
}

/// The stream's route, as the router's metrics name it.
const STREAM_ROUTE: &str = "/v1/invoices/{id}/events";

/// One customer's stream of their deposit wallet: the view whenever it changes.
struct FollowWallet {
    _open: crate::metrics::StreamGuard,
    _slot: crate::rate_limit::StreamSlot,
    state: AppState,
    id: String,
    changes: Receiver<String>,
    /// The digest of the last view sent (its event id).
    sent: Option<String>,
    next: Option<shim_api::WalletView>,
    heartbeat_at: Instant,
    recheck_at: Instant,
}

/// A wallet view's event id: FNV-1a of its JSON, so that a reconnecting client which has the
/// current view (`Last-Event-ID`) is not sent it again.
fn wallet_digest(json: &str) -> String {
    let hash = json.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

impl FollowWallet {
    /// The wallet's view now.
    async fn read(&self) -> Result<shim_api::WalletView, ApiError> {
        let wallets = &self.state.services.wallets;
        let record = wallets.wallet(&self.id, None).await?;
        Ok(wallets.wallet_view(&record).await?)
    }
}

impl Frames for FollowWallet {
    async fn next_frame(&mut self) -> Option<Bytes> {
        loop {
            if let Some(view) = self.next.take() {
                let json = serde_json::to_string(&view).unwrap_or_else(|_| "{}".to_owned());
                let digest = wallet_digest(&json);
                if self.sent.as_deref() == Some(digest.as_str()) {
                    continue;
                }
                self.heartbeat_at = Instant::now() + KEEP_ALIVE;
                let frame = format!(
                    "event: wallet\nid: {digest}\nretry: {}\ndata: {json}\n\n",
                    RETRY.as_millis()
                );
                self.sent = Some(digest);
                return Some(Bytes::from(frame));
            }
            match wake(
                &mut self.changes,
                &self.id,
                &mut self.recheck_at,
                &mut self.heartbeat_at,
            )
            .await
            {
                Wake::Heartbeat => return Some(Bytes::from_static(HEARTBEAT)),
                Wake::Closed => return None,
                Wake::Reread => match self.read().await {
                    Ok(view) => self.next = Some(view),
                    Err(_) => {
                        tracing::warn!(wallet = %self.id, "live deposit stream could not re-read its wallet");
                        return None;
                    }
                },
            }
        }
    }
}

/// Live push for a deposit page: Server-Sent Events of the wallet view, one `wallet` event now
/// and one whenever a deposit arrives or moves, or the wallet is blocked.
#[utoipa::path(
    get, path = "/v1/wallets/{id}/events", tag = "wallets",
    params(
        ("id" = String, Path, description = "The wallet id"),
        ("Last-Event-ID" = Option<String>, Header, description = "The event id of the view the client has"),
    ),
    responses(
        (status = 200, description = "`text/event-stream`: a `wallet` event (data: the wallet view, id: a digest of it) now and on every change", content_type = "text/event-stream", body = String),
        (status = 404, description = "No such wallet", body = shim_api::ErrorBody),
        (status = 429, description = "Over the rate, or over the caps on open streams: read `GET /v1/wallets/{id}` instead; see `Retry-After`", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn wallet_stream(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found("no wallet with that id"));
    };
    let slot = stream_slot(&state, peer, &headers, "the page reads the wallet instead")?;
    let seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() == 16 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned);
    // Subscribe before reading, so that no change between the two is missed.
    let mut follow = FollowWallet {
        _open: state.metrics.stream_opened(),
        _slot: slot,
        changes: state.services.subscribe_wallets(),
        state: state.clone(),
        id,
        sent: seen,
        next: None,
        heartbeat_at: Instant::now() + KEEP_ALIVE,
        recheck_at: Instant::now() + RECHECK,
    };
    follow.next = Some(follow.read().await?);
    Ok(event_stream(follow))
}

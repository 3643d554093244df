//! `POST /v1/ipn/cryptomus`: the gateway's webhooks.
//!
//! Durable first: the signature is verified over the raw bytes, the webhook is written to the
//! inbox, and only then is it acknowledged. Applying it (a re-fetch from the gateway and one
//! transaction) follows; if the gateway cannot be asked, or the process dies, the inbox worker
//! applies it later, so an acknowledged webhook is never lost.

use super::answers::WebhookReceipt;
use super::error::body_error;
use super::{ApiError, AppState};
use crate::services::{IpnError, IpnOutcome};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use shim_api::ErrorCode;
use std::net::SocketAddr;
use std::time::Duration;

/// How long the answer waits for the webhook to be applied. The webhook is durable before that,
/// so the answer is 200 either way; waiting bounds the work in flight by the gateway's connections
/// and lets the answer say what happened.
const APPLY_WAIT: Duration = Duration::from_secs(5);

/// The gateway's signed webhook: verified, written to the inbox, acknowledged, then applied.
#[utoipa::path(
    post, path = "/v1/ipn/cryptomus", tag = "gateway",
    request_body(content = String, description = "The gateway's webhook, signed in its `sign` field", content_type = "application/json"),
    responses(
        (status = 200, description = "Taken: `{\"ok\": true, \"webhook\": <inbox id>, \"outcome\": \"applied: paid\"}`; `\"duplicate\"` for a body taken in before, which is stored and applied once", body = WebhookReceipt),
        (status = 401, description = "Not signed by the gateway; nothing was written", body = shim_api::ErrorBody),
        (status = 403, description = "From an address outside SHIM_IPN_ALLOWLIST", body = shim_api::ErrorBody),
        (status = 413, description = "Body too large", body = shim_api::ErrorBody),
        (status = 429, description = "Too many webhooks from this address (SHIM_IPN_RATE_LIMIT_PER_SECOND); see `Retry-After`", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn cryptomus(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<WebhookReceipt>, ApiError> {
    if let Some(Extension(ConnectInfo(peer))) = peer {
        let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        let client = state.limiter.client(peer.ip(), forwarded);
        if !state.limiter.webhook_source_allowed(client) {
            tracing::warn!(%client, "webhook from an address not in the allowlist");
            state.metrics.webhook("forbidden_source");
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "webhooks are not accepted from this address",
            ));
        }
        if let Err(retry_after) = state.webhook_limiter.check(client) {
            state.metrics.webhook("rate_limited");
            return Err(ApiError::rate_limited(
                "too many webhooks from this address",
                retry_after,
            ));
        }
    }
    let body = body.map_err(body_error)?;
    let (received, duplicate) = match state.services.intake.receive_webhook(&body).await {
        Ok(received) => received,
        Err(e) => {
            state.metrics.webhook(match &e {
                IpnError::Rejected(_) => "rejected",
                _ => "error",
            });
            return Err(e.into());
        }
    };
    let id = received.id;
    if duplicate {
        // The same signed body again (a replay, or the gateway resending): stored once, applied
        // once, through the row that has it; no task is spent on it here.
        state.metrics.webhook("duplicate");
        return Ok(Json(WebhookReceipt::new(id, "duplicate")));
    }
    if crate::faults::crash_after_inbox(&received.webhook.gateway_status) {
        return Ok(Json(WebhookReceipt::new(id, "queued")));
    }
    let Ok(slot) = state.apply_slots.clone().try_acquire_owned() else {
        // Busy: stored, so safe; the inbox worker applies it, from now on.
        if let Err(e) = state.services.intake.hand_to_inbox(id).await {
            tracing::warn!(webhook = id, error = %e, "could not hand a webhook to the inbox worker; it takes it when its lease ends");
        }
        state.metrics.webhook("queued");
        return Ok(Json(WebhookReceipt::new(id, "queued: busy")));
    };
    let services = state.services.clone();
    // Its own task: a gateway that hangs up does not cancel the work half way.
    let applying = tokio::spawn(async move {
        let _slot = slot;
        services.intake.process_webhook(&received).await
    });
    let outcome = match tokio::time::timeout(APPLY_WAIT, applying).await {
        Ok(Ok(Ok(outcome))) => {
            state.metrics.webhook(match outcome {
                IpnOutcome::Applied(_) => "applied",
                IpnOutcome::Unchanged => "unchanged",
                IpnOutcome::Refused(_) => "refused",
                IpnOutcome::UnknownInvoice => "unknown_invoice",
                IpnOutcome::Deposit(_) => "deposit",
                IpnOutcome::Payout(_) => "payout",
                IpnOutcome::Ignored => "ignored",
            });
            outcome.to_string()
        }
        Ok(Ok(Err(e))) => {
            // Stored, and retried by the inbox worker; what stood in the way, for the alerts.
            state.metrics.webhook(match &e {
                IpnError::GatewayUnavailable(_) => "gateway_unavailable",
                IpnError::Gateway(_) => "gateway_refused",
                IpnError::Store(_) => "error",
                IpnError::Rejected(_) => "rejected",
            });
            format!("queued: {e}")
        }
        _ => {
            state.metrics.webhook("queued");
            "queued".to_owned()
        }
    };
    Ok(Json(WebhookReceipt::new(id, outcome)))
}

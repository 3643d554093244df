//! `POST /v1/ipn/cryptomus`: the gateway's webhooks.

use super::error::body_error;
use super::{ApiError, AppState};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde_json::{Value, json};

/// Verifies over the raw bytes (so no JSON extractor before it), then lets the use case re-fetch
/// and apply. A bad signature is 401 and writes nothing; a gateway that cannot be asked is 503, so
/// the gateway sends the webhook again.
pub(super) async fn cryptomus(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map_err(body_error)?;
    let outcome = match state.checkout.handle_ipn(&body).await {
        Ok(outcome) => outcome,
        Err(e) => {
            state.metrics.webhook(match &e {
                crate::checkout::IpnError::Rejected(_) => "rejected",
                crate::checkout::IpnError::GatewayUnavailable(_) => "gateway_unavailable",
                crate::checkout::IpnError::Gateway(_) | crate::checkout::IpnError::Store(_) => {
                    "error"
                }
            });
            return Err(e.into());
        }
    };
    state.metrics.webhook(match outcome {
        crate::checkout::IpnOutcome::Applied(_) => "applied",
        crate::checkout::IpnOutcome::Unchanged => "unchanged",
        crate::checkout::IpnOutcome::Refused(_) => "refused",
        crate::checkout::IpnOutcome::UnknownInvoice => "unknown_invoice",
        crate::checkout::IpnOutcome::Ignored => "ignored",
    });
    Ok(Json(json!({ "ok": true, "outcome": outcome.to_string() })))
}

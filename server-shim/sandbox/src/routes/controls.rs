//! `/sandbox/...`: the controls that stand in for payers, the chain and the clock.

use super::check::Check;
use super::{FieldErrors, Refusal, answer, first20, object, reference, success};
use crate::ledger::{ControlError, Payment, Payments, Reference};
use crate::{Sandbox, addresses, ids};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};
use shim_gateway::PaymentStatus;

pub(super) async fn control_pay(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = object(&body)?;
    let key = reference(&fields)?;
    let mut check = Check::default();
    let amount = check.amount(&fields, "amount").unwrap_or_default();
    let confirm = check.boolean(&fields, "confirm").unwrap_or(true);
    let late = check.boolean(&fields, "late").unwrap_or(false);
    let txid = check.string(&fields, "txid", false, 128);
    check.finish()?;
    let now = sandbox.now();
    let changes = sandbox.apply(|payments| {
        payments.transactions += 1;
        let n = payments.transactions;
        let txid =
            txid.unwrap_or_else(|| hex::encode(ids::derive(sandbox.config().seed, "txid", n)));
        let from = payments
            .get(&key)
            .and_then(|p| p.network.clone())
            .and_then(|network| {
                addresses::address(
                    &network,
                    &first20(&ids::derive(sandbox.config().seed, "from", n)),
                )
            });
        payments
            .pay(&key, amount, txid, confirm, late, now)
            .map(|mut changes| {
                for change in &mut changes {
                    change.from.clone_from(&from);
                }
                changes
            })
    })?;
    Ok(answer(changes))
}

/// A control that acts on the one payment its body names, answered with the payment's new state.
fn on_one_payment(
    sandbox: &Sandbox,
    body: &[u8],
    act: impl FnOnce(&mut Payments, &Reference, i64) -> Result<Payment, ControlError>,
) -> Result<Response, Refusal> {
    let key = reference(&object(body)?)?;
    change_one(sandbox, &key, act)
}

/// Applies `act` to the payment `key` names, answered with the payment's new state.
fn change_one(
    sandbox: &Sandbox,
    key: &Reference,
    act: impl FnOnce(&mut Payments, &Reference, i64) -> Result<Payment, ControlError>,
) -> Result<Response, Refusal> {
    let now = sandbox.now();
    let changes = sandbox.apply(|p| act(p, key, now).map(|x| vec![x]))?;
    Ok(answer(changes))
}

/// What a control that completes or fails something reads: the payment or payout its body names,
/// and its `"result"` (`paid`, the default: `true`; `fail`: `false`).
pub(super) fn reference_and_outcome(body: &[u8]) -> Result<(Reference, bool), Refusal> {
    let fields = object(body)?;
    let key = reference(&fields)?;
    let mut check = Check::default();
    let paid = check.outcome(&fields);
    check.finish()?;
    Ok((key, paid))
}

pub(super) async fn control_confirm(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    on_one_payment(&sandbox, &body, |p, key, now| p.confirm(key, now))
}

pub(super) async fn control_expire(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    on_one_payment(&sandbox, &body, |p, key, now| p.expire(key, now))
}

pub(super) async fn control_advance(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = object(&body)?;
    let mut check = Check::default();
    let seconds = check.integer(&fields, "seconds");
    if !seconds.is_some_and(|s| (0..=31_536_000).contains(&s)) {
        check.fail(
            "seconds",
            "The seconds must be an integer between 0 and 31536000.",
        );
    }
    check.finish()?;
    let offset = &sandbox.inner.clock_offset;
    offset.fetch_add(
        seconds.unwrap_or_default(),
        std::sync::atomic::Ordering::Relaxed,
    );
    sandbox.expire_due();
    Ok(success(json!({ "now": sandbox.now() })))
}

pub(super) async fn webhook_log(State(sandbox): State<Sandbox>) -> Response {
    success(sandbox.deliveries())
}

/// `POST /sandbox/refund`: the refund in progress completes (`"result": "paid"`, the default) or
/// fails (`"result": "fail"`).
pub(super) async fn control_refund(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let (key, paid) = reference_and_outcome(&body)?;
    change_one(&sandbox, &key, |p, key, now| {
        p.finish_refund(key, paid, now)
    })
}

/// `POST /sandbox/fail` (`{"order_id", "status"?: "fail" | "system_fail"}`) and `POST /sandbox/hold`
/// (`locked`, released by `/sandbox/confirm`): what the gateway does to a payment on its own.
pub(super) async fn control_fail(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = object(&body)?;
    let key = reference(&fields)?;
    let mut check = Check::default();
    let status = check
        .string(&fields, "status", false, 16)
        .unwrap_or_else(|| "fail".to_owned());
    let status = match status.as_str() {
        "fail" => PaymentStatus::Fail,
        "system_fail" => PaymentStatus::SystemFail,
        _ => {
            check.fail("status", "The status must be fail or system_fail.");
            PaymentStatus::Fail
        }
    };
    check.finish()?;
    change_one(&sandbox, &key, |p, key, now| p.force(key, status, now))
}

pub(super) async fn control_hold(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    on_one_payment(&sandbox, &body, |p, key, now| {
        p.force(key, PaymentStatus::Locked, now)
    })
}

/// `POST /sandbox/lose-answers` (`{"path": "/v1/payout", "count": 3}`): the next `count` calls to
/// `path` are carried out, but their answers are lost (504), as when the network drops a reply.
pub(super) async fn control_lose_answers(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = object(&body)?;
    let mut check = Check::default();
    let path = check.string(&fields, "path", true, 100);
    let count = match fields.get("count") {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    };
    if count.is_none() {
        check.fail("count", "The count field must be a whole number.");
    }
    if let Some(path) = &path
        && !path.starts_with("/v1/")
    {
        check.fail("path", "The path must be an API path, like /v1/payout.");
    }
    check.finish()?;
    let (Some(path), Some(count)) = (path, count) else {
        return Err(Refusal::Invalid(FieldErrors::new()));
    };
    sandbox.lose_answers(&path, count);
    Ok(success(json!({ "path": path, "count": count })))
}

/// `POST /sandbox/webhooks/outage` (`{"lost": true}`): webhooks are lost until `{"lost": false}`,
/// as when the gateway's notifications do not get through.
pub(super) async fn control_outage(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = object(&body)?;
    let mut check = Check::default();
    let lost = check.boolean(&fields, "lost");
    if lost.is_none() && !check.has_errors("lost") {
        check.fail("lost", "The lost field is required.");
    }
    check.finish()?;
    let lost = lost.unwrap_or_default();
    sandbox
        .inner
        .webhooks_lost
        .store(lost, std::sync::atomic::Ordering::Relaxed);
    Ok(success(json!({ "lost": lost })))
}

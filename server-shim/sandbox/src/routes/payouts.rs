//! Payouts, signed with the payout key: create, look up, test webhook; and the payout control.

use super::check::Check;
use super::{FieldErrors, Fields, Refusal, authenticate, object, reference, success};
use crate::ledger::ControlError;
use crate::payouts::{Payout, fixed};
use crate::{Sandbox, coins, ids};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use shim_gateway::PaymentStatus;

/// Authenticates a request signed with the payout key and returns its fields.
fn payout_signed(sandbox: &Sandbox, headers: &HeaderMap, body: &[u8]) -> Result<Fields, Refusal> {
    authenticate(sandbox, headers, body, &sandbox.config().payout_key)?;
    object(body)
}

fn payout_json(payout: &Payout, balance: Decimal) -> Value {
    json!({
        "uuid": payout.uuid,
        "order_id": payout.order_id,
        "amount": payout.asked_amount(),
        "currency": payout.asked_currency(),
        "payer_currency": payout.coin.code,
        "payer_amount": fixed(payout, payout.sent()),
        "network": payout.network,
        "address": payout.address,
        "txid": payout.txid,
        "status": payout.status.as_str(),
        "is_final": payout.is_final,
        "balance": fixed(payout, balance),
    })
}

/// `POST /v1/payout`: money from the balance to an address, idempotent per `order_id`.
pub(super) async fn create_payout(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = payout_signed(&sandbox, &headers, &body)?;
    let mut check = Check::default();
    let amount = check.amount(&fields, "amount");
    let currency = check.string(&fields, "currency", true, 10);
    let order_id = check.string(&fields, "order_id", true, 128);
    let address = check.string(&fields, "address", true, 128);
    let network = check.string(&fields, "network", false, 20);
    let url_callback = check.string(&fields, "url_callback", false, 255);
    let is_subtract = check.boolean(&fields, "is_subtract");
    if is_subtract.is_none() && !check.has_errors("is_subtract") {
        check.fail("is_subtract", "The is subtract field is required.");
    }
    check.order_id_format(order_id.as_deref());
    let to_currency = check.string(&fields, "to_currency", false, 10);
    let (fiat, coin) = payout_coin(&mut check, currency.as_deref(), to_currency.as_deref());
    let network = destination(&mut check, coin, network, address.as_deref());
    // What leaves the balance, in the coin: the fiat amount converted at the gateway's rate.
    let fiat_amount = amount;
    let amount = match (fiat, amount, coin) {
        (Some(fiat), Some(asked), Some(coin)) => coins::convert(asked, fiat, coin),
        _ => amount,
    };
    if let (Some(amount), Some(coin)) = (amount, coin)
        && amount < coin.min_amount()
    {
        check.fail(
            "amount",
            format!(
                "The minimum payout is {} {}.",
                coins::fixed(coin.min_amount(), coin.scale),
                coin.code
            ),
        );
    }
    check.finish()?;
    let (Some(amount), Some(coin), Some(order_id), Some(address), Some(network), Some(is_subtract)) =
        (amount, coin, order_id, address, network, is_subtract)
    else {
        return Err(Refusal::Invalid(FieldErrors::new()));
    };
    let mut payouts = sandbox.payouts();
    let n = payouts.count() + 1;
    let payout = Payout {
        seq: 0,
        created_at: sandbox.now(),
        uuid: ids::uuid_from(&ids::derive(sandbox.config().seed, "payout", n)),
        order_id,
        amount,
        coin,
        network,
        address,
        is_subtract,
        url_callback,
        status: PaymentStatus::Process,
        is_final: false,
        txid: None,
        fiat: fiat
            .zip(fiat_amount)
            .map(|(code, asked)| (code.to_owned(), asked)),
    };
    let available_before = sandbox.available(&payouts, coin.code);
    let (payout, created) = payouts.create(payout, available_before)?;
    let balance = sandbox.available(&payouts, payout.coin.code);
    drop(payouts);
    if created {
        sandbox.send_payout_webhook(&payout);
    }
    Ok(success(payout_json(&payout, balance)))
}

/// The coin a payout goes out in: `currency`, or for a fiat `currency` the coin `to_currency`
/// names (then the fiat code too, the amount is converted).
fn payout_coin<'a>(
    check: &mut Check,
    currency: Option<&'a str>,
    to_currency: Option<&str>,
) -> (Option<&'a str>, Option<&'static coins::Coin>) {
    let fiat = currency.filter(|c| coins::coin(c).is_none() && coins::is_known_currency(c));
    let coin = match (fiat, to_currency) {
        (Some(_), None) => {
            check.fail(
                "to_currency",
                "The to currency field is required when currency is a fiat currency.",
            );
            None
        }
        (Some(_), Some(to)) => {
            let coin = coins::coin(to);
            if coin.is_none() {
                check.fail("to_currency", "The selected to currency is invalid.");
            }
            coin
        }
        (None, _) => {
            let coin = currency.and_then(coins::coin);
            if currency.is_some() && coin.is_none() {
                check.fail("currency", "The selected currency is invalid.");
            }
            coin
        }
    };
    (fiat, coin)
}

/// The network a payout goes out on (the coin's only one when not given), checked with its
/// address.
fn destination(
    check: &mut Check,
    coin: Option<&coins::Coin>,
    network: Option<String>,
    address: Option<&str>,
) -> Option<String> {
    let network = network.or_else(|| {
        coin.filter(|c| c.networks.len() == 1)
            .map(|c| c.networks[0].to_owned())
    });
    match (coin, &network) {
        (Some(coin), Some(n)) if !coin.networks.contains(&n.as_str()) => {
            check.fail(
                "network",
                format!("The network {n} is not available for {}.", coin.code),
            );
        }
        (Some(_), None) => check.fail(
            "network",
            "The network field is required for this currency.",
        ),
        _ => {}
    }
    if let (Some(address), Some(network)) = (address, &network)
        && !check.has_errors("network")
        && !crate::addresses::valid(network, address)
    {
        check.fail(
            "address",
            "The address is not valid for the selected network.",
        );
    }
    network
}

/// `POST /v1/payout/services`: the coins and networks payouts go out on, with their limits and
/// the commission.
pub(super) async fn payout_services(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    payout_signed(&sandbox, &headers, &body)?;
    Ok(success(super::payments::services_json(
        crate::payouts::COMMISSION_PERCENT,
    )))
}

/// How many payouts a history page holds.
const PAYOUTS_PER_PAGE: usize = 15;

/// `POST /v1/payout/list`: the merchant's payouts newest first, a page at a time (`cursor`:
/// opaque, from the previous answer; one this sandbox did not make is the first page).
pub(super) async fn payout_list(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = payout_signed(&sandbox, &headers, &body)?;
    let offset = match fields.get("cursor") {
        Some(Value::String(cursor)) => super::payments::offset_of(cursor),
        _ => 0,
    };
    let payouts = sandbox.payouts();
    let all = payouts.newest_first();
    let offset = offset.min(all.len());
    let items: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(PAYOUTS_PER_PAGE)
        .map(|payout| {
            let mut item = payout_json(payout, sandbox.available(&payouts, payout.coin.code));
            if let Some(map) = item.as_object_mut() {
                map.remove("balance");
                map.insert(
                    "created_at".into(),
                    json!(crate::ledger::gateway_time(payout.created_at)),
                );
            }
            item
        })
        .collect();
    Ok(success(json!({
        "merchant_uuid": sandbox.config().merchant.as_str(),
        "items": items,
        "paginate": super::payments::paginate(items.len(), all.len(), offset, PAYOUTS_PER_PAGE),
    })))
}

/// `POST /v1/payout/info`.
pub(super) async fn payout_info(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let key = reference(&payout_signed(&sandbox, &headers, &body)?)?;
    let payouts = sandbox.payouts();
    let payout = payouts.get(&key).cloned().ok_or(ControlError::NotFound)?;
    let balance = sandbox.available(&payouts, payout.coin.code);
    Ok(success(payout_json(&payout, balance)))
}

/// `POST /v1/test-webhook/payout`: one signed payout webhook to `url_callback`; stores nothing.
pub(super) async fn test_webhook_payout(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = payout_signed(&sandbox, &headers, &body)?;
    let mut check = Check::default();
    let url = check.string(&fields, "url_callback", true, 255);
    let currency = check.string(&fields, "currency", true, 10);
    let network = check.string(&fields, "network", true, 20);
    let status = PaymentStatus::parse(
        &check
            .string(&fields, "status", false, 32)
            .unwrap_or_else(|| "paid".into()),
    );
    if !matches!(
        status,
        PaymentStatus::Process
            | PaymentStatus::Check
            | PaymentStatus::Paid
            | PaymentStatus::Fail
            | PaymentStatus::Cancel
            | PaymentStatus::SystemFail
    ) {
        check.fail("status", "The selected status is invalid.");
    }
    let coin = currency.as_deref().and_then(coins::coin);
    if currency.is_some() && coin.is_none() {
        check.fail("currency", "The selected currency is invalid.");
    }
    check.finish()?;
    let (Some(coin), Some(network)) = (coin, network) else {
        return Err(Refusal::Invalid(FieldErrors::new()));
    };
    let seed = sandbox.config().seed;
    let payout = Payout {
        seq: 0,
        created_at: sandbox.now(),
        uuid: check_string(&fields, "uuid")
            .unwrap_or_else(|| ids::uuid_from(&ids::derive(seed, "test-payout", 0))),
        order_id: check_string(&fields, "order_id").unwrap_or_else(|| "test-payout".into()),
        amount: Decimal::TEN,
        coin,
        network,
        address: String::new(),
        is_subtract: true,
        url_callback: url,
        is_final: !matches!(status, PaymentStatus::Process | PaymentStatus::Check),
        txid: matches!(status, PaymentStatus::Paid)
            .then(|| hex::encode(ids::derive(seed, "test-payout-tx", 0))),
        status,
        fiat: None,
    };
    sandbox.send_payout_webhook(&payout);
    Ok(success(json!([])))
}

fn check_string(fields: &Fields, name: &str) -> Option<String> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `POST /sandbox/payout`: the payout in `process` is sent (`"result": "paid"`, the default) or
/// fails (`"result": "fail"`, the money returns to the balance).
pub(super) async fn control_payout(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let (key, paid) = super::controls::reference_and_outcome(&body)?;
    let mut payouts = sandbox.payouts();
    let uuid = payouts
        .get(&key)
        .map(|p| p.uuid.clone())
        .ok_or(ControlError::NotFound)?;
    let txid = hex::encode(ids::derive(
        sandbox.config().seed,
        &format!("payout-tx-{uuid}"),
        0,
    ));
    let payout = payouts.finish(&key, paid, txid)?;
    let balance = sandbox.available(&payouts, payout.coin.code);
    drop(payouts);
    sandbox.send_payout_webhook(&payout);
    Ok(success(payout_json(&payout, balance)))
}

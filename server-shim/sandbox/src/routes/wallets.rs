//! Static wallets: create, block, refund a blocked one, QR; and the deposit control.

use super::check::{Check, order_id_ok, parse_amount};
use super::{FieldErrors, Refusal, first20, object, reference, signed, success};
use crate::ledger::ControlError;
use crate::ledger::Reference;
use crate::wallets::Wallet;
use crate::{Sandbox, addresses, coins, ids};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

fn wallet_json(wallet: &Wallet, sandbox: &Sandbox) -> Value {
    json!({
        "uuid": wallet.uuid,
        "order_id": wallet.order_id,
        "currency": wallet.coin.code,
        "network": wallet.network,
        "address": wallet.address,
        "url": format!("{}/sandbox/wallets/{}", sandbox.config().public_url.trim_end_matches('/'), wallet.uuid),
    })
}

/// `POST /v1/wallet`: a static address for `order_id` in a coin and network. The same order id
/// returns the same wallet.
pub(super) async fn create_wallet(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = signed(&sandbox, &headers, &body)?;
    let mut check = Check::default();
    let currency = check.string(&fields, "currency", true, 10);
    let network = check.string(&fields, "network", true, 20);
    let order_id = check.string(&fields, "order_id", true, 128);
    let url_callback = check.string(&fields, "url_callback", false, 255);
    if let Some(id) = &order_id
        && !order_id_ok(id)
    {
        check.fail("order_id", "The order id format is invalid.");
    }
    if let Some(url) = &url_callback
        && url.len() < 6
    {
        check.fail(
            "url_callback",
            "The url callback must be at least 6 characters.",
        );
    }
    let coin = check.coin_on_network(currency.as_deref(), network.as_deref());
    check.finish()?;
    let (Some(coin), Some(network), Some(order_id)) = (coin, network, order_id) else {
        return Err(Refusal::Invalid(FieldErrors::new()));
    };
    let mut wallets = sandbox.wallets();
    if let Some(existing) = wallets.get(&Reference::OrderId(order_id.clone())) {
        return Ok(success(wallet_json(existing, &sandbox)));
    }
    let n = wallets.count() + 1;
    let seed = sandbox.config().seed;
    let address = addresses::address(&network, &first20(&ids::derive(seed, "wallet-address", n)));
    let wallet = Wallet {
        uuid: ids::uuid_from(&ids::derive(seed, "wallet", n)),
        order_id,
        coin,
        address: address.ok_or(ControlError::NoCoinChosen)?,
        network,
        url_callback,
        blocked: false,
        refunded_to: None,
    };
    wallets.insert(wallet.clone());
    Ok(success(wallet_json(&wallet, &sandbox)))
}

/// `POST /v1/wallet/block-address`: no more deposits are credited.
pub(super) async fn block_wallet(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = signed(&sandbox, &headers, &body)?;
    let key = reference(&fields)?;
    let mut check = Check::default();
    check.boolean(&fields, "is_force_refund");
    check.finish()?;
    let wallet = sandbox.wallets().block(&key)?;
    Ok(success(json!({ "uuid": wallet.uuid, "status": "blocked" })))
}

/// `POST /v1/wallet/blocked-address-refund`: once, everything the blocked wallet received goes to
/// `address`.
pub(super) async fn refund_blocked_wallet(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = signed(&sandbox, &headers, &body)?;
    let key = reference(&fields)?;
    let mut check = Check::default();
    let address = check.string(&fields, "address", true, 128);
    check.finish()?;
    // The refunded money leaves the balance: refuse what payouts already took. Payouts are
    // locked first, as everywhere that reads the balance.
    let payouts = sandbox.payouts();
    let (coin, scale, credited) = {
        let wallets = sandbox.wallets();
        let wallet = wallets.get(&key).ok_or(ControlError::NotFound)?;
        (
            wallet.coin.code,
            wallet.coin.scale,
            wallets.credited(&wallet.uuid),
        )
    };
    let available = sandbox.available(&payouts, coin);
    if available < credited {
        return Err(ControlError::InsufficientFunds.into());
    }
    let (commission, amount) = sandbox
        .wallets()
        .refund_blocked(&key, address.unwrap_or_default())?;
    drop(payouts);
    Ok(success(
        json!({ "commission": coins::fixed(commission, scale), "amount": coins::fixed(amount, scale) }),
    ))
}

/// `POST /v1/wallet/qr`: a PNG QR code of the wallet's address.
pub(super) async fn wallet_qr(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = signed(&sandbox, &headers, &body)?;
    let mut check = Check::default();
    let uuid = check.string(&fields, "wallet_address_uuid", true, 64);
    check.finish()?;
    let wallets = sandbox.wallets();
    let wallet = wallets
        .get(&Reference::Uuid(uuid.unwrap_or_default()))
        .ok_or(ControlError::NotFound)?;
    let image = crate::qr_png::data_uri(&wallet.address).ok_or(ControlError::NotFound)?;
    Ok(success(json!({ "image": image })))
}

/// `POST /sandbox/deposit`: a payer sends `amount` to a static `address`. The same `txid` twice is
/// one deposit, as on a real chain.
pub(super) async fn control_deposit(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = object(&body)?;
    let mut check = Check::default();
    let address = check.string(&fields, "address", true, 128);
    let amount = match fields.get("amount") {
        Some(Value::String(s)) => parse_amount(s).map_err(|m| check.fail("amount", m)).ok(),
        _ => {
            check.fail(
                "amount",
                "The amount field is required and must be a decimal string.",
            );
            None
        }
    };
    let txid = check.string(&fields, "txid", false, 128);
    check.finish()?;
    let (Some(address), Some(amount)) = (address, amount) else {
        return Err(Refusal::Invalid(FieldErrors::new()));
    };
    let seed = sandbox.config().seed;
    let deposited = {
        let mut wallets = sandbox.wallets();
        let n = wallets.deposit_count() + 1;
        let txid = txid.unwrap_or_else(|| hex::encode(ids::derive(seed, "deposit-tx", n)));
        let network = wallets
            .get_by_address(&address)
            .map(|w| w.network.clone())
            .ok_or(ControlError::NotFound)?;
        let from = addresses::address(&network, &first20(&ids::derive(seed, "deposit-from", n)))
            .unwrap_or_default();
        let uuid = ids::uuid_from(&ids::derive(seed, "deposit", n));
        wallets.deposit(&address, amount, txid, from, uuid)?
    };
    match deposited {
        Some((wallet, deposit)) => {
            sandbox.send_deposit_webhook(&wallet, &deposit);
            Ok(success(
                json!({ "uuid": deposit.uuid, "txid": deposit.txid, "credited": true }),
            ))
        }
        None => Ok(success(json!({ "credited": false }))),
    }
}

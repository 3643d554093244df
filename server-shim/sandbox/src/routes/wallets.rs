//! Static wallets: create, block, refund a blocked one, QR; and the deposit control.

use super::check::{Check, parse_amount};
use super::{
    FieldErrors, Refusal, first20, object, qr_answer, qr_subject, reference, signed, success,
};
use crate::ledger::ControlError;
use crate::ledger::Reference;
use crate::wallets::Wallet;
use crate::{Sandbox, addresses, coins, ids};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use shim_gateway::PaymentStatus;

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
    check.order_id_format(order_id.as_deref());
    check.url_callback_length(url_callback.as_deref());
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
        force_refund: false,
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
    let force_refund = check.boolean(&fields, "is_force_refund");
    check.finish()?;
    let wallet = sandbox
        .wallets()
        .block(&key, force_refund.unwrap_or(false))?;
    Ok(success(json!({ "uuid": wallet.uuid, "status": "blocked" })))
}

/// `POST /v1/wallet/blocked-address-refund`: once, what reached the wallet after it was blocked
/// (and was not sent back already) goes to `address`. Deposits credited before the block stay
/// on the balance.
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
    let scale = sandbox
        .wallets()
        .get(&key)
        .ok_or(ControlError::NotFound)?
        .coin
        .scale;
    let (commission, amount, refunded) = sandbox
        .wallets()
        .refund_blocked(&key, address.unwrap_or_default())?;
    for deposit in &refunded {
        sandbox.send_deposit_webhook_for(deposit);
    }
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
    let key = qr_subject(&sandbox, &headers, &body, "wallet_address_uuid")?;
    let wallets = sandbox.wallets();
    let wallet = wallets.get(&key).ok_or(ControlError::NotFound)?;
    qr_answer(&wallet.address, ControlError::NotFound)
}

/// `POST /v1/test-webhook/wallet`: one signed `wallet` webhook of the given `status` to
/// `url_callback`, for the wallet named by `uuid` or `order_id` when there is one; nothing is
/// stored, so `/v1/payment/info` does not know its payment.
pub(super) async fn test_webhook_wallet(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = signed(&sandbox, &headers, &body)?;
    let test = super::payments::TestWebhookFields::read(&fields)?;
    let (Some(coin), Some(network), Some(url)) = (test.coin, test.network, test.url) else {
        return Err(Refusal::Invalid(FieldErrors::new()));
    };
    let seed = sandbox.config().seed;
    let known = {
        let wallets = sandbox.wallets();
        let by_uuid = test
            .uuid
            .clone()
            .and_then(|u| wallets.get(&Reference::Uuid(u)).cloned());
        by_uuid.or_else(|| {
            test.order_id
                .clone()
                .and_then(|o| wallets.get(&Reference::OrderId(o)).cloned())
        })
    };
    let mut wallet = known.unwrap_or_else(|| Wallet {
        uuid: test
            .uuid
            .clone()
            .unwrap_or_else(|| ids::uuid_from(&ids::derive(seed, "test-wallet", 0))),
        order_id: test
            .order_id
            .clone()
            .unwrap_or_else(|| "test-webhook".into()),
        coin,
        address: addresses::address(&network, &first20(&ids::derive(seed, "test-wallet", 1)))
            .unwrap_or_default(),
        network: network.clone(),
        url_callback: None,
        blocked: false,
        force_refund: false,
        refunded_to: None,
    });
    wallet.url_callback = Some(url);
    let deposit = crate::wallets::Deposit {
        uuid: ids::uuid_from(&ids::derive(seed, "test-deposit", 0)),
        wallet_uuid: wallet.uuid.clone(),
        amount: Decimal::TEN,
        txid: hex::encode(ids::derive(seed, "test-deposit-tx", 0)),
        from: String::new(),
        is_final: !matches!(
            test.status,
            PaymentStatus::Check
                | PaymentStatus::Process
                | PaymentStatus::ConfirmCheck
                | PaymentStatus::WrongAmountWaiting
                | PaymentStatus::Locked
        ),
        status: test.status,
        after_block: false,
    };
    sandbox.send_deposit_webhook(&wallet, &deposit);
    Ok(success(json!([])))
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
    let confirm = check.boolean(&fields, "confirm").unwrap_or(true);
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
        wallets.deposit(&address, amount, txid, from, uuid, confirm)?
    };
    match deposited {
        Some((wallet, deposit)) => {
            sandbox.send_deposit_webhook(&wallet, &deposit);
            Ok(success(json!({ "uuid": deposit.uuid, "txid": deposit.txid,
                "status": deposit.status.as_str(), "credited": deposit.credited() })))
        }
        None => Ok(success(json!({ "credited": false }))),
    }
}

/// `POST /sandbox/deposit/settle` (`{"uuid", "result"?: "paid"}`): a deposit waiting for its
/// confirmations gets them, or fails (`"result": "fail"`).
pub(super) async fn control_settle_deposit(
    State(sandbox): State<Sandbox>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = object(&body)?;
    let mut check = Check::default();
    let uuid = check.string(&fields, "uuid", true, 64);
    let result = check.string(&fields, "result", false, 10);
    let paid = match result.as_deref() {
        None | Some("paid") => true,
        Some("fail") => false,
        Some(_) => {
            check.fail("result", "The result must be paid or fail.");
            false
        }
    };
    check.finish()?;
    let (wallet, deposit) = sandbox.wallets().settle(&uuid.unwrap_or_default(), paid)?;
    sandbox.send_deposit_webhook(&wallet, &deposit);
    Ok(success(
        json!({ "uuid": deposit.uuid, "status": deposit.status.as_str(),
        "credited": deposit.credited() }),
    ))
}

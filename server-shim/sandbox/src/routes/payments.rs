//! Invoices: create, look up, and the gateway's hosted-page stand-in.

use super::check::{Check, order_id_ok, parse_amount};
use super::{FieldErrors, Fields, Refusal, authenticate, first20, object, success};
use crate::ledger::{ControlError, Payment, PaymentKey};
use crate::{Sandbox, addresses, coins, ids};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::Value;
use shim_gateway::PaymentStatus;

pub(super) async fn create_payment(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    create(&sandbox, &headers, &body).map(|payment| success(payment.to_wire()))
}

fn create(sandbox: &Sandbox, headers: &HeaderMap, body: &[u8]) -> Result<Payment, Refusal> {
    authenticate(sandbox, headers, body, &sandbox.config().payment_key)?;
    let fields = object(body)?;
    let mut check = Check::default();
    let amount = check.amount(&fields, "amount");
    let currency = check.string(&fields, "currency", true, 10);
    let order_id = check.string(&fields, "order_id", true, 128);
    let network = check.string(&fields, "network", false, 20);
    let to_currency = check.string(&fields, "to_currency", false, 10);
    let url_callback = check.string(&fields, "url_callback", false, 255);
    // Used by the gateway's own hosted page, which the sandbox does not render.
    check.string(&fields, "url_return", false, 255);
    check.string(&fields, "url_success", false, 255);
    let additional_data = check.string(&fields, "additional_data", false, 255);
    let is_payment_multiple = check
        .boolean(&fields, "is_payment_multiple")
        .unwrap_or(true);
    let lifetime = check
        .integer(&fields, "lifetime")
        .unwrap_or(3600)
        .clamp(300, 43200);
    let accuracy = match fields.get("accuracy_payment_percent") {
        None | Some(Value::Null) => Decimal::ZERO,
        Some(v) => match parse_amount(&v.to_string().replace('"', "")) {
            Ok(p) if p <= Decimal::from(5) => p,
            _ => {
                check.fail(
                    "accuracy_payment_percent",
                    "The accuracy payment percent must be between 0 and 5.",
                );
                Decimal::ZERO
            }
        },
    };
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
    if let Some(c) = &currency
        && !coins::is_known_currency(c)
    {
        check.fail("currency", "The selected currency is invalid.");
    }
    let coin_code = to_currency
        .clone()
        .or_else(|| currency.clone().filter(|c| coins::coin(c).is_some()));
    let coin = coin_code.as_deref().and_then(coins::coin);
    if to_currency.is_some() && coin.is_none() {
        check.fail("to_currency", "The selected to currency is invalid.");
    }
    if let Some(n) = &network {
        if !coins::NETWORKS.contains(&n.as_str()) {
            check.fail("network", "The selected network is invalid.");
        } else if let Some(c) = coin
            && !c.networks.contains(&n.as_str())
        {
            check.fail(
                "network",
                format!("The network {n} is not available for {}.", c.code),
            );
        }
    }
    check.finish()?;
    // `finish` refused any missing required field, so these are present.
    let (Some(amount), Some(currency), Some(order_id)) = (amount, currency, order_id) else {
        return Err(Refusal::Invalid(FieldErrors::new()));
    };

    let now = sandbox.now();
    let mut payments = sandbox.payments();
    // An order id the merchant already used returns that invoice, as the gateway documents.
    if let Some(existing) = payments.get(&PaymentKey::OrderId(order_id.clone())) {
        return Ok(existing.clone());
    }
    let network = network.or_else(|| {
        coin.filter(|c| c.networks.len() == 1)
            .map(|c| c.networks[0].to_owned())
    });
    let n = payments.created + 1;
    let seed = sandbox.config().seed;
    let uuid = ids::uuid_from(&ids::derive(seed, "payment", n));
    let key: [u8; 20] = first20(&ids::derive(seed, "address", n));
    let payer_amount = coin.and_then(|c| coins::convert(amount, &currency, c));
    let address = match (coin, &network) {
        (Some(_), Some(n)) => addresses::address(n, &key),
        _ => None,
    };
    let payment = Payment {
        url: format!(
            "{}/sandbox/payments/{uuid}",
            sandbox.config().public_url.trim_end_matches('/')
        ),
        uuid,
        order_id,
        amount,
        currency,
        payer_coin: coin,
        payer_amount,
        network,
        address,
        paid: Decimal::ZERO,
        txid: None,
        from: None,
        status: PaymentStatus::Check,
        is_final: false,
        is_payment_multiple,
        accuracy_percent: accuracy,
        url_callback,
        additional_data,
        created_at: now,
        updated_at: now,
        expires_at: now + lifetime,
    };
    payments.insert(payment.clone());
    Ok(payment)
}

pub(super) fn payment_key(fields: &Fields) -> Result<PaymentKey, Refusal> {
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match (text("uuid"), text("order_id")) {
        (Some(uuid), _) => Ok(PaymentKey::Uuid(uuid.to_owned())),
        (None, Some(order)) => Ok(PaymentKey::OrderId(order.to_owned())),
        (None, None) => {
            let mut errors = FieldErrors::new();
            errors.insert(
                "uuid".into(),
                vec!["The uuid field is required when order id is not present.".into()],
            );
            Err(Refusal::Invalid(errors))
        }
    }
}

pub(super) async fn payment_info(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    authenticate(&sandbox, &headers, &body, &sandbox.config().payment_key)?;
    let key = payment_key(&object(&body)?)?;
    let invoice = sandbox.payments().get(&key).map(Payment::to_wire);
    Ok(success(invoice.ok_or(ControlError::NotFound)?))
}

pub(super) async fn payment_page(
    State(sandbox): State<Sandbox>,
    Path(uuid): Path<String>,
) -> Result<Response, Refusal> {
    let invoice = sandbox
        .payments()
        .get(&PaymentKey::Uuid(uuid))
        .map(Payment::to_wire);
    Ok(success(invoice.ok_or(ControlError::NotFound)?))
}

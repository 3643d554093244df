//! Invoices: create, look up, and the gateway's hosted-page stand-in.

use super::check::{Check, parse_amount};
use super::{
    FieldErrors, Fields, Refusal, first20, qr_answer, qr_subject, reference, signed, success,
};
use crate::ledger::{ControlError, Payment, Reference};
use crate::{Sandbox, addresses, coins, ids};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use shim_gateway::PaymentStatus;

pub(super) async fn create_payment(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    create(&sandbox, &headers, &body).map(|payment| success(payment.to_wire()))
}

/// A create-invoice request that passed the gateway's checks.
struct InvoiceRequest {
    amount: Decimal,
    currency: String,
    order_id: String,
    network: Option<String>,
    /// The coin the payer sends, when known (`to_currency`, or a coin `currency`).
    coin: Option<&'static coins::Coin>,
    url_callback: Option<String>,
    additional_data: Option<String>,
    discount_percent: i64,
    is_payment_multiple: bool,
    lifetime: i64,
    accuracy: Decimal,
}

fn create(sandbox: &Sandbox, headers: &HeaderMap, body: &[u8]) -> Result<Payment, Refusal> {
    let fields = signed(sandbox, headers, body)?;
    let request = checked(&fields)?;
    let now = sandbox.now();
    let mut payments = sandbox.payments();
    // An order id the merchant already used returns that invoice, as the gateway documents.
    if let Some(existing) = payments.get(&Reference::OrderId(request.order_id.clone())) {
        return Ok(existing.clone());
    }
    let network = request.network.or_else(|| {
        request
            .coin
            .filter(|c| c.networks.len() == 1)
            .map(|c| c.networks[0].to_owned())
    });
    let n = payments.created + 1;
    let seed = sandbox.config().seed;
    let uuid = ids::uuid_from(&ids::derive(seed, "payment", n));
    let key: [u8; 20] = first20(&ids::derive(seed, "address", n));
    // A discount (or, negative, a surcharge) changes what the payer sends, not the price.
    let payer_amount = request.coin.and_then(|c| {
        let full = coins::convert(request.amount, &request.currency, c)?;
        let factor = Decimal::from(100 - request.discount_percent) / Decimal::ONE_HUNDRED;
        Some(
            (full * factor)
                .round_dp_with_strategy(c.scale, rust_decimal::RoundingStrategy::AwayFromZero),
        )
    });
    let address = match (request.coin, &network) {
        (Some(_), Some(n)) => addresses::address(n, &key),
        _ => None,
    };
    let payment = Payment {
        url: format!(
            "{}/sandbox/payments/{uuid}",
            sandbox.config().public_url.trim_end_matches('/')
        ),
        uuid,
        order_id: request.order_id,
        amount: request.amount,
        currency: request.currency,
        payer_coin: request.coin,
        payer_amount,
        network,
        address,
        paid: Decimal::ZERO,
        txid: None,
        from: None,
        status: PaymentStatus::Check,
        is_final: false,
        is_payment_multiple: request.is_payment_multiple,
        accuracy_percent: request.accuracy,
        discount_percent: request.discount_percent,
        url_callback: request.url_callback,
        additional_data: request.additional_data,
        refund_address: None,
        seq: 0,
        created_at: now,
        updated_at: now,
        expires_at: now + request.lifetime,
    };
    payments.insert(payment.clone());
    Ok(payment)
}

/// Checks a create-invoice request's fields as the gateway does; every problem is named.
fn checked(fields: &Fields) -> Result<InvoiceRequest, Refusal> {
    let mut check = Check::default();
    let amount = check.amount(fields, "amount");
    let currency = check.string(fields, "currency", true, 10);
    let order_id = check.string(fields, "order_id", true, 128);
    let network = check.string(fields, "network", false, 20);
    let to_currency = check.string(fields, "to_currency", false, 10);
    let url_callback = check.string(fields, "url_callback", false, 255);
    // Used by the gateway's own hosted page, which the sandbox does not render.
    check.string(fields, "url_return", false, 255);
    check.string(fields, "url_success", false, 255);
    let additional_data = check.string(fields, "additional_data", false, 255);
    // Accepted and checked as the gateway does; the sandbox has no page or exchange that uses them.
    check.string(fields, "course_source", false, 32);
    check.string(fields, "from_referral_code", false, 64);
    check.boolean(fields, "is_refresh");
    if let Some(subtract) = check.integer(fields, "subtract")
        && !(0..=100).contains(&subtract)
    {
        check.fail("subtract", "The subtract must be between 0 and 100.");
    }
    let discount_percent = check.integer(fields, "discount_percent").unwrap_or(0);
    if !(-99..=100).contains(&discount_percent) {
        check.fail(
            "discount_percent",
            "The discount percent must be between -99 and 100.",
        );
    }
    for list in ["currencies", "except_currencies"] {
        coin_list(&mut check, fields, list);
    }
    let is_payment_multiple = check.boolean(fields, "is_payment_multiple").unwrap_or(true);
    let lifetime = check.integer(fields, "lifetime").unwrap_or(3600);
    if lifetime < 300 {
        check.fail("lifetime", "The lifetime must be at least 300.");
    } else if lifetime > 43200 {
        check.fail("lifetime", "The lifetime must not be greater than 43200.");
    }
    let accuracy = accuracy_percent(&mut check, fields);
    check.order_id_format(order_id.as_deref());
    check.url_callback_length(url_callback.as_deref());
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
    check_network(&mut check, network.as_deref(), coin);
    if let (Some(amount), Some(currency), Some(coin)) = (amount, &currency, coin) {
        check_limits(&mut check, amount, currency, coin);
    }
    check.finish()?;
    // `finish` refused any missing required field, so these are present.
    let (Some(amount), Some(currency), Some(order_id)) = (amount, currency, order_id) else {
        return Err(Refusal::Invalid(FieldErrors::new()));
    };
    Ok(InvoiceRequest {
        amount,
        currency,
        order_id,
        network,
        coin,
        url_callback,
        additional_data,
        discount_percent,
        is_payment_multiple,
        lifetime,
        accuracy,
    })
}

/// `accuracy_payment_percent`: how much less than due still counts as paid, 0 to 5.
fn accuracy_percent(check: &mut Check, fields: &Fields) -> Decimal {
    match fields.get("accuracy_payment_percent") {
        None | Some(Value::Null) => Decimal::ZERO,
        Some(v) => match v
            .as_str()
            .map_or_else(|| v.to_string(), str::to_owned)
            .as_str()
        {
            "0" => Decimal::ZERO,
            text => match parse_amount(text) {
                Ok(p) if p <= Decimal::from(5) => p,
                _ => {
                    check.fail(
                        "accuracy_payment_percent",
                        "The accuracy payment percent must be between 0 and 5.",
                    );
                    Decimal::ZERO
                }
            },
        },
    }
}

/// The network must be one the gateway knows, and one of the payer's coin's.
fn check_network(check: &mut Check, network: Option<&str>, coin: Option<&coins::Coin>) {
    let Some(n) = network else { return };
    if !coins::NETWORKS.contains(&n) {
        check.fail("network", "The selected network is invalid.");
    } else if let Some(c) = coin
        && !c.networks.contains(&n)
    {
        check.fail(
            "network",
            format!("The network {n} is not available for {}.", c.code),
        );
    }
}

/// What the payer sends must be within the coin's limits at the gateway.
fn check_limits(check: &mut Check, amount: Decimal, currency: &str, coin: &coins::Coin) {
    let Some(service) = coins::services().find(|s| s.coin.code == coin.code) else {
        return;
    };
    let Some(due) = coins::convert(amount, currency, coin) else {
        return;
    };
    if due < service.min_amount() {
        check.fail(
            "amount",
            format!(
                "The minimum amount is {} {}.",
                service.min_amount(),
                coin.code
            ),
        );
    } else if due > service.max_amount() {
        check.fail(
            "amount",
            format!(
                "The maximum amount is {} {}.",
                service.max_amount(),
                coin.code
            ),
        );
    }
}

pub(super) async fn payment_info(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let key = reference(&signed(&sandbox, &headers, &body)?)?;
    let invoice = sandbox.payments().get(&key).map(Payment::to_wire);
    // A deposit to a static wallet is a payment too, found by its uuid.
    let invoice = match (invoice, &key) {
        (None, Reference::Uuid(uuid)) => sandbox.wallets().deposit_payment(uuid),
        (invoice, _) => invoice,
    };
    Ok(success(invoice.ok_or(ControlError::NotFound)?))
}

pub(super) async fn payment_page(
    State(sandbox): State<Sandbox>,
    Path(uuid): Path<String>,
) -> Result<Response, Refusal> {
    let invoice = sandbox
        .payments()
        .get(&Reference::Uuid(uuid))
        .map(Payment::to_wire);
    Ok(success(invoice.ok_or(ControlError::NotFound)?))
}

/// Cursor pages of `/v1/payment/list` hold this many payments.
const PER_PAGE: usize = 15;

/// `date_from` / `date_to` as the gateway takes them: `YYYY-MM-DD HH:MM:SS` in its +03:00 time.
fn gateway_date(check: &mut Check, fields: &Fields, name: &str) -> Option<i64> {
    let text = check.string(fields, name, false, 19)?;
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    match time::PrimitiveDateTime::parse(&text, &format) {
        Ok(local) => Some(
            local
                .assume_offset(time::macros::offset!(+3))
                .unix_timestamp(),
        ),
        Err(_) => {
            check.fail(
                name,
                format!(
                    "The {} does not match the format Y-m-d H:i:s.",
                    name.replace('_', " ")
                ),
            );
            None
        }
    }
}

/// `POST /v1/payment/list`: payments newest first, a cursor page at a time. The cursor comes in
/// the body or, as the gateway documents, in the query (`?cursor=`).
pub(super) async fn payment_list(
    State(sandbox): State<Sandbox>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = signed(&sandbox, &headers, &body)?;
    let mut check = Check::default();
    let from = gateway_date(&mut check, &fields, "date_from").unwrap_or(i64::MIN);
    let to = gateway_date(&mut check, &fields, "date_to").unwrap_or(i64::MAX);
    let in_query = query.as_deref().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("cursor="))
            .map(str::to_owned)
    });
    let offset = match (fields.get("cursor"), in_query) {
        (Some(Value::String(cursor)), _) => offset_of(cursor),
        (_, Some(cursor)) => offset_of(&cursor),
        _ => 0,
    };
    check.finish()?;
    let payments = sandbox.payments();
    let all = payments.list(from, to);
    let page: Vec<_> = all
        .iter()
        .skip(offset)
        .take(PER_PAGE)
        .map(|p| p.to_wire())
        .collect();
    Ok(success(json!({
        "items": page,
        "paginate": paginate(page.len(), all.len(), offset, PER_PAGE),
    })))
}

/// The `paginate` object of a history page of `count` items starting at `offset` of `total`,
/// `per_page` a page; a cursor past the end is an empty last page.
pub(super) fn paginate(count: usize, total: usize, offset: usize, per_page: usize) -> Value {
    let offset = offset.min(total);
    json!({
        "count": count,
        "hasPages": total > per_page,
        "nextCursor": (offset + per_page < total).then(|| cursor(offset + per_page)),
        "previousCursor": (offset > 0).then(|| cursor(offset.saturating_sub(per_page))),
        "perPage": per_page,
    })
}

/// The cursor of the page that starts at `offset`: opaque, as the gateway's are (base64url of a
/// small JSON object), so that no client takes a page number for one.
pub(super) fn cursor(offset: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{{\"offset\":{offset}}}"))
}

/// Where the page of `cursor` starts; a cursor this sandbox did not make (a page number, garbage)
/// is the first page, never a page that skips the newest payments.
pub(super) fn offset_of(cursor: &str) -> usize {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|value| value["offset"].as_u64())
        .map_or(0, |offset| usize::try_from(offset).unwrap_or(usize::MAX))
}

/// `POST /v1/payment/services`: every coin and network, with limits and commission.
pub(super) async fn services(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    signed(&sandbox, &headers, &body)?;
    Ok(success(services_json(coins::COMMISSION_PERCENT)))
}

/// Every coin and network, with its limits and a commission of `percent`, as the gateway lists
/// the services of payments and of payouts.
pub(super) fn services_json(percent: Decimal) -> Vec<Value> {
    coins::services()
        .map(|service| {
            let scale = service.coin.scale;
            json!({
                "network": service.network,
                "currency": service.coin.code,
                "is_available": true,
                "limit": {
                    "min_amount": coins::fixed(service.min_amount(), scale),
                    "max_amount": coins::fixed(service.max_amount(), scale),
                },
                "commission": {
                    "fee_amount": "0.00",
                    "percent": coins::fixed(percent, 2),
                },
            })
        })
        .collect()
}

/// `POST /v1/payment/resend`: sends the payment's webhook again, for its current state.
pub(super) async fn resend(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let key = reference(&signed(&sandbox, &headers, &body)?)?;
    let payment = sandbox
        .payments()
        .get(&key)
        .cloned()
        .ok_or(ControlError::NotFound)?;
    sandbox.send_webhook(&payment);
    Ok(success(json!([])))
}

/// `POST /v1/payment/refund`: a paid payment goes to `refund_process`; the `/sandbox/refund`
/// control completes it.
pub(super) async fn refund(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = signed(&sandbox, &headers, &body)?;
    let key = reference(&fields)?;
    let mut check = Check::default();
    let address = check.string(&fields, "address", true, 128);
    if check.boolean(&fields, "is_subtract").is_none() && !check.has_errors("is_subtract") {
        check.fail("is_subtract", "The is subtract field is required.");
    }
    // The refund goes out on the payment's network: an address of another is refused.
    let network = sandbox
        .payments()
        .get(&key)
        .and_then(|payment| payment.network.clone());
    if let (Some(address), Some(network)) = (&address, &network)
        && !addresses::valid(network, address)
    {
        check.fail(
            "address",
            "The address is not valid for the selected network.",
        );
    }
    check.finish()?;
    let now = sandbox.now();
    let address = address.unwrap_or_default();
    // Refunded money leaves the balance: refuse what payouts already took. Payouts are locked
    // first, as everywhere that reads the balance.
    let payouts = sandbox.payouts();
    let (coin, share) = {
        let payments = sandbox.payments();
        let payment = payments.get(&key).ok_or(ControlError::NotFound)?;
        (
            payment.payer_currency().unwrap_or_default(),
            payment.merchant_share(),
        )
    };
    let available = sandbox.available(&payouts, coin);
    if available < share {
        return Err(ControlError::InsufficientFunds.into());
    }
    sandbox.apply(|p| p.refund(&key, address, now).map(|x| vec![x]))?;
    drop(payouts);
    Ok(success(json!([])))
}

/// `POST /v1/payment/qr`: a PNG QR code of the payment's address.
pub(super) async fn payment_qr(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let key = qr_subject(&sandbox, &headers, &body, "merchant_payment_uuid")?;
    let payments = sandbox.payments();
    let payment = payments.get(&key).ok_or(ControlError::NotFound)?;
    let address = payment
        .address
        .as_deref()
        .ok_or(ControlError::NoCoinChosen)?;
    qr_answer(address, ControlError::NoCoinChosen)
}

/// `POST /v1/test-webhook/payment`: sends one signed webhook of the given status to `url_callback`,
/// for a payment of the merchant's or a made-up one; stores nothing.
/// The fields of the test webhook endpoints (`/v1/test-webhook/payment`, `/payout`, `/wallet`).
pub(super) struct TestWebhookFields {
    pub url: Option<String>,
    pub coin: Option<&'static coins::Coin>,
    pub network: Option<String>,
    pub status: PaymentStatus,
    pub uuid: Option<String>,
    pub order_id: Option<String>,
}

impl TestWebhookFields {
    pub(super) fn read(fields: &Fields) -> Result<Self, Refusal> {
        let mut check = Check::default();
        let url = check.string(fields, "url_callback", true, 255);
        let currency = check.string(fields, "currency", true, 10);
        let network = check.string(fields, "network", true, 20);
        let status = check
            .string(fields, "status", false, 32)
            .unwrap_or_else(|| "paid".to_owned());
        let uuid = check.string(fields, "uuid", false, 64);
        let order_id = check.string(fields, "order_id", false, 128);
        if let Some(url) = &url
            && url.len() < 6
        {
            check.fail(
                "url_callback",
                "The url callback must be at least 6 characters.",
            );
        }
        let status = PaymentStatus::parse(&status);
        if matches!(status, PaymentStatus::Unknown(_)) {
            check.fail("status", "The selected status is invalid.");
        }
        let coin = check.coin_on_network(currency.as_deref(), network.as_deref());
        check.finish()?;
        Ok(Self {
            url,
            coin,
            network,
            status,
            uuid,
            order_id,
        })
    }
}

pub(super) async fn test_webhook(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let fields = signed(&sandbox, &headers, &body)?;
    let TestWebhookFields {
        url,
        coin,
        network,
        status,
        uuid,
        order_id,
    } = TestWebhookFields::read(&fields)?;
    let existing = {
        let payments = sandbox.payments();
        let by_uuid = uuid
            .clone()
            .and_then(|u| payments.get(&Reference::Uuid(u)).cloned());
        by_uuid.or_else(|| {
            order_id
                .clone()
                .and_then(|o| payments.get(&Reference::OrderId(o)).cloned())
        })
    };
    let mut payment = existing.unwrap_or_else(|| {
        let seed = sandbox.config().seed;
        Payment::sample(
            uuid.unwrap_or_else(|| ids::uuid_from(&ids::derive(seed, "test-webhook", 0))),
            order_id.unwrap_or_else(|| "test-webhook".to_owned()),
            coin,
            network.clone(),
            sandbox.now(),
        )
    });
    payment.url_callback = url;
    payment.set_status_for_test(status, sandbox.now());
    sandbox.send_webhook(&payment);
    Ok(success(json!([])))
}

/// `currencies` / `except_currencies`: a list of `{"currency": coin, "network"?: network}`.
fn coin_list(check: &mut Check, fields: &Fields, name: &str) {
    let Some(value) = fields.get(name).filter(|v| !v.is_null()) else {
        return;
    };
    let ok = value.as_array().is_some_and(|items| {
        items.iter().all(|item| {
            let coin = item
                .get("currency")
                .and_then(Value::as_str)
                .and_then(coins::coin);
            let network = item.get("network").filter(|n| !n.is_null());
            match (coin, network) {
                (Some(_), None) => true,
                (Some(coin), Some(n)) => n.as_str().is_some_and(|n| coin.networks.contains(&n)),
                (None, _) => false,
            }
        })
    });
    if !ok {
        check.fail(
            name,
            format!(
                "The {} must be a list of known currency and network pairs.",
                name.replace('_', " ")
            ),
        );
    }
}

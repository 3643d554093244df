//! The balance and the exchange rates.

use super::{Refusal, signed, success};
use crate::{Sandbox, coins, ids};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;
use std::collections::BTreeMap;

/// `POST /v1/balance`: what the merchant holds per coin, after commission and refunds.
pub(super) async fn balance(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    signed(&sandbox, &headers, &body)?;
    let seed = sandbox.config().seed;
    let balances = sandbox.balances(&sandbox.payouts());
    let merchant: Vec<_> = balances
        .into_iter()
        .filter_map(|(code, amount)| {
            let coin = coins::coin(code)?;
            let usd = coins::rate(code, "USD")? * amount;
            Some(json!({
                "uuid": ids::uuid_from(&ids::derive(seed, "balance", u64::from(code.as_bytes()[0]))),
                "balance": coins::fixed(amount, coin.scale),
                "currency_code": code,
                "balance_usd": coins::fixed(usd.round_dp(2), 2),
            }))
        })
        .collect();
    Ok(success(
        json!([{ "balance": { "merchant": merchant, "user": [] } }]),
    ))
}

/// `GET /v1/exchange-rate/{currency}/list`: what one unit buys of every other currency. Public.
pub(super) async fn exchange_rates(Path(currency): Path<String>) -> Result<Response, Refusal> {
    let from = currency.to_ascii_uppercase();
    if !coins::is_known_currency(&from) {
        let mut errors = BTreeMap::new();
        errors.insert(
            "currency".to_owned(),
            vec!["The selected currency is invalid.".to_owned()],
        );
        return Err(Refusal::Invalid(errors));
    }
    let rates: Vec<_> = coins::all_codes()
        .filter(|to| *to != from)
        .filter_map(|to| Some(json!({ "from": from, "to": to, "course": coins::fixed(coins::rate(&from, to)?, 8) })))
        .collect();
    Ok(success(rates))
}

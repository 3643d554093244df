use crate::support::Harness;
use rust_decimal::Decimal;
use serde_json::json;
use shim_gateway::BalanceOwner;

#[tokio::test]
async fn services_list_every_coin_with_limits() {
    let h = Harness::start().await;
    let services = h.client.services().await.unwrap();
    let usdt = services
        .iter()
        .find(|s| s.currency == "USDT" && s.network == "tron")
        .unwrap();
    assert!(usdt.available);
    assert_eq!(
        (usdt.min_amount, usdt.fee_percent),
        (Decimal::ONE, Decimal::new(2, 0))
    );
    assert!(
        services
            .iter()
            .any(|s| s.currency == "BTC" && s.network == "btc")
    );
}

#[tokio::test]
async fn the_balance_holds_what_was_paid_less_commission() {
    let h = Harness::start().await;
    assert!(h.client.balance().await.unwrap().is_empty());
    h.create("b1", 15).await;
    h.control("pay", json!({ "order_id": "b1", "amount": "15" }))
        .await;
    let balances = h.client.balance().await.unwrap();
    assert_eq!(balances.len(), 1);
    let usdt = &balances[0];
    assert_eq!(
        (usdt.owner, usdt.currency.as_str()),
        (BalanceOwner::Merchant, "USDT")
    );
    assert_eq!(
        (usdt.balance, usdt.balance_usd),
        (Decimal::new(147, 1), Decimal::new(147, 1))
    );
}

#[tokio::test]
async fn exchange_rates_come_from_the_fixed_table() {
    let h = Harness::start().await;
    let rates = h.client.exchange_rates("BTC").await.unwrap();
    let usd = rates.iter().find(|r| r.to == "USD").unwrap();
    assert_eq!(
        (usd.from.as_str(), usd.rate),
        ("BTC", Decimal::new(60_000, 0))
    );
    assert!(rates.iter().all(|r| r.to != "BTC"));
    assert!(h.client.exchange_rates("XYZ").await.is_err());
    assert!(h.client.exchange_rates("../x").await.is_err());
}

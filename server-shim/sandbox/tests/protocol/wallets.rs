use crate::support::Harness;
use rust_decimal::Decimal;
use serde_json::json;
use shim_gateway::{CreateWallet, GatewayError, PaymentRef};

fn wallet(h: &Harness, order_id: &str) -> CreateWallet {
    CreateWallet {
        currency: "USDT".into(),
        network: "tron".into(),
        order_id: order_id.into(),
        url_callback: Some(h.callback_url.clone()),
    }
}

#[tokio::test]
async fn a_static_wallet_is_one_address_per_order_id() {
    let h = Harness::start().await;
    let first = h
        .client
        .create_wallet(&wallet(&h, "customer-7"))
        .await
        .unwrap();
    assert!(first.address.starts_with('T'), "{}", first.address);
    assert_eq!(
        (first.currency.as_str(), first.network.as_str()),
        ("USDT", "tron")
    );
    let again = h
        .client
        .create_wallet(&wallet(&h, "customer-7"))
        .await
        .unwrap();
    assert_eq!(again, first);
    let other = h
        .client
        .create_wallet(&wallet(&h, "customer-8"))
        .await
        .unwrap();
    assert_ne!(other.address, first.address);
    let image = h.client.wallet_qr(&first.uuid).await.unwrap();
    assert!(image.starts_with("data:image/png;base64,"));
}

#[tokio::test]
async fn deposits_are_credited_once_per_transaction() {
    let h = Harness::start().await;
    let w = h
        .client
        .create_wallet(&wallet(&h, "customer-1"))
        .await
        .unwrap();
    let (status, body) = h
        .control(
            "deposit",
            json!({ "address": w.address, "amount": "10", "txid": "tx-1" }),
        )
        .await;
    assert_eq!(
        (status, body["result"]["credited"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    let (_, again) = h
        .control(
            "deposit",
            json!({ "address": w.address, "amount": "10", "txid": "tx-1" }),
        )
        .await;
    assert_eq!(
        again["result"]["credited"], false,
        "the same transaction is one deposit"
    );
    h.control("deposit", json!({ "address": w.address, "amount": "5" }))
        .await;
    assert_eq!(h.webhooks(2).await, ["wallet:paid", "wallet:paid"]);
    let balance = h.client.balance().await.unwrap();
    assert_eq!(
        balance[0].balance,
        Decimal::new(1470, 2),
        "15 USDT less 2% commission"
    );
    let (status, _) = h
        .control(
            "deposit",
            json!({ "address": "TNoSuchAddress", "amount": "1" }),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_blocked_wallet_refuses_deposits_and_refunds_once() {
    let h = Harness::start().await;
    let w = h
        .client
        .create_wallet(&wallet(&h, "customer-2"))
        .await
        .unwrap();
    h.control("deposit", json!({ "address": w.address, "amount": "10" }))
        .await;
    let key = PaymentRef::OrderId("customer-2".into());
    let early = h.client.refund_blocked_wallet(&key, "TBack").await;
    assert!(
        matches!(early, Err(GatewayError::Rejected(ref m)) if m.contains("not blocked")),
        "{early:?}"
    );
    h.client.block_wallet(&key, false).await.unwrap();
    let (status, body) = h
        .control("deposit", json!({ "address": w.address, "amount": "1" }))
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (409, Some("The wallet is blocked"))
    );
    let (commission, amount) = h.client.refund_blocked_wallet(&key, "TBack").await.unwrap();
    assert_eq!(
        (commission, amount),
        (Decimal::new(2, 1), Decimal::new(98, 1))
    );
    assert!(
        h.client.refund_blocked_wallet(&key, "TBack").await.is_err(),
        "only once"
    );
    assert!(
        h.client.balance().await.unwrap().is_empty(),
        "the refunded money left the balance"
    );
}

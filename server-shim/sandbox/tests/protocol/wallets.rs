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

    // A deposit is a payment the gateway answers for by its uuid, as for invoices.
    let uuid = body["result"]["uuid"].as_str().unwrap();
    let payment = h
        .client
        .payment_info(&PaymentRef::Uuid(uuid.into()))
        .await
        .unwrap();
    assert_eq!(
        (
            payment.order_id.as_str(),
            payment.address.as_deref(),
            payment.network.as_deref(),
            payment.payer_currency.as_deref(),
        ),
        (
            "customer-1",
            Some(w.address.as_str()),
            Some("tron"),
            Some("USDT")
        )
    );
    assert_eq!(
        (
            payment.payment_amount,
            payment.merchant_amount,
            payment.txid.as_deref(),
            payment.is_final
        ),
        (
            Some(Decimal::from(10)),
            Some(Decimal::new(98, 1)),
            Some("tx-1"),
            true
        )
    );
    assert_eq!(payment.status, shim_gateway::PaymentStatus::Paid);
}

#[tokio::test]
async fn a_blocked_wallet_holds_what_arrives_later_and_refunds_that_once() {
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
    // Coins still reach the address: held, not credited, and its webhook says so.
    let (status, body) = h
        .control("deposit", json!({ "address": w.address, "amount": "5" }))
        .await;
    assert_eq!(
        (
            status,
            body["result"]["status"].as_str(),
            body["result"]["credited"].as_bool()
        ),
        (200, Some("locked"), Some(false)),
        "{body}"
    );
    assert_eq!(h.webhooks(2).await, ["wallet:paid", "wallet:locked"]);
    // The refund sends what arrived after the block; what was credited before stays.
    let (commission, amount) = h.client.refund_blocked_wallet(&key, "TBack").await.unwrap();
    assert_eq!(
        (commission, amount),
        (Decimal::new(1, 1), Decimal::new(49, 1))
    );
    assert!(
        h.client.refund_blocked_wallet(&key, "TBack").await.is_err(),
        "only once"
    );
    assert_eq!(
        h.client.balance().await.unwrap()[0].balance,
        Decimal::new(98, 1)
    );
    let held = body["result"]["uuid"].as_str().unwrap();
    let after = h
        .client
        .payment_info(&PaymentRef::Uuid(held.into()))
        .await
        .unwrap();
    assert_eq!(
        (after.status, after.is_final),
        (shim_gateway::PaymentStatus::RefundPaid, true)
    );
}

#[tokio::test]
async fn a_wallet_blocked_with_a_forced_refund_sends_later_coins_back() {
    let h = Harness::start().await;
    let w = h
        .client
        .create_wallet(&wallet(&h, "customer-3"))
        .await
        .unwrap();
    let key = PaymentRef::OrderId("customer-3".into());
    h.client.block_wallet(&key, true).await.unwrap();
    let (_, body) = h
        .control("deposit", json!({ "address": w.address, "amount": "5" }))
        .await;
    assert_eq!(body["result"]["status"], "refund_paid", "{body}");
    assert!(h.client.balance().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_deposit_waits_for_its_confirmations() {
    let h = Harness::start().await;
    let w = h
        .client
        .create_wallet(&wallet(&h, "customer-4"))
        .await
        .unwrap();
    let (_, body) = h
        .control(
            "deposit",
            json!({ "address": w.address, "amount": "10", "confirm": false }),
        )
        .await;
    assert_eq!(body["result"]["status"], "confirm_check", "{body}");
    let uuid = body["result"]["uuid"].as_str().unwrap().to_owned();
    assert!(h.client.balance().await.unwrap().is_empty());
    let (status, settled) = h.control("deposit/settle", json!({ "uuid": uuid })).await;
    assert_eq!(
        (status, settled["result"]["status"].as_str()),
        (200, Some("paid"))
    );
    assert_eq!(h.webhooks(2).await, ["wallet:confirm_check", "wallet:paid"]);
    assert_eq!(
        h.client.balance().await.unwrap()[0].balance,
        Decimal::new(98, 1)
    );
    let (status, _) = h
        .control("deposit/settle", json!({ "uuid": uuid, "result": "fail" }))
        .await;
    assert_eq!(status, 409, "a final deposit does not change");
    let (status, _) = h.control("deposit/settle", json!({ "uuid": "nope" })).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_test_wallet_webhook_is_signed_and_stores_nothing() {
    let h = Harness::start().await;
    let w = h
        .client
        .create_wallet(&wallet(&h, "customer-9"))
        .await
        .unwrap();
    let test = shim_gateway::TestWebhook {
        url_callback: h.callback_url.clone(),
        currency: "USDT".into(),
        network: "tron".into(),
        payment: Some(PaymentRef::OrderId("customer-9".into())),
        status: shim_gateway::PaymentStatus::Paid,
    };
    h.client.test_wallet_webhook(&test).await.unwrap();
    let hooks = h.webhook_bodies(1).await;
    let hook: serde_json::Value = serde_json::from_str(&hooks[0]).unwrap();
    assert_eq!(
        (
            hook["type"].as_str(),
            hook["order_id"].as_str(),
            hook["wallet_address_uuid"].as_str()
        ),
        (Some("wallet"), Some("customer-9"), Some(w.uuid.as_str()))
    );
    assert!(
        shim_gateway::verify_webhook(hooks[0].as_bytes(), &h.sandbox.config().payment_key).is_ok()
    );
    let uuid = hook["uuid"].as_str().unwrap();
    assert!(matches!(
        h.client.payment_info(&PaymentRef::Uuid(uuid.into())).await,
        Err(GatewayError::NotFound(_))
    ));
    assert!(h.client.balance().await.unwrap().is_empty());
}

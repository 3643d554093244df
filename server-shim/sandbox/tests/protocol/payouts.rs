use crate::support::Harness;
use rust_decimal::Decimal;
use serde_json::json;
use shim_gateway::{CreatePayout, CreateWallet, GatewayError, PaymentRef, PaymentStatus};

fn payout(h: &Harness, order_id: &str, amount: i64) -> CreatePayout {
    CreatePayout {
        amount: Decimal::from(amount),
        currency: "USDT".into(),
        order_id: order_id.into(),
        address: "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu".into(),
        is_subtract: true,
        network: Some("tron".into()),
        url_callback: Some(h.callback_url.clone()),
        to_currency: None,
    }
}

/// Puts 49 USDT (50 less 2% commission) on the merchant's balance through a deposit.
async fn fund(h: &Harness) {
    let w = CreateWallet {
        currency: "USDT".into(),
        network: "tron".into(),
        order_id: "funding".into(),
        url_callback: None,
    };
    let w = h.client.create_wallet(&w).await.unwrap();
    h.control("deposit", json!({ "address": w.address, "amount": "50" }))
        .await;
}

#[tokio::test]
async fn a_payout_beyond_the_balance_is_refused() {
    let h = Harness::start().await;
    fund(&h).await;
    let refused = h.client.create_payout(&payout(&h, "too-much", 49)).await;
    assert!(
        matches!(refused, Err(GatewayError::Rejected(ref m)) if m.contains("Not enough funds")),
        "{refused:?}"
    );
    assert!(matches!(
        h.client
            .payout_info(&PaymentRef::OrderId("too-much".into()))
            .await,
        Err(GatewayError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_payout_completes_through_its_webhook_and_is_idempotent() {
    let h = Harness::start().await;
    fund(&h).await;
    let created = h
        .client
        .create_payout(&payout(&h, "p-1", 20))
        .await
        .unwrap();
    assert_eq!(
        (created.status.clone(), created.is_final),
        (PaymentStatus::Process, false)
    );
    assert_eq!(
        created.balance,
        Some(Decimal::new(2880, 2)),
        "49 less 20 less 1% commission"
    );
    let again = h
        .client
        .create_payout(&payout(&h, "p-1", 20))
        .await
        .unwrap();
    assert_eq!(
        again.uuid, created.uuid,
        "the same order id is the same payout"
    );

    let (status, _) = h.control("payout", json!({ "order_id": "p-1" })).await;
    assert_eq!(status, 200);
    assert_eq!(h.webhooks(2).await, ["payout:process", "payout:paid"]);
    let done = h
        .client
        .payout_info(&PaymentRef::Uuid(created.uuid))
        .await
        .unwrap();
    assert_eq!((done.status, done.is_final), (PaymentStatus::Paid, true));
    assert!(done.txid.is_some());
}

#[tokio::test]
async fn a_failed_payout_returns_the_money() {
    let h = Harness::start().await;
    fund(&h).await;
    h.client
        .create_payout(&payout(&h, "p-2", 30))
        .await
        .unwrap();
    h.control("payout", json!({ "order_id": "p-2", "result": "fail" }))
        .await;
    let balance = h.client.balance().await.unwrap();
    assert_eq!(balance[0].balance, Decimal::from(49));
}

#[tokio::test]
async fn a_payout_to_another_networks_address_or_under_the_minimum_is_refused() {
    let h = Harness::start().await;
    fund(&h).await;
    let mut ethereum = payout(&h, "p-eth", 5);
    ethereum.address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".into();
    let mut tiny = payout(&h, "p-tiny", 5);
    tiny.amount = "0.5".parse().unwrap();
    for (request, field, words) in [
        (ethereum, "address", "not valid for the selected network"),
        (tiny, "amount", "The minimum payout is 1.000000 USDT."),
    ] {
        let refused = h.client.create_payout(&request).await;
        assert!(
            matches!(&refused, Err(GatewayError::Validation(errors)) if errors.get(field).is_some_and(|m| m.iter().any(|m| m.contains(words)))),
            "{refused:?}"
        );
        assert!(matches!(
            h.client
                .payout_info(&PaymentRef::OrderId(request.order_id.clone()))
                .await,
            Err(GatewayError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn a_call_whose_answer_is_lost_is_still_carried_out() {
    let h = Harness::start().await;
    fund(&h).await;
    let (status, _) = h
        .control("lose-answers", json!({ "path": "/v1/payout", "count": 1 }))
        .await;
    assert_eq!(status, 200);
    let key = h.sandbox.config().payout_key.clone();
    let body = serde_json::to_vec(
        &json!({ "amount": "5", "currency": "USDT", "order_id": "p-lost",
        "address": "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu", "is_subtract": true, "network": "tron" }),
    )
    .unwrap();
    let (status, _) = h.raw("/v1/payout", &body, Some(&key)).await;
    assert_eq!(status, 504);
    let made = h
        .client
        .payout_info(&PaymentRef::OrderId("p-lost".into()))
        .await
        .unwrap();
    assert_eq!(made.status, PaymentStatus::Process);
    // Only the next answer was lost; asked again, the same payout (its order id) answers.
    let (status, again) = h.raw("/v1/payout", &body, Some(&key)).await;
    assert_eq!(
        (status, again["result"]["uuid"].as_str()),
        (200, Some(made.uuid.as_str()))
    );
    let (status, bad) = h
        .control("lose-answers", json!({ "path": "payout", "count": -1 }))
        .await;
    assert_eq!(status, 422, "{bad}");
}

#[tokio::test]
async fn payouts_need_the_payout_key() {
    let h = Harness::start().await;
    let body = serde_json::to_vec(&json!({ "amount": "1", "currency": "USDT", "order_id": "x", "address": "T", "is_subtract": "1", "network": "tron" })).unwrap();
    let (status, answer) = h
        .raw("/v1/payout", &body, Some(&h.sandbox.config().payment_key))
        .await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (401, Some("Invalid Sign.")),
        "the payment key does not sign payouts"
    );
    let (status, answer) = h
        .raw("/v1/payout", &body, Some(&h.sandbox.config().payout_key))
        .await;
    assert_eq!(
        (status, answer["state"].as_i64()),
        (422, Some(1)),
        "signed right, but no balance: {answer}"
    );
}

#[tokio::test]
async fn a_test_payout_webhook_is_signed_with_the_payout_key() {
    let h = Harness::start().await;
    let test = shim_gateway::TestWebhook {
        url_callback: h.callback_url.clone(),
        currency: "USDT".into(),
        network: "tron".into(),
        payment: None,
        status: PaymentStatus::Paid,
    };
    h.client.test_payout_webhook(&test).await.unwrap();
    assert_eq!(h.webhooks(1).await, ["payout:paid"]);
}

#[tokio::test]
async fn a_refund_of_money_already_paid_out_is_refused() {
    let h = Harness::start().await;
    h.create("spent", 15).await;
    h.control("pay", json!({ "order_id": "spent", "amount": "15" }))
        .await;
    h.client
        .create_payout(&payout(&h, "p-spent", 14))
        .await
        .unwrap();
    let refused = h
        .client
        .refund(
            &PaymentRef::OrderId("spent".into()),
            "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu",
            false,
        )
        .await;
    assert!(
        matches!(refused, Err(GatewayError::Rejected(ref m)) if m.contains("Not enough funds")),
        "{refused:?}"
    );
    let balance = h.client.balance().await.unwrap();
    assert!(
        balance.iter().all(|b| b.balance >= Decimal::ZERO),
        "{balance:?}"
    );
}

#[tokio::test]
async fn payout_services_and_history_answer_as_the_gateway_documents() {
    let h = Harness::start().await;
    fund(&h).await;
    for (order, amount) in [("h-1", 5), ("h-2", 6)] {
        h.client
            .create_payout(&payout(&h, order, amount))
            .await
            .unwrap();
    }
    let key = h.sandbox.config().payout_key.clone();
    let (status, services) = h.raw("/v1/payout/services", b"", Some(&key)).await;
    assert_eq!(status, 200, "{services}");
    let tron_usdt = services["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["currency"] == "USDT" && s["network"] == "tron")
        .cloned()
        .unwrap();
    assert_eq!(tron_usdt["commission"]["percent"], "1.00");
    assert!(tron_usdt["limit"]["min_amount"].is_string());

    let (status, history) = h.raw("/v1/payout/list", b"{}", Some(&key)).await;
    assert_eq!(status, 200, "{history}");
    let items = history["result"]["items"].as_array().unwrap();
    let orders: Vec<_> = items
        .iter()
        .map(|i| i["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(orders, ["h-2", "h-1"], "newest first");
    assert!(items[0]["created_at"].is_string());
    assert_eq!(
        history["result"]["paginate"]["nextCursor"],
        serde_json::Value::Null
    );
    // Signed with the payment key: refused, as every payout call.
    let (status, _) = h
        .raw(
            "/v1/payout/list",
            b"{}",
            Some(&h.sandbox.config().payment_key),
        )
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_payout_asked_in_a_fiat_currency_goes_out_in_its_coin() {
    let h = Harness::start().await;
    fund(&h).await;
    let mut euros = payout(&h, "p-eur", 10);
    euros.currency = "EUR".into();
    euros.to_currency = Some("USDT".into());
    let made = h.client.create_payout(&euros).await.unwrap();
    // 10 EUR at 1.08 USD each: 10.8 USDT sent, the commission on top from the balance.
    assert_eq!(
        (
            made.currency.as_str(),
            made.amount,
            made.payer_currency.as_deref(),
            made.payer_amount
        ),
        (
            "EUR",
            Decimal::from(10),
            Some("USDT"),
            Some(Decimal::new(108, 1))
        )
    );
    let again = h
        .client
        .payout_info(&PaymentRef::OrderId("p-eur".into()))
        .await
        .unwrap();
    assert_eq!(again.payer_amount, made.payer_amount);
    let balance = h.client.balance().await.unwrap();
    assert_eq!(
        balance[0].balance,
        Decimal::from(49) - Decimal::new(108, 1) - Decimal::new(108, 3)
    );
    // A fiat currency needs the coin to send.
    let mut vague = payout(&h, "p-vague", 10);
    vague.currency = "EUR".into();
    let refused = h.client.create_payout(&vague).await;
    assert!(
        matches!(&refused, Err(GatewayError::Validation(e)) if e.contains_key("to_currency")),
        "{refused:?}"
    );
}

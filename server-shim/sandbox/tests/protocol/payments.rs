use crate::support::Harness;
use rust_decimal::Decimal;
use serde_json::json;
use shim_gateway::{GatewayError, PaymentListQuery, PaymentRef, PaymentStatus, TestWebhook};

#[tokio::test]
async fn an_invoice_is_created_once_per_order_and_found_both_ways() {
    let h = Harness::start().await;
    let created = h.create("order-1", 15).await;
    assert_eq!(created.status, PaymentStatus::Check);
    assert_eq!(created.payer_amount, Some(Decimal::new(15, 0)));
    assert_eq!(created.payer_currency.as_deref(), Some("USDT"));
    assert!(created.address.as_deref().unwrap().starts_with('T'));
    let created_at = created.created_at.unwrap();
    assert!(created.expires_at - created_at == 3600, "default lifetime");

    let again = h.create("order-1", 99).await;
    assert_eq!(
        again.uuid, created.uuid,
        "an order id the gateway has seen returns that invoice"
    );
    let by_uuid = h
        .client
        .payment_info(&PaymentRef::Uuid(created.uuid.clone()))
        .await
        .unwrap();
    let by_order = h
        .client
        .payment_info(&PaymentRef::OrderId("order-1".into()))
        .await
        .unwrap();
    assert_eq!(by_uuid, by_order);
    let missing = h
        .client
        .payment_info(&PaymentRef::OrderId("nope".into()))
        .await;
    assert!(
        matches!(missing, Err(GatewayError::NotFound(_))),
        "{missing:?}"
    );

    // Both given: the order id decides, as the gateway documents.
    let other = h.create("order-2", 20).await;
    let key = h.sandbox.config().payment_key.clone();
    let body = serde_json::to_vec(&json!({ "uuid": created.uuid, "order_id": "order-2" })).unwrap();
    let (status, answer) = h.raw("/v1/payment/info", &body, Some(&key)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["result"]["uuid"], other.uuid.as_str());
}

#[tokio::test]
async fn exact_payment_goes_check_confirm_check_paid() {
    let h = Harness::start().await;
    let invoice = h.create("exact", 15).await;
    let (status, _) = h
        .control("pay", json!({ "uuid": invoice.uuid, "amount": "15" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(h.webhooks(2).await, ["confirm_check", "paid"]);
    let paid = h
        .client
        .payment_info(&PaymentRef::Uuid(invoice.uuid))
        .await
        .unwrap();
    assert_eq!(
        (paid.status, paid.is_final, paid.payment_amount),
        (PaymentStatus::Paid, true, Some(Decimal::new(15, 0)))
    );
}

#[tokio::test]
async fn underpayment_waits_then_a_top_up_overpays() {
    let h = Harness::start().await;
    let invoice = h.create("short", 15).await;
    h.control("pay", json!({ "order_id": "short", "amount": "10" }))
        .await;
    h.control("pay", json!({ "order_id": "short", "amount": "6" }))
        .await;
    assert_eq!(
        h.webhooks(4).await,
        [
            "confirm_check",
            "wrong_amount_waiting",
            "confirm_check",
            "paid_over"
        ]
    );
    let info = h
        .client
        .payment_info(&PaymentRef::Uuid(invoice.uuid))
        .await
        .unwrap();
    assert_eq!(info.payment_amount, Some(Decimal::new(16, 0)));
}

#[tokio::test]
async fn expiry_cancels_or_closes_short() {
    let h = Harness::start().await;
    h.create("idle", 15).await;
    h.create("partial", 15).await;
    h.control("pay", json!({ "order_id": "partial", "amount": "5" }))
        .await;
    h.webhooks(2).await;
    let (status, body) = h.control("advance", json!({ "seconds": 3601 })).await;
    assert_eq!(status, 200, "{body}");
    let mut statuses = h.webhooks(4).await[2..].to_vec();
    statuses.sort();
    assert_eq!(statuses, ["cancel", "wrong_amount"]);
    let (status, body) = h
        .control("pay", json!({ "order_id": "idle", "amount": "15" }))
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (409, Some("The payment is already final"))
    );
}

#[tokio::test]
async fn accuracy_tolerates_a_small_shortfall() {
    let h = Harness::start().await;
    let body = json!({ "amount": "100", "currency": "USDT", "network": "tron", "order_id": "acc",
        "accuracy_payment_percent": 1, "url_callback": h.callback_url });
    let (status, created) = h
        .raw(
            "/v1/payment",
            body.to_string().as_bytes(),
            Some(&h.sandbox.config().payment_key),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    h.control("pay", json!({ "order_id": "acc", "amount": "99.5" }))
        .await;
    assert_eq!(h.webhooks(2).await, ["confirm_check", "paid"]);
}

/// A TRON address to refund to (the harness's invoices are paid on TRON).
const TRON_BACK: &str = "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu";

#[tokio::test]
async fn refunds_run_through_refund_process() {
    let h = Harness::start().await;
    let invoice = h.create("refund-me", 15).await;
    let early = h
        .client
        .refund(&PaymentRef::Uuid(invoice.uuid.clone()), TRON_BACK, true)
        .await;
    assert!(
        matches!(early, Err(GatewayError::Rejected(ref m)) if m.contains("cannot be refunded")),
        "{early:?}"
    );
    h.control("pay", json!({ "order_id": "refund-me", "amount": "15" }))
        .await;
    h.webhooks(2).await;
    // To an address of another network: refused, nothing starts.
    let elsewhere = h
        .client
        .refund(
            &PaymentRef::OrderId("refund-me".into()),
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            true,
        )
        .await;
    assert!(
        matches!(&elsewhere, Err(GatewayError::Validation(e)) if e.contains_key("address")),
        "{elsewhere:?}"
    );
    h.client
        .refund(&PaymentRef::OrderId("refund-me".into()), TRON_BACK, true)
        .await
        .unwrap();
    assert_eq!(h.webhooks(3).await[2], "refund_process");
    let (status, _) = h
        .control("refund", json!({ "order_id": "refund-me" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(h.webhooks(4).await[3], "refund_paid");
    let info = h
        .client
        .payment_info(&PaymentRef::Uuid(invoice.uuid))
        .await
        .unwrap();
    assert_eq!(
        (info.status, info.is_final),
        (PaymentStatus::RefundPaid, true)
    );
}

#[tokio::test]
async fn history_pages_newest_first() {
    let h = Harness::start().await;
    for i in 0..17 {
        h.create(&format!("history-{i:02}"), 5).await;
    }
    let first = h
        .client
        .list_payments(&PaymentListQuery::default())
        .await
        .unwrap();
    assert_eq!(first.items.len(), 15);
    assert_eq!(first.items[0].order_id, "history-16");
    assert!(first.previous_cursor.is_none());
    let second = h
        .client
        .list_payments(&PaymentListQuery {
            cursor: first.next_cursor.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let orders: Vec<_> = second.items.iter().map(|i| i.order_id.as_str()).collect();
    assert_eq!(orders, ["history-01", "history-00"]);
    assert!(second.next_cursor.is_none());
    // Cursors are opaque: a page number or garbage is the first page, newest first, so a client
    // that invents one loses nothing.
    let cursor = first.next_cursor.clone().unwrap();
    assert!(cursor.parse::<u64>().is_err(), "opaque: {cursor}");
    for invented in ["2", "15", "garbage", ""] {
        let page = h
            .client
            .list_payments(&PaymentListQuery {
                cursor: Some(invented.into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.items[0].order_id, "history-16", "{invented:?}");
    }
    // The documented query form reaches the same page as the body form.
    let key = h.sandbox.config().payment_key.clone();
    let (status, by_query) = h
        .raw(
            &format!("/v1/payment/list?cursor={cursor}"),
            b"",
            Some(&key),
        )
        .await;
    assert_eq!(status, 200, "{by_query}");
    assert_eq!(by_query["result"]["items"][0]["order_id"], "history-01");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let none = h
        .client
        .list_payments(&PaymentListQuery {
            date_to: Some(now - 86_400),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.items.is_empty());
}

#[tokio::test]
async fn resend_and_test_webhooks_arrive_signed() {
    let h = Harness::start().await;
    let invoice = h.create("resend", 15).await;
    h.client
        .resend_webhook(&PaymentRef::Uuid(invoice.uuid.clone()))
        .await
        .unwrap();
    assert_eq!(h.webhooks(1).await, ["check"]);
    let test = TestWebhook {
        url_callback: h.callback_url.clone(),
        currency: "USDT".into(),
        network: "tron".into(),
        payment: None,
        status: PaymentStatus::PaidOver,
    };
    h.client.test_webhook(&test).await.unwrap();
    assert_eq!(h.webhooks(2).await[1], "paid_over");
    let stored = h
        .client
        .list_payments(&PaymentListQuery::default())
        .await
        .unwrap();
    assert_eq!(stored.items.len(), 1, "a test webhook stores nothing");
}

#[tokio::test]
async fn the_qr_image_is_a_png_of_the_address() {
    let h = Harness::start().await;
    let invoice = h.create("qr", 15).await;
    let image = h.client.payment_qr(&invoice.uuid).await.unwrap();
    assert!(image.starts_with("data:image/png;base64,"), "{image:.40}");
    assert!(matches!(
        h.client.payment_qr("nope").await,
        Err(GatewayError::NotFound(_))
    ));
}

#[tokio::test]
async fn every_create_field_is_taken_and_a_discount_lowers_what_the_payer_sends() {
    let h = Harness::start().await;
    let mut request = h.invoice("all-fields", 100);
    request.additional_data = Some("Заказ / 100".into());
    request.accuracy_payment_percent = Some(Decimal::new(5, 1));
    request.subtract = Some(50);
    request.discount_percent = Some(10);
    request.currencies = vec![shim_gateway::CoinChoice {
        currency: "USDT".into(),
        network: Some("tron".into()),
    }];
    request.except_currencies = vec![shim_gateway::CoinChoice {
        currency: "BTC".into(),
        network: None,
    }];
    request.course_source = Some("Binance".into());
    request.is_refresh = Some(false);
    request.lifetime = Some(900);
    let invoice = h.client.create_invoice(&request).await.unwrap();
    assert_eq!(
        invoice.payer_amount,
        Some(Decimal::from(90)),
        "10% off 100 USDT"
    );
    assert_eq!(invoice.expires_at - invoice.created_at.unwrap(), 900);
}

#[tokio::test]
async fn a_persisted_sandbox_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("sandbox-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("state.db").display());
    let config = cryptomus_sandbox::SandboxConfig::generate("http://127.0.0.1");

    let first = cryptomus_sandbox::Sandbox::open(config.clone(), &url, true)
        .await
        .unwrap();
    let uuid = {
        let h = Harness::with_sandbox(first.clone()).await;
        let invoice = h.create("survivor", 15).await;
        h.control("pay", json!({ "order_id": "survivor", "amount": "15" }))
            .await;
        invoice.uuid
    };
    first.persist_now().await.unwrap();

    let fresh = cryptomus_sandbox::SandboxConfig::generate("http://127.0.0.1");
    let second = cryptomus_sandbox::Sandbox::open(fresh, &url, true)
        .await
        .unwrap();
    assert_eq!(
        second.config().merchant,
        config.merchant,
        "the stored identity is kept"
    );
    let h = Harness::with_sandbox(second).await;
    let info = h
        .client
        .payment_info(&PaymentRef::Uuid(uuid.clone()))
        .await
        .unwrap();
    assert_eq!(
        (info.status, info.order_id.as_str()),
        (PaymentStatus::Paid, "survivor")
    );
    let next = h.create("after-restart", 5).await;
    assert_ne!(next.uuid, uuid, "ids continue where they stopped");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_gateway_can_fail_or_hold_a_payment() {
    let h = Harness::start().await;
    h.create("failing", 15).await;
    h.create("broken", 15).await;
    h.create("held", 15).await;
    h.control("fail", json!({ "order_id": "failing" })).await;
    h.control(
        "fail",
        json!({ "order_id": "broken", "status": "system_fail" }),
    )
    .await;
    h.control(
        "pay",
        json!({ "order_id": "held", "amount": "15", "confirm": false }),
    )
    .await;
    h.control("hold", json!({ "order_id": "held" })).await;
    let (status, _) = h.control("confirm", json!({ "order_id": "held" })).await;
    assert_eq!(status, 200);
    let mut statuses = h.webhooks(5).await;
    statuses.sort();
    assert_eq!(
        statuses,
        ["confirm_check", "fail", "locked", "paid", "system_fail"]
    );
    let info = h
        .client
        .payment_info(&PaymentRef::OrderId("failing".into()))
        .await
        .unwrap();
    assert_eq!((info.status, info.is_final), (PaymentStatus::Fail, true));
    let (status, body) = h.control("fail", json!({ "order_id": "failing" })).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (409, Some("The payment is already final"))
    );
}

#[tokio::test]
async fn a_refund_can_fail() {
    let h = Harness::start().await;
    h.create("refund-fails", 15).await;
    h.control("pay", json!({ "order_id": "refund-fails", "amount": "15" }))
        .await;
    h.client
        .refund(
            &PaymentRef::OrderId("refund-fails".into()),
            TRON_BACK,
            false,
        )
        .await
        .unwrap();
    h.control(
        "refund",
        json!({ "order_id": "refund-fails", "result": "fail" }),
    )
    .await;
    assert_eq!(h.webhooks(4).await[3], "refund_fail");
    let info = h
        .client
        .payment_info(&PaymentRef::OrderId("refund-fails".into()))
        .await
        .unwrap();
    assert_eq!(
        (info.status, info.is_final),
        (PaymentStatus::RefundFail, true)
    );
}

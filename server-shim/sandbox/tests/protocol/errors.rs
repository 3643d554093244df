//! Bad input gets the gateway's error shapes and changes nothing.

use crate::support::Harness;
use serde_json::{Value, json};
use shim_gateway::{ApiKey, GatewayConfig, GatewayError, PaymentListQuery};

async fn payment_count(h: &Harness) -> usize {
    h.client
        .list_payments(&PaymentListQuery::default())
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test]
async fn bad_fields_get_422_with_field_errors() {
    let h = Harness::start().await;
    let key = h.sandbox.config().payment_key.clone();
    let base = json!({ "amount": "15", "currency": "USD", "order_id": "x", "to_currency": "USDT", "network": "tron" });
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = base.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let cases = [
        (without("amount"), "amount"),
        (without("currency"), "currency"),
        (without("order_id"), "order_id"),
        (with("amount", json!("1e3")), "amount"),
        (with("amount", json!("-5")), "amount"),
        (
            with("amount", json!(format!("1.{}", "1".repeat(40)))),
            "amount",
        ),
        (with("amount", json!(true)), "amount"),
        (with("amount", json!("0.5")), "amount"),
        (with("currency", json!("XYZ")), "currency"),
        (with("currency", json!(15)), "currency"),
        (with("network", json!("sol")), "network"),
        (with("network", json!("btc")), "network"),
        (with("to_currency", json!("DOGE")), "to_currency"),
        (with("order_id", json!("a b")), "order_id"),
        (with("order_id", json!("x".repeat(129))), "order_id"),
        (with("url_callback", json!("http")), "url_callback"),
        (
            with("is_payment_multiple", json!("maybe")),
            "is_payment_multiple",
        ),
        (
            with("accuracy_payment_percent", json!(9)),
            "accuracy_payment_percent",
        ),
        (with("subtract", json!(101)), "subtract"),
        (with("discount_percent", json!(-100)), "discount_percent"),
        (
            with("currencies", json!([{ "currency": "DOGE" }])),
            "currencies",
        ),
        (
            with("except_currencies", json!("USDT")),
            "except_currencies",
        ),
        (
            with("additional_data", json!("x".repeat(256))),
            "additional_data",
        ),
        (with("lifetime", json!(299)), "lifetime"),
        (with("lifetime", json!(43201)), "lifetime"),
    ];
    for (body, field) in cases {
        let (status, answer) = h
            .raw("/v1/payment", body.to_string().as_bytes(), Some(&key))
            .await;
        assert_eq!(status, 422, "{body} -> {answer}");
        assert_eq!(answer["state"], 1);
        assert!(answer["errors"][field].is_array(), "{body} -> {answer}");
    }
    assert_eq!(payment_count(&h).await, 0, "nothing was created");

    // The client turns them into typed validation errors.
    let mut bad = h.invoice("typed", 15);
    bad.network = Some("sol".into());
    assert!(
        matches!(h.client.create_invoice(&bad).await, Err(GatewayError::Validation(e)) if e.contains_key("network"))
    );
}

#[tokio::test]
async fn signatures_and_bodies_are_checked() {
    let h = Harness::start().await;
    let key = h.sandbox.config().payment_key.clone();
    let body =
        br#"{"amount":"15","currency":"USD","order_id":"s","to_currency":"USDT","network":"tron"}"#;
    let wrong = ApiKey::new("wrong".into());
    for (key, what) in [(Some(&wrong), "wrong sign"), (None, "no headers")] {
        let (status, answer) = h.raw("/v1/payment", body, key).await;
        assert_eq!(
            (status, answer["message"].as_str()),
            (401, Some("Invalid Sign.")),
            "{what}"
        );
    }
    let (status, answer) = h.raw("/v1/payment", b"not json", Some(&key)).await;
    assert_eq!((status, answer["state"].as_i64()), (422, Some(1)));
    let (status, answer) = h
        .raw("/v1/payment", &vec![b' '; 70 * 1024], Some(&key))
        .await;
    assert_eq!(
        (status, answer["state"].as_i64()),
        (413, Some(1)),
        "{answer}"
    );
    let (status, answer) = h.raw("/v1/nothing-here", b"{}", Some(&key)).await;
    assert_eq!(
        (status, answer["state"].as_i64()),
        (404, Some(1)),
        "{answer}"
    );
    let (status, answer) = h.raw("/v1/payment/services", b"[]", Some(&key)).await;
    assert_eq!(
        status, 200,
        "PHP's empty array is an empty parameter list: {answer}"
    );
    let (status, answer) = h.raw("/v1/payment/services", b"", Some(&key)).await;
    assert_eq!(
        status, 200,
        "no body at all, signed as md5(base64(\"\") + key), is one too: {answer}"
    );
    assert_eq!(payment_count(&h).await, 0);

    let other_merchant = shim_gateway::CryptomusClient::new(GatewayConfig::new(
        format!("{}/", h.url),
        shim_gateway::MerchantId::new("someone-else"),
        key,
    ))
    .unwrap();
    assert!(matches!(
        other_merchant.services().await,
        Err(GatewayError::InvalidSign)
    ));
}

#[tokio::test]
async fn controls_refuse_what_cannot_happen() {
    let h = Harness::start().await;
    let (status, answer) = h
        .control("pay", json!({ "order_id": "missing", "amount": "1" }))
        .await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (404, Some("Payment was not found"))
    );
    h.create("c", 15).await;
    for (control, body, expected) in [
        ("pay", json!({ "order_id": "c" }), 422),
        ("pay", json!({ "order_id": "c", "amount": "-1" }), 422),
        ("pay", json!({ "amount": "1" }), 422),
        ("confirm", json!({ "order_id": "c" }), 409),
        ("refund", json!({ "order_id": "c" }), 409),
        ("advance", json!({ "seconds": -5 }), 422),
    ] {
        let (status, answer) = h.control(control, body.clone()).await;
        assert_eq!(status, expected, "{control} {body} -> {answer}");
    }
}

#[tokio::test]
async fn a_lifetime_out_of_range_is_refused_and_its_bounds_are_taken() {
    let h = Harness::start().await;
    let key = h.sandbox.config().payment_key.clone();
    let body = |order: &str, lifetime: i64| {
        json!({ "amount": "15", "currency": "USD", "order_id": order, "to_currency": "USDT",
            "network": "tron", "lifetime": lifetime })
        .to_string()
    };
    for (order, lifetime, says) in [
        ("short", 299, "The lifetime must be at least 300."),
        (
            "long",
            43_201,
            "The lifetime must not be greater than 43200.",
        ),
    ] {
        let (status, answer) = h
            .raw("/v1/payment", body(order, lifetime).as_bytes(), Some(&key))
            .await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["errors"]["lifetime"], json!([says]));
    }
    assert_eq!(payment_count(&h).await, 0, "nothing was created");
    for (order, lifetime) in [("min", 300), ("max", 43_200)] {
        let (status, answer) = h
            .raw("/v1/payment", body(order, lifetime).as_bytes(), Some(&key))
            .await;
        assert_eq!(status, 200, "{answer}");
        let result = &answer["result"];
        let created = time::OffsetDateTime::parse(
            result["created_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(
            result["expired_at"].as_i64().unwrap() - created.unix_timestamp(),
            lifetime,
            "{order}"
        );
    }
}

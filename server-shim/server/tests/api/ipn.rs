use crate::support::{TestApp, database_urls, usdt_invoice};
use serde_json::json;
use shim_gateway::{ApiKey, sign_webhook};

fn webhook(order_id: &str, uuid: &str, status: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "payment", "uuid": uuid, "order_id": order_id, "amount": "15.00",
        "payment_amount": "0.000000", "is_final": false, "status": status, "network": "tron",
        "currency": "USD", "payer_currency": "USDT", "additional_data": null, "txid": null
    }))
    .unwrap()
}

/// Asserts that invoice `id` is as it was made: pending, at its first version.
async fn assert_still_pending(app: &TestApp, id: &str) {
    let (_, after) = app.invoice(id).await;
    assert_eq!(
        (after["status"].as_str(), after["version"].as_u64()),
        (Some("pending"), Some(1))
    );
}

#[tokio::test]
async fn a_payment_moves_the_invoice_once_on_every_backend() {
    for url in database_urls().await {
        let app = TestApp::spawn(&url).await;
        let (_, invoice) = app.create(&usdt_invoice("4001", "15.00")).await;
        let id = invoice["id"].as_str().unwrap();

        app.sandbox(
            "pay",
            json!({ "order_id": id, "amount": "15.000000", "confirm": false }),
        )
        .await;
        let confirming = app.wait_for_status(id, "confirming").await;
        assert_eq!(confirming["paid_amount"], "15.000000");
        app.sandbox("confirm", json!({ "order_id": id })).await;
        let paid = app.wait_for_status(id, "paid").await;
        assert_eq!(paid["is_final"], true);
        assert_eq!(paid["remaining_amount"], "0.000000");

        // A stale webhook replayed later, correctly signed: the gateway still says paid.
        // The shim applies a webhook before answering it, so the sandbox may note the answer later.
        let mut deliveries = app.webhook_log().await;
        for _ in 0..100 {
            if deliveries.iter().all(|d| d["delivered"] == true) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            deliveries = app.webhook_log().await;
        }
        let statuses: Vec<_> = deliveries
            .iter()
            .map(|d| d["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["confirm_check", "paid"]);
        assert!(
            deliveries.iter().all(|d| d["delivered"] == true),
            "{deliveries:?}"
        );
        let gateway_uuid = deliveries[0]["uuid"].as_str().unwrap().to_owned();
        let key = &app.sandbox.config().payment_key;
        let replay = sign_webhook(&webhook(id, &gateway_uuid, "check"), key).unwrap();
        for _ in 0..3 {
            let (status, answer) = app.post_ipn(replay.clone()).await;
            assert_eq!(status, 200, "{answer}");
        }
        let (_, after) = app.invoice(id).await;
        assert_eq!(
            (after["status"].as_str(), after["version"].as_u64()),
            (Some("paid"), paid["version"].as_u64()),
            "{url}"
        );
    }
}

#[tokio::test]
async fn forged_webhooks_are_refused_and_change_nothing() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app.create(&usdt_invoice("5001", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    let forged = sign_webhook(
        &webhook(id, "any", "paid"),
        &ApiKey::new("not-the-key".into()),
    )
    .unwrap();
    let (status, answer) = app.post_ipn(forged).await;
    assert_eq!(status, 401);
    assert_eq!(answer["error"]["code"], "unauthorized");
    for body in [
        b"".to_vec(),
        b"not json".to_vec(),
        b"[]".to_vec(),
        br#"{"status":"paid"}"#.to_vec(),
        b"\xff\xfe".to_vec(),
    ] {
        let (status, _) = app.post_ipn(body).await;
        assert_eq!(status, 401);
    }
    assert_still_pending(&app, id).await;
}

#[tokio::test]
async fn webhooks_for_unknown_invoices_are_acknowledged() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let key = &app.sandbox.config().payment_key;
    for order in ["inv_00000000", "somebody-elses-order"] {
        let (status, answer) = app
            .post_ipn(sign_webhook(&webhook(order, "u", "paid"), key).unwrap())
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["outcome"], "unknown invoice");
    }
}

#[tokio::test]
async fn expiry_and_money_after_it() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app.create(&usdt_invoice("6001", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("expire", json!({ "order_id": id })).await;
    let expired = app.wait_for_status(id, "expired").await;
    assert_eq!(
        (
            expired["is_final"].as_bool(),
            expired["seconds_left"].as_u64()
        ),
        (Some(true), Some(0))
    );
    let refused = app
        .http
        .post(format!("{}/cryptomus/sandbox/pay", app.url))
        .json(&json!({ "order_id": id, "amount": "15" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status().as_u16(),
        409,
        "the sandbox refuses money for a closed payment"
    );
}

#[tokio::test]
async fn a_webhook_pointing_at_another_orders_payment_changes_nothing() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, a) = app.create(&usdt_invoice("7001", "15.00")).await;
    let (_, b) = app.create(&usdt_invoice("7002", "15.00")).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    app.sandbox("pay", json!({ "order_id": b, "amount": "15" }))
        .await;
    app.wait_for_status(b, "paid").await;
    let log = app.webhook_log().await;
    let b_uuid = log[0]["uuid"].as_str().unwrap();

    // Correctly signed, but it names B's payment as if it were A's.
    let key = &app.sandbox.config().payment_key;
    let (status, answer) = app
        .post_ipn(sign_webhook(&webhook(a, b_uuid, "paid"), key).unwrap())
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["outcome"], "ignored");
    assert_still_pending(&app, a).await;
}

#[tokio::test]
async fn a_webhook_for_a_payment_the_gateway_does_not_know_is_acknowledged() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app.create(&usdt_invoice("8001", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    // What `/v1/test-webhook/payment` sends for a made-up payment: signed, but nothing behind it.
    let key = &app.sandbox.config().payment_key;
    let test = sign_webhook(
        &webhook(id, "00000000-0000-4000-8000-000000000000", "paid"),
        key,
    )
    .unwrap();
    let (status, answer) = app.post_ipn(test).await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (200, Some("ignored")),
        "{answer}"
    );
    assert_still_pending(&app, id).await;
}

#[tokio::test]
async fn a_payment_the_gateway_fails_fails_the_invoice() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app.create(&usdt_invoice("8101", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("fail", json!({ "order_id": id, "status": "system_fail" }))
        .await;
    let failed = app.wait_for_status(id, "failed").await;
    assert_eq!(failed["is_final"], true);
}

#[tokio::test]
async fn a_hold_by_the_gateway_is_a_review_that_clears_when_released() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app.create(&usdt_invoice("8102", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    app.sandbox(
        "pay",
        json!({ "order_id": id, "amount": "15", "confirm": false }),
    )
    .await;
    app.wait_for_status(id, "confirming").await;
    app.sandbox("hold", json!({ "order_id": id })).await;
    app.wait_for_status(id, "review").await;
    app.sandbox("confirm", json!({ "order_id": id })).await;
    app.wait_for_status(id, "paid").await;
}

#[tokio::test]
async fn the_reconciler_catches_up_when_webhooks_are_lost() {
    let eager = server_shim::services::ReconcilePolicy {
        every: std::time::Duration::from_millis(100),
        min_recheck: 0,
        max_recheck: 0,
    };
    let app = TestApp::spawn_with("sqlite::memory:", eager).await;
    let (_, invoice) = app.create(&usdt_invoice("8201", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("webhooks/outage", json!({ "lost": true }))
        .await;
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    let paid = app.wait_for_status(id, "paid").await;
    assert_eq!(paid["paid_amount"], "15.000000");
    let log = app.webhook_log().await;
    assert!(
        !log.is_empty() && log.iter().all(|d| d["delivered"] == false),
        "no webhook got through: {log:?}"
    );
}

#[tokio::test]
async fn the_same_signed_body_replayed_many_times_is_stored_and_applied_once() {
    let dir = std::env::temp_dir().join(format!("shim-ipn-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A file, not memory: the test reads the inbox through a store of its own.
    let file = format!("sqlite://{}", dir.join("shim.db").display());
    let urls = database_urls().await.into_iter().map(|url| {
        if url.starts_with("sqlite") {
            file.clone()
        } else {
            url
        }
    });
    for url in urls {
        let app = TestApp::spawn(&url).await;
        let (_, invoice) = app.create(&usdt_invoice("4101", "15.00")).await;
        let id = invoice["id"].as_str().unwrap().to_owned();
        app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
            .await;
        app.wait_for_status(&id, "paid").await;
        let uuid = app.gateway_uuid(&id).await;
        let key = &app.sandbox.config().payment_key;
        let replay = sign_webhook(&webhook(&id, &uuid, "paid"), key).unwrap();
        let store = server_shim::store::Store::connect(&url).await.unwrap();
        // Rows with this very body (other tests may share the database).
        let body = String::from_utf8(replay.clone()).unwrap();
        let rows = || async {
            store
                .webhooks(false, 100_000)
                .await
                .unwrap()
                .into_iter()
                .filter(|w| w.webhook.body == body)
                .count()
        };
        let answers =
            futures_util::future::join_all((0..40).map(|_| app.post_ipn(replay.clone()))).await;
        assert!(
            answers.iter().all(|(status, _)| *status == 200),
            "{answers:?}"
        );
        let duplicates = answers
            .iter()
            .filter(|(_, a)| a["outcome"] == "duplicate")
            .count();
        assert_eq!(duplicates, 39, "{url}: {answers:?}");
        let ids: std::collections::HashSet<_> =
            answers.iter().map(|(_, a)| a["webhook"].clone()).collect();
        assert_eq!(ids.len(), 1, "one row, named in every answer: {ids:?}");
        assert_eq!(rows().await, 1, "{url}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn webhooks_beyond_the_apply_slots_are_stored_answered_and_applied_by_the_worker() {
    let app = TestApp::spawn_configured(
        "sqlite::memory:",
        server_shim::services::ReconcilePolicy::default(),
        server_shim::rate_limit::RateLimit {
            webhook_apply_slots: 0,
            ..Default::default()
        },
    )
    .await;
    let (_, invoice) = app.create(&usdt_invoice("4201", "15.00")).await;
    let id = invoice["id"].as_str().unwrap().to_owned();
    // The sandbox's own webhooks are answered "queued: busy": the inbox worker still applies them.
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    app.wait_for_status(&id, "paid").await;
    let uuid = app.gateway_uuid(&id).await;
    let key = &app.sandbox.config().payment_key;
    let late = sign_webhook(&webhook(&id, &uuid, "check"), key).unwrap();
    let (status, answer) = app.post_ipn(late).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["outcome"], "queued: busy", "{answer}");
}

#[tokio::test]
async fn the_webhook_route_has_its_own_rate_limit() {
    let app = TestApp::spawn_configured(
        "sqlite::memory:",
        server_shim::services::ReconcilePolicy::default(),
        server_shim::rate_limit::RateLimit {
            webhook_per_second: 1,
            webhook_burst: 2,
            ..Default::default()
        },
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = app
            .http
            .post(format!("{}/v1/ipn/cryptomus", app.url))
            .header("content-type", "application/json")
            .body(r#"{"type":"payment","sign":"forged"}"#)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "rate_limited", "{body}");
        }
    }
    assert_eq!(statuses, [401, 401, 429]);
    // The public endpoints' own allowance is untouched.
    assert!(!app.text("/healthz").await.is_empty());
}

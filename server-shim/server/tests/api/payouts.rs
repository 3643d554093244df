//! Payouts through the sandbox: only for shops the operator allowed, checked against the balance
//! first, once per order id, moved to their final status by the payout key's webhooks.

use crate::support::{TestApp, call};
use serde_json::{Value, json};
use server_shim::store::Store;
use std::time::{Duration, Instant};

fn payout(order: &str, amount: &str) -> Value {
    json!({ "order_id": order, "amount": amount, "currency": "USDT", "network": "tron",
        "address": "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu", "is_subtract": true })
}

/// Puts `amount` USDT on the merchant's balance: a deposit to a wallet of the shop's own
/// (less the gateway's commission). Returns that wallet.
async fn fund(app: &TestApp, amount: &str) -> Value {
    let (_, wallet) = call(
        app,
        reqwest::Method::POST,
        "/v1/wallets",
        Some(json!({ "customer": "treasury", "currency": "USDT", "network": "tron" })),
    )
    .await;
    app.sandbox(
        "deposit",
        json!({ "address": wallet["address"], "amount": amount }),
    )
    .await;
    wallet
}

async fn list(app: &TestApp) -> Vec<Value> {
    call(app, reqwest::Method::GET, "/v1/payouts", None).await.1["payouts"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_shop_pays_out_what_its_balance_holds() {
    let dir = std::env::temp_dir().join(format!("shim-payouts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("shim.db").display());
    let app = TestApp::spawn(&db).await;

    // Not allowed yet: refused, nothing made.
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/v1/payouts",
        Some(payout("p-1", "10")),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("allow-payouts"),
        "{body}"
    );
    let store = Store::connect(&db).await.unwrap();
    assert!(store.set_payouts_allowed("demo", true).await.unwrap());

    // The balance: 50 USDT deposited (less the gateway's commission).
    let wallet = fund(&app, "50").await;

    // More than the balance: refused with the figures, nothing made.
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/v1/payouts",
        Some(payout("p-big", "500")),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("the balance holds") && message.contains("500"),
        "{message}"
    );
    assert!(list(&app).await.is_empty());

    // Within it: sent, then paid through its webhook.
    let (status, sent) = call(
        &app,
        reqwest::Method::POST,
        "/v1/payouts",
        Some(payout("p-1", "10")),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("pay_"));
    assert_eq!(
        (sent["is_final"].as_bool(), sent["amount"].as_str()),
        (Some(false), Some("10"))
    );
    // Asked again: the same payout; the same order id for another: refused.
    let (status, again) = call(
        &app,
        reqwest::Method::POST,
        "/v1/payouts",
        Some(payout("p-1", "10")),
    )
    .await;
    assert_eq!((status, &again["id"]), (200, &sent["id"]));
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/v1/payouts",
        Some(payout("p-1", "11")),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    app.sandbox("payout", json!({ "order_id": id, "result": "paid" }))
        .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let done = loop {
        let (_, view) = call(
            &app,
            reqwest::Method::GET,
            &format!("/v1/payouts/{id}"),
            None,
        )
        .await;
        if view["is_final"] == true {
            break view;
        }
        assert!(
            Instant::now() < deadline,
            "the payout did not finish: {view}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done["status"], "paid", "{done}");
    assert!(
        done["txid"].as_str().is_some_and(|t| !t.is_empty()),
        "{done}"
    );

    // A forged payout webhook (signed with the payment key) is refused.
    let body = json!({ "type": "payout", "uuid": "x", "order_id": id, "amount": "10",
        "is_final": true, "status": "fail", "txid": null, "currency": "USDT", "network": "tron" });
    let forged = shim_gateway::sign_webhook(
        &serde_json::to_vec(&body).unwrap(),
        &app.sandbox.config().payment_key,
    )
    .unwrap();
    let (status, _) = app.post_ipn(forged).await;
    assert_eq!(status, 401);
    let (_, view) = call(
        &app,
        reqwest::Method::GET,
        &format!("/v1/payouts/{id}"),
        None,
    )
    .await;
    assert_eq!(view["status"], "paid");

    // The operator's view, from the command line.
    use crate::cli::{shim, text};
    let payouts = shim(&["payouts", "list", "--shop", "demo"], &db);
    assert!(payouts.status.success(), "{}", text(&payouts));
    let out = text(&payouts);
    assert!(
        out.contains(&id) && out.contains("paid (final)") && out.contains("p-1"),
        "{out}"
    );
    let wallets = shim(
        &[
            "wallets",
            "list",
            "--shop",
            "demo",
            "--customer",
            "treasury",
        ],
        &db,
    );
    let out = text(&wallets);
    assert!(
        out.contains(wallet["id"].as_str().unwrap()) && out.contains("treasury"),
        "{out}"
    );
    let shown = shim(
        &["wallets", "show", "--id", wallet["id"].as_str().unwrap()],
        &db,
    );
    assert!(text(&shown).contains("\tpaid\tyes"), "{}", text(&shown));
    let missing = shim(&["wallets", "show", "--id", "wal_nope"], &db);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("no wallet"), "{}", text(&missing));
    let allow = shim(&["shops", "allow-payouts", "--name", "nobody"], &db);
    assert!(text(&allow).contains("no shop named"), "{}", text(&allow));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn bad_payout_requests_are_refused_and_make_nothing() {
    let dir = std::env::temp_dir().join(format!("shim-payouts-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("shim.db").display());
    let app = TestApp::spawn(&db).await;
    Store::connect(&db)
        .await
        .unwrap()
        .set_payouts_allowed("demo", true)
        .await
        .unwrap();
    let mut without_fee_choice = payout("b-1", "10");
    without_fee_choice
        .as_object_mut()
        .unwrap()
        .remove("is_subtract");
    let mut bad_amount = payout("b-2", "ten");
    bad_amount["amount"] = json!("ten");
    let mut bad_address = payout("b-3", "10");
    bad_address["address"] = json!("T<script>");
    let mut bad_network = payout("b-4", "10");
    bad_network["network"] = json!("tr on");
    let mut empty_order = payout("", "10");
    empty_order["order_id"] = json!("");
    for (body, names) in [
        (without_fee_choice, "is_subtract"),
        (bad_amount, "amount"),
        (bad_address, "address"),
        (bad_network, "network"),
        (empty_order, "order_id"),
    ] {
        let (status, error) = call(
            &app,
            reqwest::Method::POST,
            "/v1/payouts",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body}: {error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(names), "{body}: {message}");
    }
    assert!(list(&app).await.is_empty());
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/v1/payouts/pay_000000000000000000000000",
        None,
    )
    .await;
    assert_eq!(status, 404);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_finishes_a_payout_whose_webhook_was_lost() {
    let dir = std::env::temp_dir().join(format!("shim-payouts-lost-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("shim.db").display());
    let eager = server_shim::checkout::ReconcilePolicy {
        every: Duration::from_millis(200),
        min_recheck: 0,
        max_recheck: 0,
    };
    let app = TestApp::spawn_with(&db, eager).await;
    let store = Store::connect(&db).await.unwrap();
    store.set_payouts_allowed("demo", true).await.unwrap();
    fund(&app, "50").await;
    let (status, sent) = call(
        &app,
        reqwest::Method::POST,
        "/v1/payouts",
        Some(payout("lost-1", "10")),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();

    // The gateway pays it, but its webhook never arrives.
    app.sandbox("webhooks/outage", json!({ "lost": true }))
        .await;
    app.sandbox("payout", json!({ "order_id": id, "result": "paid" }))
        .await;
    // Read from the store, not through GET /v1/payouts/{id} (which asks the gateway itself).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let payout = store.payout(&id).await.unwrap().unwrap();
        if payout.is_final {
            assert_eq!(payout.status, "paid");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reconciler did not finish it: {payout:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

//! `POST /v1/invoices/{id}/refund`: a paid invoice's money back to the payer through the gateway,
//! once unless it fails, the invoice and the shop's callback following the gateway's word; on
//! every backend.

use crate::outbox::{receive_callbacks, wait_for_callbacks};
use crate::support::{ScratchDb, TestApp, call, postgres_url, skipped, usdt_invoice};
use reqwest::Method;
use serde_json::{Value, json};

/// A TRON address the sandbox takes for a refund.
const PAYER: &str = "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_invoice_is_refunded_once_unless_the_refund_fails() {
    let scratch = ScratchDb::new("refunds");
    refund_story(&scratch.url).await;
    match postgres_url().await {
        Some(url) => refund_story(&url).await,
        None => skipped("the PostgreSQL half: SHIM_TEST_POSTGRES_URL is not set"),
    }
    scratch.remove();
}

async fn refund(app: &TestApp, id: &str, body: Value) -> (u16, Value) {
    call(
        app,
        Method::POST,
        &format!("/v1/invoices/{id}/refund"),
        Some(body),
    )
    .await
}

/// The outcomes of the invoice's history lines.
async fn history(app: &TestApp, id: &str) -> Vec<String> {
    let (_, history) = call(
        app,
        Method::GET,
        &format!("/v1/invoices/{id}/history"),
        None,
    )
    .await;
    history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap().to_owned())
        .collect()
}

async fn refund_story(db: &str) {
    let app = TestApp::spawn(db).await;
    let (_, shop) = receive_callbacks(db, 0).await;
    let (_, invoice) = app.create(&usdt_invoice("refund-1", "20.00")).await;
    let id = invoice["id"].as_str().unwrap().to_owned();

    // Not paid yet: nothing to refund, and nothing is written.
    let (status, body) = refund(&app, &id, json!({ "address": PAYER })).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pending"),
        "{body}"
    );

    app.sandbox(
        "pay",
        json!({ "order_id": id, "amount": "20", "txid": "tx-refund-1" }),
    )
    .await;
    app.wait_for_status(&id, "paid").await;

    // Bad input names the field and changes nothing.
    for (body, field) in [
        (json!({ "address": "" }), "address"),
        (json!({ "address": "T x" }), "address"),
        (json!({ "address": PAYER, "amount": "5" }), "amount"),
        (json!({ "address": PAYER, "amount": "-20" }), "amount"),
        (json!({ "address": PAYER, "fee": "payer" }), "fee"),
    ] {
        let (status, answer) = refund(&app, &id, body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{body} -> {message}");
    }
    // The gateway refuses an address of another network; the refusal is kept, another may follow.
    let (status, answer) = refund(
        &app,
        &id,
        json!({ "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" }),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("address"),
        "{answer}"
    );
    // An invoice of another shop's is not found: covered by the tenants tests for every route.

    // The refund: the gateway takes it and the invoice moves to refunding at once.
    let (status, first) = refund(&app, &id, json!({ "address": PAYER, "amount": "20" })).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["invoice"]["status"], "refunding", "{first}");
    assert_eq!(first["refund"]["state"], "accepted");
    assert_eq!(
        first["refund"]["attempt"], 2,
        "the refused attempt was the first"
    );
    assert_eq!(first["refund"]["amount"], "20");
    assert_eq!(first["refund"]["currency"], "USDT");
    assert_eq!(first["refund"]["requested_by"], "api");
    // Asking again is answered with the same refund; another address is refused.
    let (status, again) = refund(&app, &id, json!({ "address": PAYER })).await;
    assert_eq!(
        (status, &again["refund"]),
        (200, &first["refund"]),
        "{again}"
    );
    let (status, other) = refund(
        &app,
        &id,
        json!({ "address": "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf" }),
    )
    .await;
    assert_eq!(status, 409, "{other}");
    assert!(
        other["error"]["message"].as_str().unwrap().contains(PAYER),
        "{other}"
    );

    // The refund fails at the gateway: the merchant may try again, and this time it goes through.
    app.sandbox("refund", json!({ "order_id": id, "result": "fail" }))
        .await;
    app.wait_for_status(&id, "refund_failed").await;
    let (status, second) = refund(&app, &id, json!({ "address": PAYER })).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["refund"]["attempt"], 3);
    assert_eq!(second["invoice"]["status"], "refunding");
    app.sandbox("refund", json!({ "order_id": id })).await;
    app.wait_for_status(&id, "refunded").await;
    let (status, over) = refund(&app, &id, json!({ "address": PAYER })).await;
    assert_eq!(
        (status, over["invoice"]["status"].as_str()),
        (200, Some("refunded")),
        "{over}"
    );

    // The story, in the history; the shop heard of every status by its callback.
    let lines = history(&app, &id).await;
    for expected in [
        "refund 1 of 20 USDT to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed asked for by api",
        "refund 1 refused by the gateway",
        &format!("refund 2 of 20 USDT to {PAYER} asked for by api"),
        "applied: refunding",
        &format!("refund 3 of 20 USDT to {PAYER} asked for by api"),
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "{expected:?} in {lines:#?}"
        );
    }
    // The shop hears of every change (five: paid, refunding, refund_failed, refunding, refunded),
    // each callback carrying the invoice as it stands when it leaves, so the last says refunded.
    let received = wait_for_callbacks(&shop, 5).await;
    let ours: Vec<&Value> = received
        .iter()
        .map(|(_, callback)| callback)
        .filter(|callback| callback["invoice"]["id"] == id.as_str())
        .collect();
    assert_eq!(ours.len(), 5, "{ours:#?}");
    assert_eq!(ours[4]["invoice"]["status"], "refunded", "{ours:#?}");
}

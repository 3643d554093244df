//! `GET /pay/{id}/receipt` on every backend: every transaction of a payment made in parts, the
//! time it was paid, the payer's language; no receipt before the payment is complete.

use crate::support::{ScratchDb, TestApp, postgres_url, skipped, usdt_invoice};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_lists_every_transaction_once_paid() {
    let scratch = ScratchDb::new("receipts");
    receipt_story(&scratch.url).await;
    match postgres_url().await {
        Some(url) => receipt_story(&url).await,
        None => skipped("the PostgreSQL half: SHIM_TEST_POSTGRES_URL is not set"),
    }
    scratch.remove();
}

async fn receipt_story(db: &str) {
    let app = TestApp::spawn(db).await;
    let (_, invoice) = app.create(&usdt_invoice("receipt-1", "20.00")).await;
    let id = invoice["id"].as_str().unwrap().to_owned();
    let receipt = format!("/pay/{id}/receipt");

    let early = app.get(&receipt).await;
    assert_eq!(early.status(), 409);
    let early = early.text().await.unwrap();
    assert!(early.contains("once the payment is complete"), "{early}");
    for missing in ["/pay/inv_0000/receipt", "/pay/%3Cscript%3E/receipt"] {
        let response = app.get(missing).await;
        assert_eq!(response.status(), 404, "{missing}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains("Payment not found") && !page.contains("<script>"),
            "{page}"
        );
    }

    // Two transactions, each named by the gateway's webhook; the second completes it.
    for (amount, txid, status) in [("8", "aa01", "partially_paid"), ("12", "bb02", "paid")] {
        app.sandbox(
            "pay",
            json!({ "order_id": id, "amount": amount, "txid": format!("{txid}{}", "0".repeat(60)) }),
        )
        .await;
        app.wait_for_status(&id, status).await;
    }
    let response = app.get(&format!("{receipt}?lang=de")).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"<html lang="de" dir="ltr">"#), "{page}");
    assert!(page.contains("Zahlungsbeleg"), "{page}");
    let first = page.find(&format!("aa01{}", "0".repeat(60)));
    let second = page.find(&format!("bb02{}", "0".repeat(60)));
    assert!(
        first.is_some() && second.is_some() && first < second,
        "both transactions, in the order they came: {page}"
    );
    assert!(
        page.contains("https://tronscan.org/#/transaction/aa01"),
        "{page}"
    );
    assert!(
        page.contains("20 USDT") && page.contains("20 USD"),
        "{page}"
    );
    assert!(page.contains(" UTC"), "the time it was paid: {page}");
}

//! The WooCommerce adapter through the plugin's real route: PHP's built-in server runs
//! `plugins/woocommerce/tests/server/router.php`, which loads the plugin over stubs of WordPress
//! and WooCommerce that keep WooCommerce's rules (`payment_complete` only from on-hold, pending,
//! failed or cancelled; one note per status change; stock reduced once; the usual mails). Plus
//! what an attacker would try: tampered, stale, replayed and unsigned calls.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use platform_emulators::woocommerce::WooShop;
use serde_json::{Value, json};
use shim_api::InvoiceStatus;
use shop_adapters::egress::Egress;
use shop_adapters::platform::{AdapterError, PaymentFacts, Platform as _, Synced, sync};
use shop_adapters::plugin_route::PluginRoute;
use shop_adapters::signed::signature;
use shop_adapters::{OrderAction, OrderState};

const SECRET: &str = "correct-horse-battery-staple";

fn facts(status: InvoiceStatus) -> PaymentFacts {
    PaymentFacts {
        invoice_id: "inv_0123456789abcdef0123456789abcdef".into(),
        status,
        txid: Some("9f86d081884c7d65".into()),
        paid: "15 USDT".into(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A raw call to the route: `signed` is what the signature covers, `sent` what is posted.
async fn raw(
    shop: &WooShop,
    timestamp: i64,
    nonce: &str,
    signed: &[u8],
    sent: &[u8],
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/", shop.site()))
        .query(&[("wc-api", "crypto_checkout")])
        .header("x-shim-timestamp", timestamp.to_string())
        .header("x-shim-nonce", nonce)
        .header(
            "x-shim-signature",
            signature(SECRET, timestamp, nonce, signed),
        )
        .body(sent.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn woocommerce_orders_follow_their_invoices_through_the_plugin() {
    let shop = WooShop::start(SECRET);
    shop.add_order(42, "pending", "15.00", "USD");
    shop.add_order(43, "pending", "15.00", "USD");
    shop.add_order(44, "pending", "15.00", "USD");
    let woo = PluginRoute::woocommerce(
        shop.site(),
        SECRET.to_owned().into(),
        &Egress::with_loopback(),
    )
    .unwrap();

    let ping = woo.ping().await.unwrap();
    assert_eq!(
        (ping.plugin.as_str(), ping.platform.as_str()),
        ("0.2.0", "WooCommerce 9.4.3")
    );
    let order = woo.order("42").await.unwrap();
    assert_eq!(order.state, OrderState::AwaitingPayment);
    assert_eq!(
        (order.total.as_str(), order.currency.as_str()),
        ("15.00", "USD")
    );

    // Seen on chain: held, the customer mailed as WooCommerce mails on-hold orders.
    let held = sync(&woo, "42", &facts(InvoiceStatus::Confirming))
        .await
        .unwrap();
    assert!(matches!(held, Synced::Applied(OrderAction::Hold { .. })));
    // Confirmed: payment_complete() from on-hold, which WooCommerce's REST API would not do.
    let paid = sync(&woo, "42", &facts(InvoiceStatus::Paid)).await.unwrap();
    assert!(matches!(
        paid,
        Synced::Applied(OrderAction::MarkPaid { .. })
    ));
    let order = shop.order(42);
    assert_eq!(order["status"], "processing");
    assert_eq!(order["transaction_id"], "9f86d081884c7d65");
    assert!(order["date_paid"].is_number());
    assert_eq!(order["stock_reduced"], true);
    assert_eq!(
        order["mails"],
        json!(["customer_on_hold_order", "customer_processing_order"])
    );
    assert_eq!(
        order["notes"],
        json!([
            "Crypto payment seen on chain; waiting for confirmations. (crypto invoice inv_0123456789abcdef0123456789abcdef) Order status changed from Pending payment to On hold.",
            "Order status changed from On hold to Processing.",
            "Paid in crypto: 15 USDT; gateway payment 9f86d081884c7d65. (crypto invoice inv_0123456789abcdef0123456789abcdef)"
        ])
    );
    // Again, or late: nothing more.
    let again = sync(&woo, "42", &facts(InvoiceStatus::Paid)).await.unwrap();
    assert_eq!(again, Synced::AlreadyInLine(OrderState::Paid));
    let expired = sync(&woo, "42", &facts(InvoiceStatus::Expired))
        .await
        .unwrap();
    assert!(matches!(
        expired,
        Synced::Applied(OrderAction::NoteOnly { .. })
    ));
    assert_eq!(shop.order(42)["status"], "processing");
    // The same note is not written twice when the shim repeats itself (a lost answer).
    let notes = shop.order(42)["notes"].as_array().unwrap().len();
    woo.apply(
        &woo.order("42").await.unwrap(),
        &OrderAction::NoteOnly {
            note: "The crypto invoice expired after this order was paid; nothing was changed."
                .into(),
        },
        &facts(InvoiceStatus::Expired),
    )
    .await
    .unwrap();
    assert_eq!(shop.order(42)["notes"].as_array().unwrap().len(), notes);

    // Partly paid, then closed short: the merchant's underpaid status, which does not say "ship".
    shop.set_underpaid_status("wc-crypto-short");
    sync(&woo, "43", &facts(InvoiceStatus::PartiallyPaid))
        .await
        .unwrap();
    assert_eq!(shop.order(43)["status"], "on-hold");
    sync(&woo, "43", &facts(InvoiceStatus::Underpaid))
        .await
        .unwrap();
    assert_eq!(shop.order(43)["status"], "crypto-short");
    assert_eq!(woo.order("43").await.unwrap().state, OrderState::OnHold);
    // A top-up the gateway accepts after all still completes the payment.
    sync(&woo, "43", &facts(InvoiceStatus::Paid)).await.unwrap();
    assert_eq!(shop.order(43)["status"], "processing");

    // Expired unpaid: cancelled, with the reason in the same note as the status change.
    sync(&woo, "44", &facts(InvoiceStatus::Expired))
        .await
        .unwrap();
    let order = shop.order(44);
    assert_eq!(order["status"], "cancelled");
    assert_eq!(order["notes"].as_array().unwrap().len(), 1);

    let writes = shop.writes().len();
    let missing = woo.order("4040").await.unwrap_err();
    assert!(
        matches!(&missing, AdapterError::Refused(m) if m.contains("no order 4040")),
        "{missing}"
    );

    // Wrong secret: refused, with what to do.
    let wrong = PluginRoute::woocommerce(
        shop.site(),
        "not-the-secret-at-all".to_owned().into(),
        &Egress::with_loopback(),
    )
    .unwrap();
    let refused = wrong.ping().await.unwrap_err();
    assert!(
        matches!(&refused, AdapterError::Refused(m) if m.contains("bad signature") && m.contains("connect the shop again")),
        "{refused}"
    );

    // What an attacker would try: nothing is written, and each is a 401.
    let body = json!({ "action": "update", "order_id": 44, "invoice_id": "inv_x",
        "invoice_status": "paid", "step": "paid", "notes": [], "key": "x" })
    .to_string();
    let tampered = body.replace("\"x\"", "\"y\"");
    let (status, said) = raw(
        &shop,
        now(),
        "abcdefabcdefabcd",
        body.as_bytes(),
        tampered.as_bytes(),
    )
    .await;
    assert_eq!(
        (status, said["error"].as_str()),
        (401, Some("bad signature"))
    );
    let (status, _) = raw(
        &shop,
        now() - 3600,
        "abcdefabcdefabce",
        body.as_bytes(),
        body.as_bytes(),
    )
    .await;
    assert_eq!(status, 401, "stale");
    let ping = br#"{"action":"ping"}"#;
    let (status, _) = raw(&shop, now(), "abcdefabcdefabcf", ping, ping).await;
    assert_eq!(status, 200);
    let (status, said) = raw(&shop, now(), "abcdefabcdefabcf", ping, ping).await;
    assert_eq!(
        (status, said["error"].as_str()),
        (401, Some("replayed request"))
    );
    let unsigned = reqwest::Client::new()
        .post(format!("{}/?wc-api=crypto_checkout", shop.site()))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    assert_eq!(shop.order(44)["status"], "cancelled");
    assert_eq!(shop.writes().len(), writes);
    assert!(shop.log().iter().any(|l| l.contains("bad signature")));
}

/// A server that is not the plugin: whatever `body` says, with `status`.
async fn impostor(status: u16, content_type: &'static str, body: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                [(axum::http::header::CONTENT_TYPE, content_type)],
                body,
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    site
}

#[tokio::test]
async fn what_is_not_the_plugin_is_described_never_quoted_and_never_buffered_whole() {
    let secret = || SECRET.to_owned().into();
    let page = b"<html>internal-admin-panel secret-token-123</html>".to_vec();
    for status in [200, 404] {
        let site = impostor(status, "text/html", page.clone()).await;
        let error = PluginRoute::woocommerce(&site, secret(), &Egress::with_loopback())
            .unwrap()
            .ping()
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("not the plugin's JSON") && error.contains("text/html"),
            "{error}"
        );
        assert!(!error.contains("secret-token"), "quoted: {error}");
    }
    let huge = impostor(200, "application/json", vec![b' '; 3 << 20]).await;
    let error = PluginRoute::woocommerce(&huge, secret(), &Egress::with_loopback())
        .unwrap()
        .ping()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, AdapterError::Unreadable(m) if m.contains("larger than 1024 KiB")),
        "{error}"
    );
}

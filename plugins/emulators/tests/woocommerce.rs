//! The WooCommerce adapter against the WooCommerce emulator: read-compare-write over the real
//! protocol, and the emulator's authentication refusing what WooCommerce refuses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use platform_emulators::serve;
use platform_emulators::woocommerce::WooEmulator;
use shim_api::InvoiceStatus;
use shop_adapters::egress::Egress;
use shop_adapters::platform::{AdapterError, PaymentFacts, Platform, Synced, sync};
use shop_adapters::woocommerce::WooCommerce;
use shop_adapters::woocommerce::transformers::{StatusMap, oauth_params};
use shop_adapters::{OrderAction, OrderState};

const KEY: &str = "ck_0123456789abcdef";
const SECRET: &str = "cs_fedcba9876543210";

fn adapter(url: &str) -> WooCommerce {
    WooCommerce::new(
        url,
        KEY,
        SECRET.to_owned().into(),
        StatusMap::default(),
        &Egress::with_loopback(),
    )
    .unwrap()
}

fn facts(status: InvoiceStatus) -> PaymentFacts {
    PaymentFacts {
        invoice_id: "inv_0a1b".into(),
        status,
        txid: Some("5baeee2ecc93".into()),
        paid: "15 USDT".into(),
    }
}

#[tokio::test]
async fn a_paid_invoice_pays_the_order_once_with_its_transaction() {
    let shop = WooEmulator::new(KEY, SECRET, false);
    shop.add_order(1001, "pending", "15.00", "USD");
    let woo = adapter(&serve(shop.router()).await);

    let order = woo.order("1001").await.unwrap();
    assert_eq!(
        (order.state, order.total.as_str(), order.currency.as_str()),
        (OrderState::AwaitingPayment, "15.00", "USD")
    );
    let paid = facts(InvoiceStatus::Paid);
    assert!(matches!(
        sync(&woo, "1001", &paid).await.unwrap(),
        Synced::Applied(OrderAction::MarkPaid { .. })
    ));
    let order = shop.order(1001).unwrap();
    assert_eq!(order.status, "processing");
    assert_eq!(order.transaction_id, "5baeee2ecc93");
    assert!(
        order
            .notes
            .iter()
            .any(|n| n.contains("Paid in crypto: 15 USDT"))
    );

    // The same webhook again, and ten more: nothing more is written.
    let writes = shop.writes().len();
    for _ in 0..10 {
        assert_eq!(
            sync(&woo, "1001", &paid).await.unwrap(),
            Synced::AlreadyInLine(OrderState::Paid)
        );
    }
    assert_eq!(shop.writes().len(), writes);

    // A late expiry only tells the merchant.
    assert!(matches!(
        sync(&woo, "1001", &facts(InvoiceStatus::Expired))
            .await
            .unwrap(),
        Synced::Applied(OrderAction::NoteOnly { .. })
    ));
    assert_eq!(shop.order(1001).unwrap().status, "processing");
}

#[tokio::test]
async fn every_status_lands_where_the_map_says() {
    let shop = WooEmulator::new(KEY, SECRET, false);
    let woo = adapter(&serve(shop.router()).await);
    for (id, status, expected) in [
        (1, InvoiceStatus::Confirming, "on-hold"),
        (2, InvoiceStatus::PartiallyPaid, "on-hold"),
        (3, InvoiceStatus::Expired, "cancelled"),
        (4, InvoiceStatus::Failed, "failed"),
        (5, InvoiceStatus::Overpaid, "processing"),
        (6, InvoiceStatus::Review, "on-hold"),
    ] {
        shop.add_order(id, "pending", "10.00", "EUR");
        sync(&woo, &id.to_string(), &facts(status)).await.unwrap();
        let order = shop.order(id).unwrap();
        assert_eq!(order.status, expected, "{status}");
        assert!(
            order.notes.iter().any(|n| n.contains("inv_0a1b")),
            "{status}: the merchant is told which invoice: {:?}",
            order.notes
        );
    }
    // An order the merchant completed by hand gets a note, not a change.
    shop.add_order(7, "completed", "10.00", "EUR");
    let before = shop.order(7).unwrap();
    sync(&woo, "7", &facts(InvoiceStatus::Underpaid))
        .await
        .unwrap();
    assert_eq!(shop.order(7).unwrap().status, before.status);
}

#[tokio::test]
async fn a_shop_that_is_down_is_worth_a_retry_and_a_wrong_key_is_not() {
    let shop = WooEmulator::new(KEY, SECRET, false);
    shop.add_order(9, "pending", "1.00", "USD");
    let url = serve(shop.router()).await;
    shop.go_down_for(1);
    let down = adapter(&url).order("9").await.unwrap_err();
    assert!(down.retry_helps(), "{down}");
    assert!(adapter(&url).order("9").await.is_ok(), "back up");

    let wrong = WooCommerce::new(
        &url,
        KEY,
        "cs_wrong".to_owned().into(),
        StatusMap::default(),
        &Egress::with_loopback(),
    )
    .unwrap();
    let refused = wrong.order("9").await.unwrap_err();
    assert!(
        matches!(&refused, AdapterError::Refused(m) if m.contains("signature does not match")),
        "{refused}"
    );
    let missing = adapter(&url).order("404").await.unwrap_err();
    assert!(
        matches!(&missing, AdapterError::Refused(m) if m.contains("woocommerce_rest_shop_order_invalid_id")),
        "{missing}"
    );
    assert!(adapter(&url).order("1; DROP").await.is_err());
}

#[tokio::test]
async fn the_emulator_refuses_what_woocommerce_refuses() {
    let shop = WooEmulator::new(KEY, SECRET, false);
    shop.add_order(1, "pending", "1.00", "USD");
    let url = serve(shop.router()).await;
    let http = reqwest::Client::new();
    let order_url = format!("{url}/wp-json/wc/v3/orders/1");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let get = async |params: Vec<(String, String)>| {
        let response = http.get(&order_url).query(&params).send().await.unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        (
            status,
            body["message"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let signed = |nonce: &str, timestamp: i64| {
        oauth_params("GET", &order_url, &[], KEY, SECRET, timestamp, nonce)
    };

    assert_eq!(get(signed("n1", now)).await.0, 200);
    assert_eq!(
        get(signed("n1", now)).await,
        (401, "Invalid nonce - nonce has already been used.".into())
    );
    assert_eq!(
        get(signed("n2", now - 16 * 60)).await,
        (401, "Invalid timestamp.".into())
    );
    let mut tampered = signed("n3", now);
    tampered.last_mut().unwrap().1 = "AAAA".into();
    assert_eq!(
        get(tampered).await,
        (
            401,
            "Invalid signature - provided signature does not match.".into()
        )
    );
    // Basic credentials over plain HTTP are not looked at.
    let basic = http
        .get(&order_url)
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);

    // Behind TLS, Basic works (and the adapter uses it for https:// sites).
    let behind_tls = WooEmulator::new(KEY, SECRET, true);
    behind_tls.add_order(1, "pending", "1.00", "USD");
    let tls_url = serve(behind_tls.router()).await;
    let basic = http
        .get(format!("{tls_url}/wp-json/wc/v3/orders/1"))
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 200);
}

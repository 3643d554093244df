//! The OpenCart adapter against the extension's real route handlers, for each routing flavour
//! (3.0.x, 4.0.0-4.0.1, 4.0.2+): PHP's built-in server runs `plugins/opencart/tests/server/router.php`,
//! which loads the extension's catalog controller over minimal stubs of OpenCart, its orders in a
//! JSON state file. Plus what an attacker would try: tampered, stale, replayed and unsigned calls.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use platform_emulators::opencart::OpenCartShop;
use serde_json::{Value, json};
use shim_api::InvoiceStatus;
use shop_adapters::egress::Egress;
use shop_adapters::opencart::OpenCart;
use shop_adapters::opencart::transformers::{StatusMap, Version};
use shop_adapters::platform::{AdapterError, PaymentFacts, Platform as _, Synced, sync};
use shop_adapters::signed::signature;
use shop_adapters::{OrderAction, OrderState};

const SECRET: &str = "correct-horse-battery-staple";

/// `php -S` serving the extension, with orders 42 (pending, 15 USD), 43 (completed by the
/// merchant) and 44 (in euros at 0.78 to the default currency).
struct Shop(OpenCartShop);

impl std::ops::Deref for Shop {
    type Target = OpenCartShop;
    fn deref(&self) -> &OpenCartShop {
        &self.0
    }
}

impl Shop {
    fn start(version: &str) -> Shop {
        let shop = OpenCartShop::start(version, SECRET);
        shop.add_order(42, 1, "15.0000", "USD", "1.00000000");
        shop.add_order(43, 5, "15.0000", "USD", "1.00000000");
        shop.add_order(44, 1, "100.0000", "EUR", "0.78000000");
        Shop(shop)
    }

    fn adapter(&self, version: Version, secret: &str) -> OpenCart {
        OpenCart::new(
            self.site(),
            version,
            secret.to_owned().into(),
            StatusMap::default(),
            &Egress::with_loopback(),
        )
        .unwrap()
    }

    /// A raw call to the extension's `route` with the given signing parts.
    async fn raw(
        &self,
        route: &str,
        timestamp: i64,
        nonce: &str,
        signed: &[u8],
        sent: &[u8],
    ) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/index.php", self.site()))
            .query(&[("route", route)])
            .header("content-type", "application/json")
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
}

fn facts(status: InvoiceStatus) -> PaymentFacts {
    PaymentFacts {
        invoice_id: "inv_0123456789abcdef0123456789abcdef".into(),
        status,
        txid: Some("9f1c".into()),
        paid: "15 USDT".into(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn story(release: &str) {
    let version = Version::parse(release).unwrap();
    let shop = Shop::start(match version {
        Version::V3 => "3",
        Version::V4_0 => "4.0.0",
        Version::V4_0_2 => "4.0.2",
    });
    let opencart = shop.adapter(version, SECRET);

    // Reading: the total in the order's own currency.
    let order = opencart.order("42").await.unwrap();
    assert_eq!(
        (
            order.status.as_str(),
            order.state,
            order.total.as_str(),
            order.currency.as_str()
        ),
        ("1", OrderState::AwaitingPayment, "15.00", "USD"),
        "{release}"
    );
    let euros = opencart.order("44").await.unwrap();
    assert_eq!(
        (euros.total.as_str(), euros.currency.as_str()),
        ("78.00", "EUR")
    );

    // Paid: one history entry, the customer told, the invoice and payment in the comment.
    let paid = facts(InvoiceStatus::Paid);
    assert!(matches!(
        sync(&opencart, "42", &paid).await.unwrap(),
        Synced::Applied(OrderAction::MarkPaid { .. })
    ));
    let order = shop.order(42);
    assert_eq!(order["order_status_id"], 15, "{release}: {order}");
    let history = order["history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{order}");
    assert_eq!(history[0]["notify"], true);
    let comment = history[0]["comment"].as_str().unwrap();
    assert!(
        comment.contains("15 USDT") && comment.contains("inv_0123456789abcdef"),
        "{comment}"
    );

    // Again, and a late expiry: nothing more but a note, the order still paid.
    assert_eq!(
        sync(&opencart, "42", &paid).await.unwrap(),
        Synced::AlreadyInLine(OrderState::Paid)
    );
    sync(&opencart, "42", &facts(InvoiceStatus::Expired))
        .await
        .unwrap();
    let order = shop.order(42);
    assert_eq!(order["order_status_id"], 15, "{release}: never downgraded");
    let history = order["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{order}");
    assert!(
        history[1]["comment"]
            .as_str()
            .unwrap()
            .contains("expired after this order was paid")
    );
    assert_eq!(history[1]["notify"], false);

    // The extension itself refuses to move a paid order back, whatever it is asked.
    let body = serde_json::to_vec(
        &json!({ "order_id": 42, "order_status_id": 1, "comment": "back", "notify": false }),
    )
    .unwrap();
    let (status, answer) = shop
        .raw(
            &version.route("callback"),
            now(),
            "downgradeattempt0001",
            &body,
            &body,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["applied"], false, "{answer}");
    assert_eq!(shop.order(42)["order_status_id"], 15);

    // An order the merchant completed by hand is left alone.
    assert_eq!(
        sync(&opencart, "43", &paid).await.unwrap(),
        Synced::AlreadyInLine(OrderState::Paid)
    );
    assert_eq!(shop.order(43)["history"].as_array().unwrap().len(), 0);

    // What an attacker (or a misconfigured shim) gets: 401, and nothing written.
    let body = serde_json::to_vec(
        &json!({ "order_id": 44, "order_status_id": 15, "comment": "free", "notify": false }),
    )
    .unwrap();
    let route = version.route("callback");
    let tampered = serde_json::to_vec(
        &json!({ "order_id": 44, "order_status_id": 15, "comment": "free!", "notify": false }),
    )
    .unwrap();
    let (status, answer) = shop
        .raw(&route, now(), "tamperedrequest0001", &body, &tampered)
        .await;
    assert_eq!(status, 401, "{release}: tampered: {answer}");
    let (status, answer) = shop
        .raw(&route, now() - 3600, "stalerequest0000001", &body, &body)
        .await;
    assert_eq!(status, 401, "{release}: stale: {answer}");
    let (status, answer) = shop
        .raw(&route, now() + 3600, "futurerequest000001", &body, &body)
        .await;
    assert_eq!(status, 401, "{release}: from the future: {answer}");
    let unsigned = reqwest::Client::new()
        .post(format!("{}/index.php", shop.site()))
        .query(&[("route", route.as_str())])
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401, "{release}: unsigned");
    assert_eq!(
        shop.order(44)["order_status_id"],
        1,
        "{release}: nothing written"
    );
    assert_eq!(shop.order(44)["history"].as_array().unwrap().len(), 0);
    // A good request goes through once; the same bytes again are a replay.
    let at = now();
    let (status, answer) = shop
        .raw(&route, at, "onceonlyrequest0001", &body, &body)
        .await;
    assert_eq!(
        (status, &answer["applied"]),
        (200, &json!(true)),
        "{answer}"
    );
    let (status, answer) = shop
        .raw(&route, at, "onceonlyrequest0001", &body, &body)
        .await;
    assert_eq!(status, 401, "{release}: replayed: {answer}");
    assert_eq!(shop.order(44)["history"].as_array().unwrap().len(), 1);

    // A shim with the wrong secret is told to check it; a route of another version is unknown.
    let wrong = shop.adapter(version, "not-the-shared-secret");
    match wrong.order("42").await {
        Err(AdapterError::Refused(message)) => {
            assert!(message.contains("shared secret"), "{message}")
        }
        other => panic!("{release}: {other:?}"),
    }
    let other_version = if version == Version::V3 {
        Version::V4_0_2
    } else {
        Version::V3
    };
    let misrouted = shop.adapter(other_version, SECRET);
    assert!(matches!(
        misrouted.order("42").await,
        Err(AdapterError::Refused(_))
    ));
    match opencart.order("4242").await {
        Err(AdapterError::Refused(message)) => {
            assert!(message.contains("no such order"), "{message}")
        }
        other => panic!("{release}: {other:?}"),
    }
}

#[tokio::test]
async fn opencart_3_orders_follow_their_invoices() {
    story("3.0.3.9").await;
}

#[tokio::test]
async fn opencart_4_0_orders_follow_their_invoices() {
    story("4.0.1.1").await;
}

#[tokio::test]
async fn opencart_4_0_2_orders_follow_their_invoices() {
    story("4.0.2.3").await;
}

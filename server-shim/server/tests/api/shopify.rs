//! Shopify's requests to the shim, as Shopify signs them: the app proxy's "Pay with crypto" link
//! (order read through the Admin API emulator, invoice made once, payer sent to the pay page,
//! order marked paid when the invoice is), and the app's webhooks. Every forged, stale or
//! mistaken request is refused and creates nothing.

use crate::support::{ScratchDb, TestApp, serve};
use platform_emulators::shopify::ShopifyEmulator;
use serde_json::{Value, json};
use server_shim::domain::ShopId;
use server_shim::store::Store;
use shop_adapters::shopify::transformers::{app_proxy_signature, webhook_hmac};
use std::time::{Duration, Instant};

const DOMAIN: &str = "proxy-test.myshopify.com";
const CLIENT_ID: &str = "proxy-test-client-id";
const SECRET: &str = "app-secret-key-0123456789";

struct Setup {
    app: TestApp,
    shopify: ShopifyEmulator,
    store: Store,
    shop: ShopId,
    /// Does not follow redirects: the test reads them.
    http: reqwest::Client,
    /// Its database, removed with it.
    _scratch: ScratchDb,
}

async fn setup(name: &str) -> Setup {
    let scratch = ScratchDb::new(&format!("shopify-{name}"));
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    // An app of the shop's own organization: the shim asks for its tokens.
    let shopify =
        ShopifyEmulator::new(DOMAIN, "shpat_not_given_to_the_shim").with_app(CLIENT_ID, SECRET);
    let admin = serve(shopify.router()).await;
    let store = Store::connect(&db).await.unwrap();
    let config = json!({ "platform": "shopify", "shop": DOMAIN, "client_id": CLIENT_ID,
        "api_secret": SECRET, "admin_url": admin });
    assert!(
        store
            .set_shop_platform("demo", Some(&crate::support::platform(&config)))
            .await
            .unwrap()
    );
    let shop = store
        .list_shops()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == "demo")
        .unwrap()
        .id;
    Setup {
        app,
        shopify,
        store,
        shop,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _scratch: scratch,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The query Shopify's app proxy sends for `/apps/crypto-checkout/pay?order=..&confirmation=..`.
fn proxied(order: &str, confirmation: &str, timestamp: i64, secret: &str) -> Vec<(String, String)> {
    let mut query: Vec<(String, String)> = [
        ("order", order),
        ("confirmation", confirmation),
        ("shop", DOMAIN),
        ("logged_in_customer_id", ""),
        ("path_prefix", "/apps/crypto-checkout"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    query.push(("timestamp".into(), timestamp.to_string()));
    let signature = app_proxy_signature(secret, &query);
    query.push(("signature".into(), signature));
    query
}

impl Setup {
    async fn open(&self, query: &[(String, String)]) -> (u16, String, String) {
        let response = self
            .http
            .get(format!("{}/v1/shopify/proxy/pay", self.app.url))
            .query(query)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location, response.text().await.unwrap())
    }

    async fn invoice_for(&self, order: u64) -> Option<String> {
        self.store
            .invoice_by_order(&self.shop, &format!("shopify-{order}"))
            .await
            .unwrap()
            .map(|invoice| invoice.id.as_str().to_owned())
    }

    /// The buyer picks USDT on TRON in the widget and pays it all (the coin's payment is the
    /// invoice's second at the gateway).
    async fn pay_in_full(&self, invoice: &str) {
        let picked = self
            .http
            .post(format!("{}/v1/invoices/{invoice}/coin", self.app.url))
            .json(&json!({ "currency": "USDT", "network": "tron" }))
            .send()
            .await
            .unwrap();
        assert_eq!(picked.status().as_u16(), 200);
        let picked: Value = picked.json().await.unwrap();
        self.app
            .sandbox(
                "pay",
                json!({ "order_id": format!("{invoice}-2"), "amount": picked["payer_amount"] }),
            )
            .await;
    }

    async fn webhook(&self, topic: &str, id: &str, body: &Value, secret: &str) -> (u16, Value) {
        let body = serde_json::to_vec(body).unwrap();
        let response = self
            .http
            .post(format!("{}/v1/shopify/webhooks", self.app.url))
            .header("content-type", "application/json")
            .header("x-shopify-topic", topic)
            .header("x-shopify-shop-domain", DOMAIN)
            .header("x-shopify-api-version", "2025-10")
            .header("x-shopify-webhook-id", id)
            .header("x-shopify-hmac-sha256", webhook_hmac(secret, &body))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_pays_a_shopify_order_from_its_pay_link() {
    let s = setup("pay").await;
    s.shopify.add_order(7, "15.00", "USD");

    let (status, location, _) = s.open(&proxied("7", "CONF00007", now(), SECRET)).await;
    assert_eq!(status, 303);
    let invoice = s.invoice_for(7).await.expect("an invoice for the order");
    assert_eq!(location, format!("{}/pay/{invoice}", s.app.url));
    let (_, view) = s.app.invoice(&invoice).await;
    assert_eq!(
        (view["amount"].as_str(), view["currency"].as_str()),
        (Some("15.00"), Some("USD"))
    );

    // A reload, or the link opened again: the same invoice.
    let (status, again, _) = s.open(&proxied("7", "conf00007", now(), SECRET)).await;
    assert_eq!((status, again.as_str()), (303, location.as_str()));

    // The buyer picks a coin in the widget, and pays.
    s.pay_in_full(&invoice).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.shopify.order(7).unwrap().financial_status != "PAID" {
        assert!(Instant::now() < deadline, "the order was not marked paid");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let order = s.shopify.order(7).unwrap();
    assert!(
        order
            .note
            .unwrap_or_default()
            .contains(&format!("[crypto invoice {invoice}] Paid in crypto")),
    );

    // Paid: the link now leads to the order's status page.
    let (status, location, _) = s.open(&proxied("7", "CONF00007", now(), SECRET)).await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("https://{DOMAIN}/account/orders/7").as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_links_that_shopify_did_not_sign_or_that_prove_nothing_are_refused() {
    let s = setup("refused").await;
    s.shopify.add_order(8, "15.00", "USD");
    s.shopify.add_order(9, "15.00", "USD");

    let mut forged = proxied("8", "CONF00008", now(), "not-the-app-secret");
    let (status, _, page) = s.open(&forged).await;
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("This link has expired."), "{page}");
    // Signed, then changed: another order.
    forged = proxied("8", "CONF00008", now(), SECRET);
    forged[0].1 = "9".into();
    assert_eq!(s.open(&forged).await.0, 401);
    // Stale, and from the future.
    assert_eq!(
        s.open(&proxied("8", "CONF00008", now() - 600, SECRET))
            .await
            .0,
        401
    );
    assert_eq!(
        s.open(&proxied("8", "CONF00008", now() + 600, SECRET))
            .await
            .0,
        401
    );
    // Shopify signed it, but the buyer does not know the confirmation number.
    let (status, _, page) = s.open(&proxied("8", "CONF00009", now(), SECRET)).await;
    assert_eq!(status, 404);
    assert!(page.contains("No such order."), "{page}");
    // A confirmation that is no confirmation number: Shopify is not even asked (it would
    // answer 503 now).
    s.shopify.go_down_for(1);
    for junk in ["x", "CONF-0008'--", &"C".repeat(33)] {
        let (status, _, page) = s.open(&proxied("8", junk, now(), SECRET)).await;
        assert_eq!(status, 404, "{junk}: {page}");
    }
    s.shopify.go_down_for(0);
    // No such order; not an order number.
    assert_eq!(
        s.open(&proxied("99", "CONF00099", now(), SECRET)).await.0,
        404
    );
    assert_eq!(
        s.open(&proxied("8 OR 1", "CONF00008", now(), SECRET))
            .await
            .0,
        404
    );
    // Not from the proxy at all, or with the shop twice.
    let (status, _, page) = s.open(&[("order".into(), "8".into())]).await;
    assert_eq!(status, 400);
    assert!(page.contains("only works from the shop"), "{page}");
    let mut doubled = proxied("8", "CONF00008", now(), SECRET);
    doubled.push(("shop".into(), "other.myshopify.com".into()));
    assert_eq!(s.open(&doubled).await.0, 400);
    // A shop not connected here.
    let mut elsewhere = proxied("8", "CONF00008", now(), SECRET);
    elsewhere[2].1 = "elsewhere.myshopify.com".into();
    assert_eq!(s.open(&elsewhere).await.0, 404);

    assert_eq!(s.invoice_for(8).await, None, "nothing was created");
    assert!(s.shopify.writes().is_empty());

    // The shop's API down: a page saying to try again, and nothing created; then it works.
    s.shopify.go_down_for(1);
    let (status, _, page) = s.open(&proxied("8", "CONF00008", now(), SECRET)).await;
    assert_eq!(status, 503);
    assert!(page.contains("Try again in a minute."), "{page}");
    assert_eq!(s.invoice_for(8).await, None);
    assert_eq!(
        s.open(&proxied("8", "CONF00008", now(), SECRET)).await.0,
        303
    );

    // A card payment already authorized: crypto would be a second payment.
    s.shopify.add_order(11, "15.00", "USD");
    s.shopify.set_financial_status(11, "AUTHORIZED");
    let (status, location, _) = s.open(&proxied("11", "CONF00011", now(), SECRET)).await;
    assert_eq!(
        (status, location.contains("/account/orders/11")),
        (303, true)
    );
    assert_eq!(s.invoice_for(11).await, None);

    // Paid by other means, cancelled: nothing to pay.
    s.shopify.mark_paid_by_hand(9);
    let (status, location, _) = s.open(&proxied("9", "CONF00009", now(), SECRET)).await;
    assert_eq!(
        (status, location.contains("/account/orders/9")),
        (303, true)
    );
    assert_eq!(s.invoice_for(9).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_shopify_order_cannot_be_paid() {
    let s = setup("cancelled").await;
    s.shopify.add_order(10, "15.00", "USD");
    let (status, _, _) = s.open(&proxied("10", "CONF00010", now(), SECRET)).await;
    assert_eq!(status, 303);
    let invoice = s.invoice_for(10).await.unwrap();
    s.app
        .sandbox("expire", json!({ "order_id": invoice }))
        .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.shopify.order(10).unwrap().cancelled_at.is_none() {
        assert!(Instant::now() < deadline, "the order was not cancelled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, _, page) = s.open(&proxied("10", "CONF00010", now(), SECRET)).await;
    assert_eq!(status, 410);
    assert!(page.contains("This order was cancelled."), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_webhooks_are_checked_and_taken_once() {
    let s = setup("webhooks").await;
    let uninstalled = json!({ "id": 548380009, "name": "Proxy Test", "domain": DOMAIN });
    let (status, body) = s
        .webhook("app/uninstalled", "b54557e4-0001", &uninstalled, SECRET)
        .await;
    assert_eq!(
        (status, &body),
        (200, &json!({ "received": "app/uninstalled" }))
    );
    let (status, body) = s
        .webhook("app/uninstalled", "b54557e4-0001", &uninstalled, SECRET)
        .await;
    assert_eq!((status, &body), (200, &json!({ "duplicate": true })));

    for (topic, payload) in [
        (
            "customers/data_request",
            json!({ "shop_id": 954889, "shop_domain": DOMAIN,
            "orders_requested": [299938], "customer": { "id": 191167 }, "data_request": { "id": 9999 } }),
        ),
        (
            "customers/redact",
            json!({ "shop_id": 954889, "shop_domain": DOMAIN,
            "customer": { "id": 191167 }, "orders_to_redact": [299938] }),
        ),
        (
            "shop/redact",
            json!({ "shop_id": 954889, "shop_domain": DOMAIN }),
        ),
    ] {
        let (status, body) = s
            .webhook(topic, &format!("id-{topic}"), &payload, SECRET)
            .await;
        assert_eq!((status, body["received"].as_str()), (200, Some(topic)));
    }

    // Shopify's review checks that a wrong HMAC is a 401.
    let (status, body) = s
        .webhook("customers/redact", "forged-1", &json!({}), "wrong-secret")
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );
    let unsigned = s
        .http
        .post(format!("{}/v1/shopify/webhooks", s.app.url))
        .header("x-shopify-shop-domain", DOMAIN)
        .header("x-shopify-topic", "shop/redact")
        .header("x-shopify-webhook-id", "unsigned-1")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    // Signed, but without its topic.
    let body = b"{}".to_vec();
    let no_topic = s
        .http
        .post(format!("{}/v1/shopify/webhooks", s.app.url))
        .header("x-shopify-shop-domain", DOMAIN)
        .header("x-shopify-hmac-sha256", webhook_hmac(SECRET, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_topic.status().as_u16(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uninstalled_app_stops_order_updates_until_the_shop_is_connected_anew() {
    let s = setup("uninstalled").await;
    s.shopify.add_order(11, "15.00", "USD");
    let (status, _, _) = s.open(&proxied("11", "CONF00011", now(), SECRET)).await;
    assert_eq!(status, 303);
    let invoice = s.invoice_for(11).await.unwrap();
    let connected = s.store.shop_platform(&s.shop).await.unwrap().unwrap();

    // The merchant uninstalls the app; Shopify says so (twice: a redelivery changes nothing).
    let uninstalled = json!({ "id": 548380009, "name": "Proxy Test", "domain": DOMAIN });
    for id in ["u-1", "u-1"] {
        let (status, _) = s.webhook("app/uninstalled", id, &uninstalled, SECRET).await;
        assert_eq!(status, 200);
    }
    let marked: Value =
        serde_json::to_value(s.store.shop_platform(&s.shop).await.unwrap().unwrap()).unwrap();
    assert!(marked["uninstalled_at"].is_i64(), "{marked}");
    assert_eq!(marked["api_secret"], SECRET, "the rest is kept");
    let listed = crate::cli::text(&crate::cli::shim(&["shops", "list"], &s._scratch.url));
    assert!(
        listed.contains(&format!("shopify at {DOMAIN} (app uninstalled")),
        "the operator sees it: {listed}"
    );
    assert!(!listed.contains(SECRET), "{listed}");

    // The payer had the address already and pays: the shim does not call Shopify, and says why.
    s.pay_in_full(&invoice).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let job = loop {
        let jobs = s.store.jobs(None, 10).await.unwrap();
        if let Some(job) = jobs.into_iter().find(|j| j.attempts > 0) {
            break job;
        }
        assert!(Instant::now() < deadline, "the order update was not tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = job.last_error.unwrap_or_default();
    assert!(
        error.contains("uninstalled") && error.contains("shops set-platform"),
        "{error}"
    );
    assert_ne!(s.shopify.order(11).unwrap().financial_status, "PAID");
    // A buyer with a payment link gets a page that says so, not an error.
    let (status, _, page) = s.open(&proxied("11", "CONF00011", now(), SECRET)).await;
    assert_eq!(status, 503);
    assert!(
        page.contains("This shop does not take crypto payments right now."),
        "{page}"
    );

    // Installed again and connected anew: the update goes through when replayed.
    assert!(
        s.store
            .set_shop_platform("demo", Some(&connected))
            .await
            .unwrap()
    );
    assert!(s.store.replay_job(job.id, now()).await.unwrap());
    let listed = crate::cli::text(&crate::cli::shim(&["shops", "list"], &s._scratch.url));
    assert!(
        listed.contains(&format!("shopify at {DOMAIN}\t")),
        "{listed}"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.shopify.order(11).unwrap().financial_status != "PAID" {
        assert!(Instant::now() < deadline, "the order was not marked paid");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

//! A shop connected to WooCommerce: invoices are checked against the shop's order, and the order
//! follows the payment through the outbox and the adapter, end to end through the sandbox.

use crate::support::{ScratchDb, TestApp, serve};
use platform_emulators::prestashop::{MODULE_STATES, PrestaModuleShop};
use platform_emulators::woocommerce::{WooEmulator, WooShop};
use serde_json::{Value, json};
use server_shim::store::Store;
use std::time::{Duration, Instant};

const KEY: &str = "ck_0123456789";
const SECRET: &str = "cs_9876543210";

async fn setup(name: &str) -> (TestApp, Store, WooEmulator, ScratchDb) {
    let scratch = ScratchDb::new(&format!("platform-{name}"));
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    let woo = WooEmulator::new(KEY, SECRET, false);
    let site = serve(woo.router()).await;
    let store = Store::connect(&db).await.unwrap();
    let config = json!({ "platform": "woocommerce", "site": site, "consumer_key": KEY, "consumer_secret": SECRET });
    assert!(
        store
            .set_shop_platform("demo", Some(&crate::support::platform(&config)))
            .await
            .unwrap()
    );
    (app, store, woo, scratch)
}

fn invoice_for(order: &str, amount: &str) -> Value {
    json!({ "order_id": order, "amount": amount, "currency": "USD", "to_currency": "USDT", "network": "tron" })
}

async fn order_becomes(woo: &WooEmulator, id: u64, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while woo.order(id).unwrap().status != status {
        assert!(
            Instant::now() < deadline,
            "order {id} stayed {:?}",
            woo.order(id).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_woocommerce_order_follows_its_payment() {
    let (app, store, woo, scratch) = setup("paid").await;
    woo.add_order(501, "pending", "15.00", "USD");
    let (status, invoice) = app.create(&invoice_for("501", "15.00")).await;
    assert_eq!(status, 201, "{invoice}");
    let id = invoice["id"].as_str().unwrap();

    // The shop is down when the payment lands: the outbox tries again until it is back.
    woo.go_down_for(2);
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    app.wait_for_status(id, "paid").await;
    order_becomes(&woo, 501, "processing").await;
    // The note is the adapter's next request, after the one that marked the order paid.
    let deadline = Instant::now() + Duration::from_secs(20);
    let order = loop {
        let order = woo.order(501).unwrap();
        if order
            .notes
            .iter()
            .any(|n| n.contains("Paid in crypto: 15 USDT"))
        {
            break order;
        }
        assert!(Instant::now() < deadline, "no paid note: {order:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!order.transaction_id.is_empty(), "{order:?}");

    // Sending the same news again writes nothing more.
    let deadline = Instant::now() + Duration::from_secs(10);
    let job = loop {
        let jobs = store.jobs(Some("delivered"), 10).await.unwrap();
        if let Some(job) = jobs.into_iter().find(|j| j.invoice_id.as_str() == id) {
            break job;
        }
        assert!(Instant::now() < deadline, "no delivered job");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let writes = woo.writes().len();
    store
        .replay_job(job.id, server_shim::services::now())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while store
        .jobs(Some("pending"), 10)
        .await
        .unwrap()
        .iter()
        .any(|j| j.id == job.id)
    {
        assert!(Instant::now() < deadline, "the replay was not delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(woo.writes().len(), writes, "{:?}", woo.writes());
    scratch.remove();
}

#[tokio::test]
async fn the_order_at_the_shop_must_match_the_invoice() {
    let (app, _store, woo, scratch) = setup("integrity").await;
    woo.add_order(502, "pending", "20.00", "USD");
    let (status, refused) = app.create(&invoice_for("502", "15.00")).await;
    assert_eq!(status, 409, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("totals 20.00 USD"), "{message}");
    let (status, unknown) = app.create(&invoice_for("599", "15.00")).await;
    assert_eq!(status, 409, "{unknown}");
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not confirm order 599")
    );
    woo.go_down_for(1);
    let (status, down) = app.create(&invoice_for("502", "20.00")).await;
    assert_eq!(
        (status, down["error"]["code"].as_str()),
        (503, Some("shop_unavailable")),
        "{down}"
    );
    // Nothing was kept from the refusals: the right request goes through.
    let (status, created) = app.create(&invoice_for("502", "20.00")).await;
    assert_eq!(status, 201, "{created}");
    scratch.remove();
}

#[tokio::test]
async fn an_order_the_merchant_completed_is_left_alone() {
    let (app, _store, woo, scratch) = setup("manual").await;
    woo.add_order(503, "pending", "15.00", "USD");
    let (_, invoice) = app.create(&invoice_for("503", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    woo.set_status(503, "completed");
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    app.wait_for_status(id, "paid").await;
    app.settled().await;
    assert_eq!(woo.order(503).unwrap().status, "completed");
    assert!(
        woo.writes().iter().all(|(order, _)| *order != 503),
        "{:?}",
        woo.writes()
    );
    scratch.remove();
}

#[tokio::test]
async fn a_prestashop_order_gets_one_history_row_per_real_change() {
    use platform_emulators::prestashop::PrestaEmulator;
    let scratch = ScratchDb::new("platform-presta");
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    let key = "BVWPFFYBT97WKM959D7AVVD0M4815Y1L";
    let presta = PrestaEmulator::new(key);
    presta.add_order(42, 14, "15.000000", 2);
    let site = serve(presta.router()).await;
    let store = Store::connect(&db).await.unwrap();
    let config = json!({ "platform": "prestashop", "site": site, "key": key,
        "states": { "awaiting": 14, "confirming": 15 } });
    store
        .set_shop_platform("demo", Some(&crate::support::platform(&config)))
        .await
        .unwrap();

    let (status, refused) = app.create(&invoice_for("42", "14.00")).await;
    assert_eq!(status, 409, "the order costs 15.000000 USD: {refused}");
    let (status, invoice) = app.create(&invoice_for("42", "15.00")).await;
    assert_eq!(status, 201, "{invoice}");
    let id = invoice["id"].as_str().unwrap();
    app.sandbox(
        "pay",
        json!({ "order_id": id, "amount": "15", "confirm": false }),
    )
    .await;
    app.wait_for_status(id, "confirming").await;
    let state_becomes = async |state: u32| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while presta.order(42).unwrap().current_state != state {
            assert!(Instant::now() < deadline, "{:?}", presta.order(42));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    state_becomes(15).await;
    app.sandbox("confirm", json!({ "order_id": id })).await;
    app.wait_for_status(id, "paid").await;
    state_becomes(2).await;
    app.settled().await;
    let order = presta.order(42).unwrap();
    assert_eq!(order.history, [14, 15, 2], "{order:?}");
    assert_eq!(order.mails, 1);
    scratch.remove();
}

#[tokio::test]
async fn a_woocommerce_shop_connects_without_copying_keys() {
    let scratch = ScratchDb::new("platform-connect");
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    // The key WooCommerce will make when the merchant approves.
    let woo = WooEmulator::new("ck_made_by_woo", "cs_made_by_woo", false);
    woo.add_order(601, "pending", "15.00", "USD");
    let site = serve(woo.router()).await;

    let connect = |token: Option<&str>, body: Value| {
        let mut request = app
            .http
            .post(format!("{}/v1/platforms/woocommerce/connect", app.url))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let anonymous = connect(None, json!({ "site": site })).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let bad = connect(Some(&app.token), json!({ "site": "javascript:alert(1)" }))
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let answer: Value = connect(Some(&app.token), json!({ "site": site }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let authorize = reqwest::Url::parse(answer["authorize_url"].as_str().unwrap()).unwrap();
    assert!(
        authorize
            .as_str()
            .starts_with(&format!("{site}/wc-auth/v1/authorize?"))
    );
    let param = |name: &str| {
        authorize
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    assert_eq!(param("scope"), "read_write");
    assert_eq!(
        param("callback_url"),
        format!("{}/v1/platforms/woocommerce/keys", app.url)
    );
    let code = param("user_id");

    // The merchant approves; WooCommerce posts the new key to the callback, as it does.
    let posted = json!({ "key_id": 1, "user_id": code, "consumer_key": "ck_made_by_woo",
        "consumer_secret": "cs_made_by_woo", "key_permissions": "read_write" });
    let callback = format!("{}/v1/platforms/woocommerce/keys", app.url);
    let stored = app.http.post(&callback).json(&posted).send().await.unwrap();
    assert_eq!(stored.status().as_u16(), 200);
    let again = app.http.post(&callback).json(&posted).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 404, "a code works once");
    let forged = app
        .http
        .post(&callback)
        .json(&json!({ "user_id": "guess", "consumer_key": "ck", "consumer_secret": "cs", "key_permissions": "read_write" }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 404);

    // Connected: a new invoice is checked against the order through the new key.
    let (status, invoice) = app.create(&invoice_for("601", "15.00")).await;
    assert_eq!(status, 201, "{invoice}");
    let (status, _) = app.create(&invoice_for("601", "99.00")).await;
    assert_eq!(status, 409);
    scratch.remove();
}

#[tokio::test]
async fn a_woocommerce_shop_connects_through_its_plugins_route() {
    let scratch = ScratchDb::new("plugin-connect");
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    let store = Store::connect(&db).await.unwrap();
    let secret = "the-plugins-own-shared-secret";
    let shop = WooShop::start(secret);
    shop.add_order(701, "pending", "15.00", "USD");
    let connect = |body: Value| {
        app.http
            .post(format!("{}/v1/platforms/woocommerce/connect", app.url))
            .bearer_auth(&app.token)
            .json(&body)
            .send()
    };
    let demo = store
        .list_shops()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == "demo")
        .unwrap();
    let platform = || async { store.shop_platform(&demo.id).await.unwrap() };

    // A secret the plugin does not hold: refused, with the plugin's words, and nothing stored.
    let wrong = connect(json!({ "site": shop.site(), "secret": "another-secret-entirely" }))
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 422);
    let said: Value = wrong.json().await.unwrap();
    let message = said["error"]["message"].as_str().unwrap();
    assert!(message.contains("bad signature"), "{message}");
    assert!(
        !message.contains("another-secret"),
        "no secret in errors: {message}"
    );
    assert_eq!(platform().await, None);
    // A site where nothing answers: the shop is unavailable, nothing stored.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let down = connect(json!({ "site": closed, "secret": secret }))
        .await
        .unwrap();
    assert_eq!(down.status().as_u16(), 503);
    let short = connect(json!({ "site": shop.site(), "secret": "short" }))
        .await
        .unwrap();
    assert_eq!(short.status().as_u16(), 400);
    assert_eq!(platform().await, None);

    let connected: Value = connect(json!({ "site": shop.site(), "secret": secret }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        connected,
        json!({ "connected": true, "plugin": "0.2.0", "platform": "WooCommerce 9.4.3" })
    );
    // Connected: invoices are checked against the order through the route, and it is paid.
    let (status, invoice) = app.create(&invoice_for("701", "15.00")).await;
    assert_eq!(status, 201, "{invoice}");
    let (status, _) = app.create(&invoice_for("701", "99.00")).await;
    assert_eq!(status, 409);
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while shop.order(701)["status"] != "processing" {
        assert!(std::time::Instant::now() < deadline, "{}", shop.order(701));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    scratch.remove();
}

#[tokio::test]
async fn a_prestashop_shop_connects_through_its_modules_route() {
    let scratch = ScratchDb::new("module-connect");
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    let secret = "the-modules-own-shared-secret";
    let shop = PrestaModuleShop::start(secret);
    shop.add_order(801, MODULE_STATES.0, "15.000000", 1);
    let connect = |body: Value| {
        app.http
            .post(format!("{}/v1/platforms/prestashop/connect", app.url))
            .bearer_auth(&app.token)
            .json(&body)
            .send()
    };
    let wrong = connect(json!({ "site": shop.site(), "secret": "another-secret-entirely" }))
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 422);
    let bad = connect(json!({ "site": "ftp://shop.example", "secret": secret }))
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let unknown = connect(json!({ "site": shop.site(), "secret": secret, "key": "x" }))
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 400, "unknown fields are refused");
    let (status, _) = app.create(&invoice_for("801", "99.00")).await;
    assert_eq!(status, 201, "not connected yet: nothing checks the order");

    let connected: Value = connect(json!({ "site": shop.site(), "secret": secret }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(connected["platform"], "PrestaShop 8.1.2");
    shop.add_order(802, MODULE_STATES.0, "15.000000", 1);
    let (status, _) = app.create(&invoice_for("802", "99.00")).await;
    assert_eq!(status, 409, "the order is checked through the module now");
    let (status, invoice) = app.create(&invoice_for("802", "15.00")).await;
    assert_eq!(status, 201, "{invoice}");
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while shop.order(802)["current_state"] != json!(2) {
        assert!(Instant::now() < deadline, "{}", shop.order(802));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    scratch.remove();
}

#[tokio::test]
async fn the_shim_calls_no_private_address_a_shop_names_unless_the_operator_allows_it() {
    let strict = server_shim::Settings {
        egress: server_shim::Egress::public_only(),
        ..crate::support::settings("sqlite::memory:")
    };
    let (app, _) = TestApp::spawn_settings(&strict).await;
    let shop = WooShop::start("the-plugins-own-shared-secret");
    let connect = |app: &TestApp, site: &str| {
        app.http
            .post(format!("{}/v1/platforms/woocommerce/connect", app.url))
            .bearer_auth(&app.token)
            .json(&json!({ "site": site, "secret": "the-plugins-own-shared-secret" }))
            .send()
    };
    // The real plugin on loopback, by address and by a name that resolves there; the cloud
    // metadata service: each refused before anything is sent, saying what the operator can do.
    let by_name = shop.site().replace("127.0.0.1", "localhost");
    for site in [
        shop.site(),
        by_name.as_str(),
        "http://169.254.169.254",
        "http://[::1]:9",
    ] {
        let refused = connect(&app, site).await.unwrap();
        assert_eq!(refused.status().as_u16(), 422, "{site}");
        let said: Value = refused.json().await.unwrap();
        let message = said["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("SHIM_ALLOWED_PRIVATE_HOSTS"),
            "{site}: {message}"
        );
    }
    assert!(shop.log().is_empty(), "the plugin was never called");

    // A shop that answers with a redirect to a private address: not followed.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirecting = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::FOUND,
            [(axum::http::header::LOCATION, "http://10.0.0.1/admin")],
        )
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    let allowing = TestApp::spawn("sqlite::memory:").await;
    let refused = connect(&allowing, &redirecting).await.unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    let said: Value = refused.json().await.unwrap();
    assert!(
        said["error"]["message"]
            .as_str()
            .unwrap()
            .contains("redirects"),
        "{said}"
    );
    // With loopback allowed (what the tests and the demo use), the same shop connects.
    let connected = connect(&allowing, shop.site()).await.unwrap();
    assert_eq!(connected.status().as_u16(), 200);
}

#[tokio::test]
async fn a_platform_that_refuses_fails_the_callback_at_once_with_its_words() {
    let scratch = ScratchDb::new("refused");
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    let store = Store::connect(&db).await.unwrap();
    let shop = WooShop::start("the-plugins-own-shared-secret");
    shop.add_order(901, "pending", "15.00", "USD");
    // Connected, then the merchant reinstalled the plugin: its secret is not the shim's any more.
    let config = json!({ "platform": "woocommerce", "site": shop.site(),
        "secret": "a-secret-the-plugin-does-not-hold" });
    store
        .set_shop_platform("demo", Some(&crate::support::platform(&config)))
        .await
        .unwrap();
    // A standalone invoice for that order (invoices of a connected shop are checked first).
    store.set_shop_platform("demo", None).await.unwrap();
    let (status, invoice) = app.create(&invoice_for("901", "15.00")).await;
    assert_eq!(status, 201, "{invoice}");
    store
        .set_shop_platform("demo", Some(&crate::support::platform(&config)))
        .await
        .unwrap();
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let job = loop {
        let jobs = store.jobs(Some("failed"), 10).await.unwrap();
        if let Some(job) = jobs.into_iter().find(|j| j.invoice_id.as_str() == id) {
            break job;
        }
        assert!(
            Instant::now() < deadline,
            "{:?}",
            store.jobs(None, 10).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(job.attempts, 1, "not retried: {job:?}");
    let error = job.last_error.unwrap();
    assert!(
        error.contains("refused, not retried") && error.contains("bad signature"),
        "{error}"
    );
    assert_eq!(shop.order(901)["status"], "pending");
    scratch.remove();
}

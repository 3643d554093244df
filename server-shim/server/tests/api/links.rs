//! Payment links: made through the API or the CLI, opened by payers, one-time or reusable,
//! disabled and enabled again, each refusal said plainly.

use crate::support::{ScratchDb, TestApp, connect_demo_shop, serve};
use serde_json::{Value, json};
use server_shim::store::{Link, Store};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn create(app: &TestApp, body: Value) -> (u16, Value) {
    app.shop_post("/v1/links", &body).await
}

/// Opens a link as a payer: the pay page it leads to, or the status and page of a refusal.
async fn open(app: &TestApp, id: &str) -> Result<String, (u16, String)> {
    open_from(app, id, None).await
}

/// Opens link `id` as the client `client` (an address, told through a proxy the shim trusts).
async fn open_from(app: &TestApp, id: &str, client: Option<&str>) -> Result<String, (u16, String)> {
    let mut request = no_redirects().get(format!("{}/l/{id}", app.url));
    if let Some(client) = client {
        request = request.header("x-forwarded-for", client);
    }
    let response = request.send().await.unwrap();
    if response.status().as_u16() == 303 {
        return Ok(response.headers()["location"].to_str().unwrap().to_owned());
    }
    let status = response.status().as_u16();
    Err((status, response.text().await.unwrap()))
}

fn invoice_of(location: &str) -> String {
    location
        .trim_start_matches("/pay/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_one_time_link_has_one_invoice_and_shows_it_forever() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (status, link) = create(
        &app,
        json!({ "amount": "25.00", "currency": "USD", "description": "Logo design <b>v2</b>" }),
    )
    .await;
    assert_eq!(status, 201, "{link}");
    let id = link["id"].as_str().unwrap();
    assert!(link["url"].as_str().unwrap().ends_with(&format!("/l/{id}")));

    let first = open(&app, id).await.unwrap();
    let again = open(&app, id).await.unwrap();
    assert_eq!(
        invoice_of(&first),
        invoice_of(&again),
        "one invoice, whatever the visits"
    );
    let page = app.text(&first).await;
    assert!(page.contains(r#"<p class="merchant">demo</p>"#), "{page}");
    assert!(
        page.contains("Logo design &lt;b&gt;v2&lt;/b&gt;"),
        "escaped: {page}"
    );
    assert!(page.contains("25.00 USD"));

    // The payer picks a coin and pays; the link goes on showing that invoice, now paid.
    let invoice = invoice_of(&first);
    let (_, view) = app.invoice(&invoice).await;
    assert_eq!(view["can_change_coin"], true, "the payer picks the coin");
    app.post(
        &format!("/v1/invoices/{invoice}/coin"),
        &json!({ "currency": "USDT", "network": "tron" }),
    )
    .await;
    app.sandbox(
        "pay",
        json!({ "order_id": format!("{invoice}-2"), "amount": "25" }),
    )
    .await;
    app.wait_for_status(&invoice, "paid").await;
    assert_eq!(invoice_of(&open(&app, id).await.unwrap()), invoice);
}

#[tokio::test]
async fn a_reusable_link_starts_a_fresh_invoice_per_visit() {
    for database in crate::support::database_urls().await {
        reusable_on(&database).await;
    }
}

async fn reusable_on(database: &str) {
    // Behind a proxy the shim trusts (this machine), so that the test can be several payers.
    let app = TestApp::spawn_configured(
        database,
        server_shim::services::ReconcilePolicy::default(),
        server_shim::rate_limit::RateLimit {
            trusted_proxies: vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
            ..Default::default()
        },
    )
    .await;
    let (_, link) = create(
        &app,
        json!({ "amount": "5", "currency": "EUR", "description": "Donation", "reusable": true }),
    )
    .await;
    let id = link["id"].as_str().unwrap();
    let first = invoice_of(&open(&app, id).await.unwrap());
    let second = invoice_of(&open(&app, id).await.unwrap());
    assert_ne!(first, second);
    let list: Value = app.shop_json("/v1/links").await;
    assert_eq!(list["links"][0]["uses"], 2, "{database}: {list}");

    // One payer opening it in a loop is stopped by the payments it keeps waiting, and only it.
    use server_shim::services::links::{MAX_OPEN_PER_CLIENT, MAX_OPEN_PER_LINK};
    for _ in 2..MAX_OPEN_PER_CLIENT {
        open(&app, id).await.unwrap();
    }
    let (status, page) = open(&app, id).await.unwrap_err();
    assert_eq!(status, 429, "{database}");
    assert!(page.contains("already have 5 payments waiting"), "{page}");
    assert!(open_from(&app, id, Some("203.0.113.9")).await.is_ok());
    // Many payers at once: once enough of its invoices wait, it says to come back later.
    for n in 1..(MAX_OPEN_PER_LINK - MAX_OPEN_PER_CLIENT) {
        let client = format!("198.51.100.{}", n % 8 + 1);
        open_from(&app, id, Some(&client)).await.unwrap();
    }
    let (status, page) = open_from(&app, id, Some("192.0.2.1")).await.unwrap_err();
    assert_eq!(status, 429, "{database}");
    assert!(page.contains("try again in a few minutes"), "{page}");
    // Paying one frees a place, for its payer.
    app.sandbox("expire", json!({ "order_id": first })).await;
    app.wait_for_status(&first, "expired").await;
    assert!(open(&app, id).await.is_ok());
}

#[tokio::test]
async fn disabled_expired_and_unknown_links_say_so() {
    let scratch = ScratchDb::new("links");
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    let (_, link) = create(
        &app,
        json!({ "amount": "9.99", "currency": "USD", "description": "Lesson" }),
    )
    .await;
    let id = link["id"].as_str().unwrap();
    let toggle = |action: &str| {
        app.http
            .post(format!("{}/v1/links/{id}/{action}", app.url))
            .bearer_auth(&app.token)
            .send()
    };
    assert_eq!(toggle("disable").await.unwrap().status().as_u16(), 200);
    let (status, page) = open(&app, id).await.unwrap_err();
    assert_eq!(status, 410);
    assert!(page.contains("disabled by the merchant"), "{page}");
    assert_eq!(toggle("enable").await.unwrap().status().as_u16(), 200);
    assert!(open(&app, id).await.is_ok());

    // A link whose time is over starts nothing.
    let store = Store::connect(&db).await.unwrap();
    let shop = store.list_shops().await.unwrap().remove(0);
    let now = server_shim::services::now();
    store
        .create_link(&Link {
            id: "lnk_000000000000000000000001".into(),
            shop_id: shop.id,
            reusable: false,
            amount: "1".parse().unwrap(),
            currency: "USD".into(),
            description: "Old offer".into(),
            expires_at: Some(now - 1),
            enabled: true,
            uses: 0,
            created_at: now - 1000,
        })
        .await
        .unwrap();
    let (status, page) = open(&app, "lnk_000000000000000000000001")
        .await
        .unwrap_err();
    assert_eq!(status, 410);
    assert!(page.contains("expired"), "{page}");
    let (status, _) = open(&app, "lnk_nothing").await.unwrap_err();
    assert_eq!(status, 404);
    let (status, _) = open(&app, "<script>").await.unwrap_err();
    assert_eq!(status, 404);
    scratch.remove();
}

#[tokio::test]
async fn bad_link_requests_are_refused_and_make_nothing() {
    let app = TestApp::spawn("sqlite::memory:").await;
    for (body, says) in [
        (
            json!({ "amount": "-1", "currency": "USD", "description": "x" }),
            "amount",
        ),
        (
            json!({ "amount": "1", "currency": "U$D", "description": "x" }),
            "currency",
        ),
        (
            json!({ "amount": "1", "currency": "USD", "description": "" }),
            "description",
        ),
        (
            json!({ "amount": "1", "currency": "USD", "description": "a\u{7}b" }),
            "description",
        ),
        (
            json!({ "amount": "1", "currency": "USD", "description": "x", "expires_in_seconds": 5 }),
            "expires_in_seconds",
        ),
        (
            json!({ "amount": "1", "currency": "USD", "description": "x", "price": 1 }),
            "unknown field",
        ),
    ] {
        let (status, answer) = create(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(says),
            "{body}: {answer}"
        );
    }
    let anonymous = app
        .post(
            "/v1/links",
            &json!({ "amount": "1", "currency": "USD", "description": "x" }),
        )
        .await;
    assert_eq!(anonymous.status().as_u16(), 401);
    let list: Value = app.shop_json("/v1/links").await;
    assert_eq!(list["links"], json!([]));
}

/// A shop connected to its platform sells through links too: a link's invoice pays no order of
/// the platform, so the platform is neither asked about it nor told when it is paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_shops_links_leave_its_platform_alone() {
    use platform_emulators::woocommerce::WooEmulator;
    let scratch = ScratchDb::new("links-platform");
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    let woo = WooEmulator::new("ck_l", "cs_l", false);
    let site = serve(woo.router()).await;
    let config = json!({ "platform": "woocommerce", "site": site, "consumer_key": "ck_l",
        "consumer_secret": "cs_l" });
    connect_demo_shop(&db, &config).await;

    let (status, link) = create(
        &app,
        json!({ "amount": "25.00", "currency": "USD",
        "description": "Consulting" }),
    )
    .await;
    assert_eq!(status, 201, "{link}");
    let location = open(&app, link["id"].as_str().unwrap()).await.unwrap();
    let invoice = invoice_of(&location);
    let picked = app.pick_coin(&invoice, "USDT", "tron").await;
    app.sandbox(
        "pay",
        json!({ "order_id": format!("{invoice}-2"), "amount": picked["payer_amount"] }),
    )
    .await;
    app.wait_for_status(&invoice, "paid").await;
    app.settled().await;
    assert!(woo.writes().is_empty(), "{:?}", woo.writes());
    scratch.remove();
}

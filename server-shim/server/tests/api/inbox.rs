//! Webhooks are durable before they are acknowledged, the gateway being down does not lose them,
//! and shims sharing one PostgreSQL split the background work instead of doubling it.

use crate::support::{ScratchDb, TestApp, metric, postgres_url, usdt_invoice};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use cryptomus_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use server_shim::domain::{Shop, ShopId, ShopToken};
use server_shim::services::ReconcilePolicy;
use server_shim::store::Store;
use shim_gateway::sign_webhook;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The sandbox behind a forwarder that can be taken down (it then answers 503, as an overloaded
/// gateway does) and that counts the calls it forwards, by path.
#[derive(Clone)]
struct Gateway {
    url: String,
    sandbox_url: String,
    sandbox: Sandbox,
    up: Arc<AtomicBool>,
    calls: Arc<Mutex<HashMap<String, usize>>>,
    http: reqwest::Client,
}

impl Gateway {
    async fn start() -> Gateway {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sandbox_url = format!("http://{}", listener.local_addr().unwrap());
        let sandbox = Sandbox::new(SandboxConfig::generate(sandbox_url.clone()));
        let router = cryptomus_sandbox::router(sandbox.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = Gateway {
            url: format!("http://{}", listener.local_addr().unwrap()),
            sandbox_url,
            sandbox,
            up: Arc::new(AtomicBool::new(true)),
            calls: Arc::default(),
            http: reqwest::Client::new(),
        };
        let router = axum::Router::new()
            .fallback(forward)
            .with_state(gateway.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        gateway
    }

    fn calls(&self, path: &str) -> usize {
        self.calls.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    async fn control(&self, control: &str, body: Value) {
        let response = self
            .http
            .post(format!("{}/sandbox/{control}", self.sandbox_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "sandbox {control}");
    }
}

async fn forward(
    State(gateway): State<Gateway>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Counted whether or not the gateway is up: a call is an attempt.
    *gateway
        .calls
        .lock()
        .unwrap()
        .entry(uri.path().to_owned())
        .or_default() += 1;
    if !gateway.up.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
    }
    let mut request = gateway
        .http
        .request(method, format!("{}{uri}", gateway.sandbox_url))
        .body(body);
    for name in ["content-type", "merchant", "sign"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    let response = request.send().await.unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    (
        status,
        [("content-type", "application/json")],
        response.bytes().await.unwrap(),
    )
        .into_response()
}

/// A fresh SQLite file both the test and the shims can open.
fn sqlite_file(name: &str) -> String {
    ScratchDb::new(name).keep()
}

/// Databases both the test and the shims can open: a SQLite file and a PostgreSQL schema.
async fn shared_databases(name: &str) -> Vec<String> {
    let mut urls = vec![sqlite_file(name)];
    match postgres_url().await {
        Some(url) => urls.push(url),
        None => crate::support::skipped("the PostgreSQL half: SHIM_TEST_POSTGRES_URL is not set"),
    }
    urls
}

/// A shop in `store`, with its token.
async fn shop(store: &Store) -> String {
    let token = ShopToken::generate().unwrap();
    let shop = Shop {
        id: ShopId("shop_inbox".into()),
        name: "inbox".into(),
    };
    store.create_shop(&shop, &token.hash(), 0).await.unwrap();
    token.reveal().to_owned()
}

/// A production shim (not the demo) on `database_url`, talking to `gateway`; its URL.
async fn shim(database_url: &str, gateway: &Gateway, reconcile: ReconcilePolicy) -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let config = gateway.sandbox.config();
    let settings = server_shim::Settings {
        listen: format!("127.0.0.1:{port}"),
        public_url: Some(url.clone()),
        gateway_url: format!("{}/", gateway.url),
        merchant_uuid: Some(config.merchant.as_str().to_owned()),
        payment_key: Some(
            secrecy::ExposeSecret::expose_secret(config.payment_key.expose())
                .to_owned()
                .into(),
        ),
        reconcile,
        ..crate::support::settings(database_url)
    };

    let app = server_shim::Application::build(&settings).await.unwrap();
    tokio::spawn(app.run_until(std::future::pending()));
    url
}

/// A reconciler that checks each open invoice once an hour: nothing it does shows in a test.
fn quiet_reconciler() -> ReconcilePolicy {
    ReconcilePolicy {
        every: Duration::from_secs(3600),
        min_recheck: 3600,
        max_recheck: 3600,
    }
}

async fn create(url: &str, token: &str, order_id: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/invoices"))
        .bearer_auth(token)
        .json(&usdt_invoice(order_id, "15.00"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let invoice: Value = response.json().await.unwrap();
    invoice["id"].as_str().unwrap().to_owned()
}

async fn status(url: &str, id: &str) -> String {
    let view: Value = reqwest::get(format!("{url}/v1/invoices/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    view["status"].as_str().unwrap().to_owned()
}

/// The reconciler passes shim `url` has made (its `/metrics`).
async fn passes(url: &str) -> u64 {
    metric(url, "shim_reconcile_passes_total").await
}

async fn eventually(what: &str, seconds: u64, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_webhook_taken_while_the_gateway_is_down_is_applied_when_it_is_back() {
    for database in shared_databases("inbox-outage").await {
        let gateway = Gateway::start().await;
        let store = Store::connect(&database).await.unwrap();
        store.migrate().await.unwrap();
        let token = shop(&store).await;
        let url = shim(&database, &gateway, quiet_reconciler()).await;
        let id = create(&url, &token, "inbox-1").await;

        gateway.up.store(false, Ordering::SeqCst);
        gateway
            .control("pay", json!({ "order_id": id, "amount": "15" }))
            .await;
        // The webhook is acknowledged (the gateway stops sending it) and kept in the inbox.
        eventually("the webhook is acknowledged", 15, async || {
            let deliveries = gateway.sandbox.deliveries();
            !deliveries.is_empty() && deliveries.iter().all(|d| d.delivered)
        })
        .await;
        // The sandbox sends two (confirming, then paid), each taken and kept.
        let pending = store.webhooks(true, 10).await.unwrap();
        assert_eq!(pending.len(), 2, "{database}: {pending:?}");
        assert!(
            pending.iter().all(|w| w.webhook.order_id == id
                && w.outcome
                    .as_deref()
                    .is_some_and(|o| o.starts_with("retrying"))),
            "{pending:?}"
        );
        assert_eq!(status(&url, &id).await, "pending", "not confirmed yet");

        gateway.up.store(true, Ordering::SeqCst);
        eventually("the inbox applies the webhook", 30, async || {
            status(&url, &id).await == "paid"
        })
        .await;
        eventually("the inbox is empty", 30, async || {
            store.pending_webhooks().await.unwrap() == 0
        })
        .await;
        let done = store.webhooks(false, 10).await.unwrap();
        let outcomes: Vec<_> = done.iter().map(|w| w.outcome.as_deref()).collect();
        assert!(outcomes.contains(&Some("applied: paid")), "{outcomes:?}");
        assert!(
            done.iter()
                .all(|w| w.processed_at.is_some() && w.attempts >= 2),
            "{done:?}"
        );
        // The operator sees the same from the command line.
        let listed = crate::cli::text(&crate::cli::shim(&["webhooks", "list"], &database));
        assert!(
            listed.contains(&id) && listed.contains("applied: paid"),
            "{listed}"
        );
        let pending = crate::cli::text(&crate::cli::shim(
            &["webhooks", "list", "--pending"],
            &database,
        ));
        assert!(!pending.contains(&id), "{pending}");
    }
}

#[tokio::test]
async fn webhooks_come_only_from_allowed_addresses() {
    let limit = |trusted: &[&str]| server_shim::rate_limit::RateLimit {
        trusted_proxies: trusted.iter().map(|p| p.parse().unwrap()).collect(),
        webhook_sources: vec!["192.0.2.0/24".parse().unwrap()],
        ..Default::default()
    };
    let hook = |app: &TestApp| {
        let body = serde_json::to_vec(&json!({
            "type": "payment", "uuid": "u", "order_id": "inv_00000000", "amount": "1",
            "is_final": false, "status": "paid"
        }))
        .unwrap();
        sign_webhook(&body, &app.sandbox.config().payment_key).unwrap()
    };
    let post = async |app: &TestApp, forwarded: Option<&str>| {
        let mut request = app
            .http
            .post(format!("{}/v1/ipn/cryptomus", app.url))
            .header("content-type", "application/json")
            .body(hook(app));
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };

    let direct =
        TestApp::spawn_configured("sqlite::memory:", ReconcilePolicy::default(), limit(&[])).await;
    let (status, body) = post(&direct, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (status, _) = post(&direct, Some("192.0.2.7")).await;
    assert_eq!(status, 403, "anyone can write X-Forwarded-For");

    let proxied = TestApp::spawn_configured(
        "sqlite::memory:",
        ReconcilePolicy::default(),
        limit(&["127.0.0.1"]),
    )
    .await;
    let (status, body) = post(&proxied, Some("192.0.2.7")).await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (200, Some("unknown invoice"))
    );
    let (status, _) = post(&proxied, Some("203.0.113.1")).await;
    assert_eq!(status, 403);
}

/// Records every callback a shop gets, as (invoice id, version).
async fn callback_receiver() -> (String, Arc<Mutex<Vec<(String, u64)>>>) {
    let received: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let sink = received.clone();
    let router = axum::Router::new().route(
        "/callback",
        axum::routing::post(async move |body: axum::Json<Value>| {
            let invoice = &body["invoice"];
            sink.lock().unwrap().push((
                invoice["id"].as_str().unwrap_or_default().to_owned(),
                invoice["version"].as_u64().unwrap_or_default(),
            ));
            StatusCode::OK
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/callback", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shims_on_one_postgres_split_the_reconciler_and_the_outbox() {
    let Some(database) = postgres_url().await else {
        crate::support::skipped("SHIM_TEST_POSTGRES_URL is not set");
        return;
    };
    let gateway = Gateway::start().await;
    let store = Store::connect(&database).await.unwrap();
    store.migrate().await.unwrap();
    let token = shop(&store).await;
    let (callback, received) = callback_receiver().await;
    store
        .set_shop_callback("inbox", Some((&callback, "whsec_test")))
        .await
        .unwrap();
    // Both reconcile every 100 ms, but any one invoice only once an hour.
    let busy = ReconcilePolicy {
        every: Duration::from_millis(100),
        ..quiet_reconciler()
    };
    let a = shim(&database, &gateway, busy).await;
    let b = shim(&database, &gateway, busy).await;

    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(create(&a, &token, &format!("split-{i}")).await);
    }
    eventually("every invoice is checked", 15, async || {
        gateway.calls("/v1/payment/info") >= ids.len()
    })
    .await;
    // Both shims then make three more passes each: any second check would have happened.
    let (from_a, from_b) = (passes(&a).await, passes(&b).await);
    eventually("three more passes of each shim", 15, async || {
        passes(&a).await >= from_a + 3 && passes(&b).await >= from_b + 3
    })
    .await;
    assert_eq!(
        gateway.calls("/v1/payment/info"),
        ids.len(),
        "each open invoice was checked by one shim, not both"
    );

    for id in &ids {
        gateway
            .control("pay", json!({ "order_id": id, "amount": "15" }))
            .await;
    }
    eventually("every payment reaches the shop", 30, async || {
        let received = received.lock().unwrap();
        ids.iter().all(|id| received.iter().any(|(i, _)| i == id))
    })
    .await;
    // Every callback is done (none pending in the shared outbox): a second delivery would have
    // arrived by now.
    eventually("the outbox is drained", 30, async || {
        !store
            .job_counts()
            .await
            .unwrap()
            .iter()
            .any(|(status, n)| status == "pending" && *n > 0)
    })
    .await;
    let received = received.lock().unwrap().clone();
    let mut unique = received.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        received.len(),
        "each change was delivered by one shim, once: {received:?}"
    );
}

#[tokio::test]
async fn the_reconciler_catches_up_when_the_gateway_is_back() {
    let gateway = Gateway::start().await;
    let database = sqlite_file("reconcile-outage");
    let store = Store::connect(&database).await.unwrap();
    store.migrate().await.unwrap();
    let token = shop(&store).await;
    let eager = ReconcilePolicy {
        every: Duration::from_millis(200),
        min_recheck: 1,
        max_recheck: 1,
    };
    let url = shim(&database, &gateway, eager).await;
    let id = create(&url, &token, "reconcile-1").await;

    // The gateway goes down, the payment happens, and its webhooks are lost on the way.
    gateway.up.store(false, Ordering::SeqCst);
    gateway
        .control("webhooks/outage", json!({ "lost": true }))
        .await;
    let asked = gateway.calls("/v1/payment/info");
    gateway
        .control("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    // The reconciler asked the gateway (twice), which could not answer.
    eventually("the reconciler tried", 15, async || {
        gateway.calls("/v1/payment/info") >= asked + 2
    })
    .await;
    assert_eq!(status(&url, &id).await, "pending", "nobody could tell it");
    // Reads and live push keep working meanwhile.
    let events = reqwest::get(format!("{url}/v1/invoices/{id}/events"))
        .await
        .unwrap();
    assert_eq!(events.status().as_u16(), 200);
    drop(events);

    gateway.up.store(true, Ordering::SeqCst);
    eventually("the reconciler applies the payment", 20, async || {
        status(&url, &id).await == "paid"
    })
    .await;
}

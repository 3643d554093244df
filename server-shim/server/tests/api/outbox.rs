//! Callbacks to shops: signed, durable, retried, replayable.

use crate::support::{ScratchDb, TestApp, usdt_invoice};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use server_shim::store::Store;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "whsec_test";

/// A shop's callback endpoint that refuses the first `fail_first` calls.
#[derive(Clone, Default)]
pub(crate) struct Shop {
    received: Arc<Mutex<Vec<(String, Value)>>>,
    calls: Arc<Mutex<u32>>,
    fail_first: u32,
}

async fn receive(State(shop): State<Shop>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let call = {
        let mut calls = shop.calls.lock().unwrap();
        *calls += 1;
        *calls
    };
    if call <= shop.fail_first {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let signature = headers["x-checkout-signature"].to_str().unwrap();
    assert!(
        server_shim::outbox::verify(SECRET, signature, &body, server_shim::services::now()),
        "every callback is signed with the shop's secret"
    );
    let delivery = headers["x-checkout-delivery"].to_str().unwrap().to_owned();
    shop.received
        .lock()
        .unwrap()
        .push((delivery, serde_json::from_slice(&body).unwrap()));
    StatusCode::OK
}

/// A demo on a SQLite file, its demo shop's callbacks pointed at a local receiver.
async fn setup(fail_first: u32) -> (TestApp, Store, Shop, ScratchDb) {
    let scratch = ScratchDb::new(&format!("outbox-{fail_first}"));
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    let (store, shop) = receive_callbacks(&db, fail_first).await;
    (app, store, shop, scratch)
}

/// Points the demo shop of the shim on `db` at a local callback receiver that refuses the first
/// `fail_first` calls: the store, and the receiver.
pub(crate) async fn receive_callbacks(db: &str, fail_first: u32) -> (Store, Shop) {
    let shop = Shop {
        fail_first,
        ..Shop::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/callback", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .route("/callback", post(receive))
        .with_state(shop.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let store = Store::connect(db).await.unwrap();
    assert!(
        store
            .set_shop_callback("demo", Some((&url, SECRET)))
            .await
            .unwrap()
    );
    (store, shop)
}

pub(crate) async fn wait_for_callbacks(shop: &Shop, count: usize) -> Vec<(String, Value)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let received = shop.received.lock().unwrap().clone();
        if received.len() >= count {
            return received;
        }
        assert!(
            Instant::now() < deadline,
            "only {} callbacks arrived",
            received.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_status_change_reaches_the_shop_signed_and_can_be_replayed() {
    let (app, store, shop, scratch) = setup(0).await;
    let (_, invoice) = app.create(&usdt_invoice("7701", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    app.wait_for_status(id, "paid").await;

    let received = wait_for_callbacks(&shop, 1).await;
    let (delivery, last) = received.last().unwrap().clone();
    assert_eq!(last["type"], "invoice.updated");
    assert_eq!(last["order_id"], "7701");
    assert_eq!(last["invoice"]["id"], id);
    assert_eq!(last["invoice"]["status"], "paid");

    // The shop has it; the worker records the delivery right after.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let delivered = store.jobs(Some("delivered"), 10).await.unwrap();
        if delivered.iter().any(|j| j.id.to_string() == delivery) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{delivered:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let count = received.len();
    assert!(
        store
            .replay_job(delivery.parse().unwrap(), server_shim::services::now())
            .await
            .unwrap()
    );
    let again = wait_for_callbacks(&shop, count + 1).await;
    assert_eq!(
        again.last().unwrap().0,
        delivery,
        "a replay carries the same delivery id"
    );
    scratch.remove();
}

#[tokio::test]
async fn a_shop_that_is_down_gets_the_callback_when_it_is_back() {
    let (app, store, shop, scratch) = setup(2).await;
    let (_, invoice) = app.create(&usdt_invoice("7702", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("expire", json!({ "order_id": id })).await;
    let received = wait_for_callbacks(&shop, 1).await;
    assert_eq!(received[0].1["invoice"]["status"], "expired");
    // The shop has it; the worker records the delivery right after.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let job = loop {
        let job = store
            .jobs(None, 10)
            .await
            .unwrap()
            .into_iter()
            .find(|j| j.invoice_id.as_str() == id)
            .unwrap();
        if job.status != "pending" || std::time::Instant::now() > deadline {
            break job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        (job.status.as_str(), job.attempts),
        ("delivered", 3),
        "two refusals, then delivered"
    );
    scratch.remove();
}

#[tokio::test]
async fn a_callback_to_a_private_address_is_refused_with_what_to_do() {
    let scratch = ScratchDb::new("outbox-private");
    let db = scratch.url.clone();
    let strict = server_shim::Settings {
        egress: server_shim::Egress::public_only(),
        ..crate::support::settings(&db)
    };
    let (app, _) = TestApp::spawn_settings(&strict).await;
    let shop = Shop::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://localhost:{}/callback",
        listener.local_addr().unwrap().port()
    );
    let router = axum::Router::new()
        .route("/callback", post(receive))
        .with_state(shop.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let store = Store::connect(&db).await.unwrap();
    store
        .set_shop_callback("demo", Some((&url, SECRET)))
        .await
        .unwrap();
    let (status, invoice) = app.create(&usdt_invoice("private-1", "15.00")).await;
    assert_eq!(status, 201, "{invoice}");
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let job = loop {
        let jobs = store.jobs(None, 10).await.unwrap();
        if let Some(job) = jobs.into_iter().find(|j| j.last_error.is_some()) {
            break job;
        }
        assert!(std::time::Instant::now() < deadline, "no attempt recorded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let error = job.last_error.unwrap();
    assert!(error.contains("SHIM_ALLOWED_PRIVATE_HOSTS"), "{error}");
    assert!(
        shop.received.lock().unwrap().is_empty(),
        "nothing reached it"
    );
    scratch.remove();
}

/// A callback endpoint that records each call and answers once `gate` lets it (immediately when
/// `gate` is `None`), letting `release` go when it is called.
#[derive(Clone, Default)]
struct Gated {
    calls: Arc<Mutex<Vec<String>>>,
    gate: Option<Arc<tokio::sync::Notify>>,
    hold: Option<Duration>,
    release: Option<Arc<tokio::sync::Notify>>,
}

async fn gated(State(shop): State<Gated>, headers: HeaderMap) -> StatusCode {
    let delivery = headers["x-checkout-delivery"].to_str().unwrap().to_owned();
    shop.calls.lock().unwrap().push(delivery);
    if let Some(release) = &shop.release {
        release.notify_one();
    }
    if let Some(gate) = &shop.gate {
        gate.notified().await;
    }
    if let Some(hold) = shop.hold {
        tokio::time::sleep(hold).await;
    }
    StatusCode::OK
}

async fn serve_gated(shop: Gated) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/callback", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .route("/callback", post(gated))
        .with_state(shop);
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// The outbox's job of invoice `id`, once it is no longer pending.
async fn settled_job(store: &Store, id: &str) -> server_shim::store::OutboxJob {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let job = store
            .jobs(None, 50)
            .await
            .unwrap()
            .into_iter()
            .find(|j| j.invoice_id.as_str() == id);
        if let Some(job) = job.filter(|j| j.status != "pending") {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "the callback of {id} was not settled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_shop_holds_up_only_its_own_callbacks() {
    let scratch = ScratchDb::new("outbox-fair");
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    let store = Store::connect(&db).await.unwrap();
    // Shop A answers only once shop B has had its callback; shop B at once.
    let gate = Arc::new(tokio::sync::Notify::new());
    let slow = Gated {
        gate: Some(gate.clone()),
        ..Gated::default()
    };
    let fast = Gated {
        release: Some(gate),
        ..Gated::default()
    };
    let slow_url = serve_gated(slow.clone()).await;
    let fast_url = serve_gated(fast.clone()).await;
    assert!(
        store
            .set_shop_callback("demo", Some((&slow_url, SECRET)))
            .await
            .unwrap()
    );
    let token = server_shim::domain::ShopToken::generate().unwrap();
    let b = server_shim::domain::Shop {
        id: server_shim::domain::ShopId("shop_b".into()),
        name: "b".into(),
    };
    store.create_shop(&b, &token.hash(), 0).await.unwrap();
    assert!(
        store
            .set_shop_callback("b", Some((&fast_url, SECRET)))
            .await
            .unwrap()
    );
    let other = TestApp {
        token: token.reveal().to_owned(),
        url: app.url.clone(),
        http: app.http.clone(),
        sandbox: app.sandbox.clone(),
    };

    let (_, a_invoice) = app.create(&usdt_invoice("fair-a", "15.00")).await;
    let a_id = a_invoice["id"].as_str().unwrap();
    app.sandbox("expire", json!({ "order_id": a_id })).await;
    // A's callback is out and hanging before B's invoice even changes.
    let deadline = Instant::now() + Duration::from_secs(20);
    while slow.calls.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "A's callback never left");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, b_invoice) = other.create(&usdt_invoice("fair-b", "15.00")).await;
    let b_id = b_invoice["id"].as_str().unwrap();
    other.sandbox("expire", json!({ "order_id": b_id })).await;

    // B's callback went out while A's hung, and so A's was answered on its first attempt.
    let b_job = settled_job(&store, b_id).await;
    assert_eq!((b_job.status.as_str(), b_job.attempts), ("delivered", 1));
    let a_job = settled_job(&store, a_id).await;
    assert_eq!(
        (a_job.status.as_str(), a_job.attempts),
        ("delivered", 1),
        "A's callback waited for B's, which did not wait for A's"
    );
    scratch.remove();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_being_sent_keeps_its_lease_so_no_other_worker_takes_it() {
    let scratch = ScratchDb::new("outbox-lease");
    let db = scratch.url.clone();
    // Leases of 3 s; the shop takes 8 s to answer (the shim waits 10 s).
    let settings = server_shim::Settings {
        outbox: server_shim::outbox::OutboxPolicy {
            lease: Duration::from_secs(3),
            ..server_shim::outbox::OutboxPolicy::eager()
        },
        ..crate::support::settings(&db)
    };
    let (app, _) = TestApp::spawn_settings(&settings).await;
    let store = Store::connect(&db).await.unwrap();
    let slow = Gated {
        hold: Some(Duration::from_secs(8)),
        ..Gated::default()
    };
    let url = serve_gated(slow.clone()).await;
    assert!(
        store
            .set_shop_callback("demo", Some((&url, SECRET)))
            .await
            .unwrap()
    );
    let (_, invoice) = app.create(&usdt_invoice("lease-1", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("expire", json!({ "order_id": id })).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while slow.calls.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the callback never left");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Another worker on the same database, asking all along: it never gets the callback.
    let mut stolen = Vec::new();
    while store
        .jobs(None, 10)
        .await
        .unwrap()
        .iter()
        .any(|j| j.invoice_id.as_str() == id && j.status == "pending")
    {
        let now = server_shim::services::now();
        stolen.extend(store.claim_jobs(now, now + 3, 50).await.unwrap());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(stolen.is_empty(), "taken while being sent: {stolen:?}");
    assert_eq!(slow.calls.lock().unwrap().len(), 1, "sent once");
    let job = settled_job(&store, id).await;
    assert_eq!((job.status.as_str(), job.attempts), ("delivered", 1));
    scratch.remove();
}

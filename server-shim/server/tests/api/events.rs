//! Live push: `GET /v1/invoices/{id}/events`.

use crate::support::{TestApp, usdt_invoice};
use serde_json::{Value, json};
use std::time::Duration;

/// Reads Server-Sent Events off a streaming response.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(app: &TestApp, id: &str, last_event_id: Option<&str>) -> Events {
        let mut request = app.http.get(format!("{}/v1/invoices/{id}/events", app.url));
        if let Some(last) = last_event_id {
            request = request.header("last-event-id", last);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Events {
            response,
            buffer: String::new(),
        }
    }

    /// The next `invoice` event's (id, view); `None` when the stream ended.
    async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name).map(|v| v.trim_start().to_owned()))
                };
                if field("event:").as_deref() != Some("invoice") {
                    continue; // a heartbeat comment
                }
                let data = field("data:").unwrap();
                return Some((field("id:").unwrap(), serde_json::from_str(&data).unwrap()));
            }
            let chunk = tokio::time::timeout(Duration::from_secs(15), self.response.chunk())
                .await
                .expect("an event within 15 s")
                .unwrap();
            match chunk {
                Some(bytes) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                None => return None,
            }
        }
    }
}

#[tokio::test]
async fn a_stream_follows_the_invoice_to_its_final_status_and_ends() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app.create(&usdt_invoice("9001", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    let mut events = Events::open(&app, id, None).await;
    let (first_id, first) = events.next().await.unwrap();
    assert_eq!(
        (first_id.as_str(), first["status"].as_str()),
        ("1", Some("pending"))
    );

    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    let mut statuses = Vec::new();
    while let Some((event_id, view)) = events.next().await {
        assert_eq!(
            event_id,
            view["version"].to_string(),
            "the event id is the version"
        );
        statuses.push(view["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        statuses.last().map(String::as_str),
        Some("paid"),
        "{statuses:?}"
    );
    assert!(
        statuses.len() <= 2,
        "one event per new version: {statuses:?}"
    );
}

#[tokio::test]
async fn a_reconnecting_client_gets_only_what_it_missed() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app.create(&usdt_invoice("9002", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    let mut events = Events::open(&app, id, Some("1")).await;
    app.sandbox("expire", json!({ "order_id": id })).await;
    let (event_id, view) = events.next().await.unwrap();
    assert_eq!(
        (event_id.as_str(), view["status"].as_str()),
        ("2", Some("expired"))
    );
    assert!(
        events.next().await.is_none(),
        "the stream ends after a final status"
    );

    // A client that already saw the final version gets nothing and the stream ends at once.
    let mut done = Events::open(&app, id, Some("2")).await;
    assert!(done.next().await.is_none());
}

#[tokio::test]
async fn unknown_invoices_have_no_stream() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let response = app
        .http
        .get(format!("{}/v1/invoices/inv_0000/events", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn two_shims_on_one_postgres_share_live_changes() {
    let Some(url) = crate::support::postgres_url().await else {
        eprintln!("SKIPPED: SHIM_TEST_POSTGRES_URL is not set");
        return;
    };
    let watcher = TestApp::spawn(&url).await;
    // The second demo rotates the shared demo shop's token; it takes the payment and its webhooks.
    let payee = TestApp::spawn(&url).await;
    let (status, invoice) = payee.create(&usdt_invoice("9101", "15.00")).await;
    assert_eq!(status, 201, "{invoice}");
    let id = invoice["id"].as_str().unwrap();

    let mut events = Events::open(&watcher, id, None).await;
    assert_eq!(events.next().await.unwrap().1["status"], "pending");
    // The mechanism itself: the change is announced on the shared channel.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool)
        .await
        .unwrap();
    listener
        .listen(server_shim::changes::CHANNEL)
        .await
        .unwrap();
    payee
        .sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    let notification = tokio::time::timeout(Duration::from_secs(15), listener.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notification.payload(), id);
    let mut last = Value::Null;
    while let Some((_, view)) = events.next().await {
        last = view;
    }
    assert_eq!(
        last["status"], "paid",
        "a webhook applied by one process reached a stream on the other"
    );
}

#[tokio::test]
async fn shutdown_stops_taking_connections_and_does_not_wait_forever_for_streams() {
    let settings = crate::support::settings("sqlite::memory:");
    let app = server_shim::Application::build_demo(&settings)
        .await
        .unwrap();
    let url = app.url().to_owned();
    let token = app.demo().unwrap().shop_token.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let invoice: Value = http
        .post(format!("{url}/v1/invoices"))
        .bearer_auth(&token)
        .json(&usdt_invoice("9901", "1.00"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = invoice["id"].as_str().unwrap();
    // A payer's live stream is open when the shim is told to stop.
    let mut stream = http
        .get(format!("{url}/v1/invoices/{id}/events"))
        .send()
        .await
        .unwrap();
    assert!(stream.chunk().await.unwrap().is_some());
    let asked = std::time::Instant::now();
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = reqwest::Client::new()
        .get(format!("{url}/healthz"))
        .send()
        .await;
    assert!(refused.is_err(), "no new connections once stopping");
    tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("the shim stops even with a stream open")
        .unwrap()
        .unwrap();
    assert!(asked.elapsed() < Duration::from_secs(20));
    // The stream was closed by the server, not left hanging.
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(rest.is_ok(), "the stream ended");
}

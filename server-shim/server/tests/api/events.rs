//! Live push: `GET /v1/invoices/{id}/events`.

use crate::support::{TestApp, create_at, usdt_invoice};
use serde_json::{Value, json};
use std::time::Duration;

/// Reads Server-Sent Events off a streaming response.
struct Events {
    response: reqwest::Response,
    buffer: String,
    /// The events read: `invoice` or `wallet`.
    kind: &'static str,
}

impl Events {
    async fn open(app: &TestApp, id: &str, last_event_id: Option<&str>) -> Events {
        Self::open_at(
            app,
            &format!("/v1/invoices/{id}/events"),
            "invoice",
            last_event_id,
        )
        .await
    }

    async fn open_at(
        app: &TestApp,
        path: &str,
        kind: &'static str,
        last_event_id: Option<&str>,
    ) -> Events {
        let mut request = app.http.get(format!("{}{path}", app.url));
        if let Some(last) = last_event_id {
            request = request.header("last-event-id", last);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Events {
            response,
            buffer: String::new(),
            kind,
        }
    }

    /// The next event's (id, view); `None` when the stream ended.
    async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name).map(|v| v.trim_start().to_owned()))
                };
                if field("event:").as_deref() != Some(self.kind) {
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
        crate::support::skipped("SHIM_TEST_POSTGRES_URL is not set");
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
    let invoice = create_at(&url, &token, &usdt_invoice("9901", "1.00")).await;
    let id = invoice["id"].as_str().unwrap();
    // A payer's live stream is open when the shim is told to stop.
    let mut stream = http
        .get(format!("{url}/v1/invoices/{id}/events"))
        .send()
        .await
        .unwrap();
    assert!(stream.chunk().await.unwrap().is_some());
    stop.send(()).unwrap();
    // New connections are refused once it is stopping.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while reqwest::Client::new()
        .get(format!("{url}/healthz"))
        .send()
        .await
        .is_ok()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "still taking connections while stopping"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("the shim stops even with a stream open")
        .unwrap()
        .unwrap();
    // The stream was closed by the server, not left hanging.
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(rest.is_ok(), "the stream ended");
}

/// Sends `request` on a new connection and reads until the first event (or the end): the
/// response head and what followed it.
async fn raw(app: &TestApp, request: &[&[u8]]) -> (tokio::net::TcpStream, String, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = app.url.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    for (i, part) in request.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        socket.write_all(part).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&seen).into_owned();
        if let Some((head, rest)) = text.split_once("\r\n\r\n")
            && (rest.contains("\n\n") || !head.contains(" 200 "))
        {
            let (head, rest) = (head.to_owned(), rest.to_owned());
            // An error answer has a length: read its body whole.
            let length = header(&head, "content-length").map(|l| l.parse::<usize>().unwrap());
            if length.is_some_and(|length| rest.len() < length) {
                let n = socket.read(&mut buf).await.unwrap();
                seen.extend_from_slice(&buf[..n]);
                continue;
            }
            return (socket, head, rest);
        }
        let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf))
            .await
            .expect("an answer within 10 s")
            .unwrap();
        if n == 0 {
            return (socket, text, String::new());
        }
        seen.extend_from_slice(&buf[..n]);
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

async fn live_streams(app: &TestApp) -> u64 {
    let text = app.text("/metrics").await;
    text.lines()
        .find_map(|l| l.strip_prefix("shim_live_streams "))
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn streams_on_new_and_kept_alive_connections_answer_alike() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app.create(&usdt_invoice("9003", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();

    // A new connection, as a browser's EventSource usually opens: served beside hyper.
    let request = format!(
        "GET /v1/invoices/{id}/events HTTP/1.1\r\nHost: shim\r\nAccept: text/event-stream\r\nX-Request-Id: payer-7\r\n\r\n"
    );
    let (direct, head, first) = raw(&app, &[request.as_bytes()]).await;
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    // A kept-alive connection that served something else first: through hyper and the router.
    let client = reqwest::Client::new();
    client
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut routed = client
        .get(format!("{}/v1/invoices/{id}/events", app.url))
        .header("x-request-id", "payer-8")
        .send()
        .await
        .unwrap();
    for (name, value) in [
        ("content-type", "text/event-stream"),
        ("cache-control", "no-cache"),
        ("access-control-allow-origin", "*"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(header(&head, name), Some(value), "direct: {head}");
        assert_eq!(routed.headers()[name], value, "routed: {name}");
    }
    assert_eq!(header(&head, "x-request-id"), Some("payer-7"));
    assert_eq!(routed.headers()["x-request-id"], "payer-8");
    let routed_first = String::from_utf8(routed.chunk().await.unwrap().unwrap().to_vec()).unwrap();
    assert_eq!(first, routed_first, "the same first event");
    assert!(
        first.starts_with("event: invoice\nid: 1\nretry: 2000\ndata: {"),
        "{first}"
    );
    assert_eq!(live_streams(&app).await, 2);

    // The payer leaves: the stream is let go at once, not at its next heartbeat.
    drop(direct);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while live_streams(&app).await != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the stream was not let go"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A head that comes in pieces, and one for an unknown invoice, are left to the router.
    let (_, head, _) = raw(
        &app,
        &[
            format!("GET /v1/invoices/{id}/ev").as_bytes(),
            b"ents HTTP/1.1\r\nHost: shim\r\n\r\n",
        ],
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert_eq!(
        header(&head, "transfer-encoding"),
        Some("chunked"),
        "{head}"
    );
    let (_, head, body) = raw(
        &app,
        &[b"GET /v1/invoices/inv_0000/events HTTP/1.1\r\nHost: shim\r\n\r\n"],
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert!(body.contains("no invoice with that id"), "{body}");
}

#[tokio::test]
async fn new_connections_meet_the_rate_limit_too() {
    let app = TestApp::spawn_configured(
        "sqlite::memory:",
        server_shim::services::ReconcilePolicy::default(),
        server_shim::rate_limit::RateLimit {
            per_second: 1,
            burst: 2,
            ..Default::default()
        },
    )
    .await;
    let (_, invoice) = app.create(&usdt_invoice("9004", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    let request = format!("GET /v1/invoices/{id}/events HTTP/1.1\r\nHost: shim\r\n\r\n");
    let mut heads = Vec::new();
    let mut open = Vec::new();
    for _ in 0..3 {
        let (socket, head, body) = raw(&app, &[request.as_bytes()]).await;
        heads.push(head.lines().next().unwrap().to_owned());
        if head.contains(" 429 ") {
            assert!(header(&head, "retry-after").is_some(), "{head}");
            assert!(body.contains("too many requests"), "{body}");
        }
        open.push(socket);
    }
    assert_eq!(
        heads,
        [
            "HTTP/1.1 200 OK",
            "HTTP/1.1 200 OK",
            "HTTP/1.1 429 Too Many Requests"
        ]
    );
}

#[tokio::test]
async fn open_streams_are_capped_per_client_and_in_all() {
    let app = TestApp::spawn_configured(
        "sqlite::memory:",
        server_shim::services::ReconcilePolicy::default(),
        server_shim::rate_limit::RateLimit {
            streams_per_client: 2,
            streams_total: 3,
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            ..Default::default()
        },
    )
    .await;
    let (_, invoice) = app.create(&usdt_invoice("9005", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    let request = |client: &str| {
        format!(
            "GET /v1/invoices/{id}/events HTTP/1.1\r\nHost: shim\r\nX-Forwarded-For: {client}\r\n\r\n"
        )
    };
    let status = |head: &str| head.lines().next().unwrap_or_default().to_owned();
    // Client A: two streams, then no third (new connections: served beside hyper, then refused
    // by the router, with the same answer).
    let (a1, head, _) = raw(&app, &[request("198.51.100.1").as_bytes()]).await;
    assert_eq!(status(&head), "HTTP/1.1 200 OK");
    let (_a2, head, _) = raw(&app, &[request("198.51.100.1").as_bytes()]).await;
    assert_eq!(status(&head), "HTTP/1.1 200 OK");
    let (_, head, body) = raw(&app, &[request("198.51.100.1").as_bytes()]).await;
    assert_eq!(status(&head), "HTTP/1.1 429 Too Many Requests", "{head}");
    assert_eq!(header(&head, "retry-after"), Some("30"), "{head}");
    assert!(body.contains("too many live streams open"), "{body}");
    // Another client's stream fits; the shim's whole allowance (3) is then taken.
    let (_b1, head, _) = raw(&app, &[request("198.51.100.2").as_bytes()]).await;
    assert_eq!(status(&head), "HTTP/1.1 200 OK");
    let (_, head, _) = raw(&app, &[request("198.51.100.3").as_bytes()]).await;
    assert_eq!(status(&head), "HTTP/1.1 429 Too Many Requests", "{head}");
    // A payer who leaves frees a place. The widget reads the invoice meanwhile: never refused.
    drop(a1);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_c1, head, _) = raw(&app, &[request("198.51.100.3").as_bytes()]).await;
        if status(&head) == "HTTP/1.1 200 OK" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the place was not freed: {head}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, _) = app.invoice(id).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_stream_re_reads_its_invoice_when_a_notification_is_lost() {
    // A change no notification told of (written by another process that died before telling,
    // here straight into the database): the stream re-reads its invoice on its own, however many
    // heartbeats went out meanwhile.
    let scratch = crate::support::ScratchDb::new("lost-notification");
    let app = TestApp::spawn(&scratch.url).await;
    let (_, invoice) = app.create(&usdt_invoice("9010", "15.00")).await;
    let id = invoice["id"].as_str().unwrap().to_owned();
    let mut stream = reqwest::get(format!("{}/v1/invoices/{id}/events", app.url))
        .await
        .unwrap();
    let first = stream.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("\"status\":\"pending\""));

    let store = server_shim::store::Store::connect(&scratch.url)
        .await
        .unwrap();
    let parsed = shim_api::InvoiceId::parse(&id).unwrap();
    let record = store.invoice(&parsed).await.unwrap().unwrap();
    let update = server_shim::store::InvoiceUpdate {
        status: shim_api::InvoiceStatus::Expired,
        gateway_status: "cancel".into(),
        paid_amount: record.paid_amount,
        payer_amount: None,
        address: None,
        review_reason: None,
        txid: None,
    };
    let with = server_shim::store::WithChange {
        notify_shop: false,
        event: None,
        webhook: None,
    };
    assert!(
        store
            .apply_update(
                &parsed,
                record.version,
                &update,
                server_shim::services::now(),
                with
            )
            .await
            .unwrap()
    );

    // Heartbeats every 15 s; the re-read within 30 s of the last one.
    let mut seen = String::new();
    let said = tokio::time::timeout(Duration::from_secs(45), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("\"status\":\"expired\"") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        said,
        Ok(true),
        "the stream never re-read its invoice: {seen}"
    );
    assert!(
        seen.contains(":\n\n"),
        "heartbeats went out meanwhile: {seen:?}"
    );
    scratch.remove();
}

/// A deposit wallet's stream on `watcher`, while `payee` (the same process, or another on the same
/// PostgreSQL) takes the deposits.
async fn deposits_reach_the_wallet_stream(watcher: &TestApp, payee: &TestApp) {
    let (status, wallet) = payee
        .shop_post(
            "/v1/wallets",
            &json!({ "customer": "live-1", "currency": "USDT", "network": "tron" }),
        )
        .await;
    assert_eq!(status, 201, "{wallet}");
    let path = format!("/v1/wallets/{}/events", wallet["id"].as_str().unwrap());
    let mut events = Events::open_at(watcher, &path, "wallet", None).await;
    let (first_id, first) = events.next().await.unwrap();
    assert_eq!(first["deposits"], json!([]));
    payee
        .sandbox(
            "deposit",
            json!({ "address": wallet["address"], "amount": "25" }),
        )
        .await;
    // Pushed at once, not found by the stream's re-read every 30 s.
    let mut last = first;
    tokio::time::timeout(Duration::from_secs(10), async {
        while last["deposits"][0]["credited"] != true {
            last = events.next().await.expect("the stream goes on").1;
        }
    })
    .await
    .expect("the deposit pushed within 10 s");
    assert_eq!(last["deposits"][0]["amount"], "25", "{last}");

    // A client that has the current view is not sent it again on reconnecting.
    let (now_id, _) = {
        let mut again = Events::open_at(watcher, &path, "wallet", None).await;
        again.next().await.unwrap()
    };
    assert_ne!(now_id, first_id, "a new view, a new event id");
    let mut resumed = Events::open_at(watcher, &path, "wallet", Some(&now_id)).await;
    let quiet = tokio::time::timeout(Duration::from_secs(2), resumed.next()).await;
    assert!(quiet.is_err(), "nothing new to send: {quiet:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_are_pushed_to_the_wallets_stream() {
    let app = TestApp::spawn("sqlite::memory:").await;
    deposits_reach_the_wallet_stream(&app, &app).await;
    let unknown = app
        .get("/v1/wallets/wal_000000000000000000000000/events")
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shims_on_one_postgres_share_deposits_live() {
    let Some(url) = crate::support::postgres_url().await else {
        crate::support::skipped("SHIM_TEST_POSTGRES_URL is not set");
        return;
    };
    let watcher = TestApp::spawn(&url).await;
    let payee = TestApp::spawn(&url).await;
    deposits_reach_the_wallet_stream(&watcher, &payee).await;
}

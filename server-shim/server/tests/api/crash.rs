//! The shim killed in the middle of a webhook storm loses nothing, through its durable intake
//! alone: no reconciler runs, so only the webhook inbox and the gateway's retries can bring the
//! invoices to the gateway's states. Each run kills at a point of its own, drawn from a printed
//! seed: a SIGKILL after some payment, or an abort right after the inbox stored a webhook and
//! before it was applied. On SQLite and on PostgreSQL, every invoice ends in the gateway's state,
//! its event log has each version once, and its outbox queued each change once and told the shop.
//! Three processes on one PostgreSQL behind a round-robin proxy lose nothing either when one is
//! killed in a storm and started again: every invoice is paid, every change told, and every live
//! stream reaches `paid` (those on the killed process by opening again at another).

use crate::support::{create_at, metric, usdt_invoice};
use cryptomus_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;
use server_shim::store::Store;
use shim_api::{InvoiceId, InvoiceStatus};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Shim {
    child: Child,
}

impl Drop for Shim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Shim {
    fn is_dead(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_some()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `server-shim serve` with no reconciler; `abort_after` arms the inbox crash point.
async fn start_shim(
    port: u16,
    db: &str,
    sandbox: &Sandbox,
    sandbox_url: &str,
    abort_after: Option<u64>,
) -> Shim {
    start_shim_with(port, db, sandbox, sandbox_url, abort_after, &[]).await
}

/// [`start_shim`], with more settings in `env`.
async fn start_shim_with(
    port: u16,
    db: &str,
    sandbox: &Sandbox,
    sandbox_url: &str,
    abort_after: Option<u64>,
    env: &[(&str, &str)],
) -> Shim {
    let config = sandbox.config();
    let mut command = Command::new(env!("CARGO_BIN_EXE_server-shim"));
    command
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            db,
        ])
        .env("SHIM_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("SHIM_GATEWAY_URL", format!("{sandbox_url}/"))
        .env("SHIM_MERCHANT_UUID", config.merchant.as_str())
        .env(
            "SHIM_PAYMENT_KEY",
            secrecy::ExposeSecret::expose_secret(config.payment_key.expose()),
        )
        // Recovery must come from the inbox and the gateway's retries, never the reconciler.
        .env("SHIM_RECONCILE_SECONDS", "0")
        .env("SHIM_ALLOWED_PRIVATE_HOSTS", "127.0.0.1")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null());
    command.envs(env.iter().copied());
    if let Some(n) = abort_after {
        // The N-th `paid` webhook: its payment's last, so nothing after it would bring the
        // gateway's word again; only the inbox can.
        command
            .env("SHIM_FAULT_ABORT_AFTER_INBOX", n.to_string())
            .env("SHIM_FAULT_ABORT_STATUS", "paid");
    }
    // Its errors go to a file, said if it dies on start. A port just freed may still be taken
    // for a moment (by the dead process's socket, or another test's listener): it tries again.
    let log = std::env::temp_dir().join(format!("shim-crash-{}-{port}.log", std::process::id()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut attempts = 0;
    'start: loop {
        attempts += 1;
        command.stderr(std::fs::File::create(&log).unwrap());
        let mut shim = Shim {
            child: command.spawn().unwrap(),
        };
        while reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
            .await
            .is_err()
        {
            if shim.is_dead() {
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                assert!(
                    attempts < 5 && said.contains("in use"),
                    "the shim exited on start: {said}"
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue 'start;
            }
            assert!(Instant::now() < deadline, "the shim did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = std::fs::remove_file(&log);
        return shim;
    }
}

/// A tiny random generator, so that a run is repeated from its printed seed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}

/// How a run kills the shim.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// SIGKILL right after the confirmation of this invoice's payment.
    AfterPayment(usize),
    /// The shim aborts right after storing its N-th `paid` webhook, before applying it.
    AfterInbox(u64),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shim_killed_mid_storm_recovers_by_its_inbox_and_the_gateways_retries() {
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(7, |d| d.as_nanos() as u64)
                | 1
        });
    let mut dice = Dice(seed);
    let mut backends = vec![false];
    if crate::support::postgres_url().await.is_some() {
        backends.push(true);
    } else {
        crate::support::skipped("the PostgreSQL runs: SHIM_TEST_POSTGRES_URL is not set");
    }
    for postgres in backends {
        for kill in [
            Kill::AfterPayment(3 + dice.roll(12) as usize),
            Kill::AfterInbox(1 + dice.roll(8)),
        ] {
            let backend = if postgres { "PostgreSQL" } else { "SQLite" };
            eprintln!("crash run: seed {seed} (CRASH_SEED={seed} repeats it), {backend}, {kill:?}");
            // Each run on a database of its own.
            let database = if postgres {
                crate::support::postgres_url().await
            } else {
                None
            };
            storm(database, kill, &mut dice).await;
        }
    }
}

async fn storm(postgres: Option<String>, kill: Kill, dice: &mut Dice) {
    let dir = std::env::temp_dir().join(format!(
        "shim-crash-{}-{}",
        std::process::id(),
        dice.roll(1 << 30)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = match &postgres {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", dir.join("shim.db").display()),
    };

    let World {
        sandbox,
        sandbox_url,
        token,
        heard,
    } = world(&db, Duration::ZERO).await;

    let port = free_port();
    let abort_after = match kill {
        Kill::AfterInbox(n) => Some(n),
        Kill::AfterPayment(_) => None,
    };
    let mut shim = Some(start_shim(port, &db, &sandbox, &sandbox_url, abort_after).await);
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut ids = Vec::new();
    for i in 0..20 {
        let invoice = create_at(&base, &token, &usdt_invoice(&format!("storm-{i}"), "10.00")).await;
        ids.push(invoice["id"].as_str().unwrap().to_owned());
    }

    // The storm: every payer pays (some short), seen on chain first; then the confirmations pour
    // in, and the shim dies among them. A confirmation's webhook is the only one that carries its
    // payment's last state: nothing else would bring it.
    for id in &ids {
        let amount = if dice.roll(3) == 0 { "4" } else { "10" };
        let response = http
            .post(format!("{sandbox_url}/sandbox/pay"))
            .json(&json!({ "order_id": id, "amount": amount, "confirm": false }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
    // Each payment's first webhook applied before the confirmations begin.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sandbox.deliveries().iter().all(|d| d.delivered)
        || sandbox.deliveries().len() < ids.len()
    {
        assert!(
            Instant::now() < deadline,
            "the first webhooks did not get through"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut paid_while_dead = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let dead = shim.as_mut().is_none_or(Shim::is_dead);
        let response = http
            .post(format!("{sandbox_url}/sandbox/confirm"))
            .json(&json!({ "order_id": id }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        if dead {
            paid_while_dead.push(id.clone());
        }
        if matches!(kill, Kill::AfterPayment(at) if at == i) {
            drop(shim.take());
        }
    }
    // Let an armed crash point fire before the restart, whenever it comes.
    if let Some(mut alive) = shim.take() {
        let deadline = Instant::now() + Duration::from_secs(20);
        while matches!(kill, Kill::AfterInbox(_)) && !alive.is_dead() {
            assert!(Instant::now() < deadline, "the crash point never fired");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Stay dead until the confirmation webhook of each payment confirmed meanwhile has been
    // refused once.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let deliveries = sandbox.deliveries();
        // A payment's webhooks go out one after the other: its first one has been refused.
        let tried = paid_while_dead.iter().all(|id| {
            deliveries
                .iter()
                .filter(|d| d.order_id == *id)
                .nth(1)
                .is_some_and(|d| d.attempts >= 1 && !d.delivered)
        });
        if tried {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the gateway never tried the dead shim"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _shim = start_shim(port, &db, &sandbox, &sandbox_url, None).await;

    // Every invoice ends in the gateway's state for it.
    let gateway_states: BTreeMap<String, InvoiceStatus> = {
        let mut gateway = shim_gateway::GatewayConfig::new(
            format!("{sandbox_url}/"),
            sandbox.config().merchant.clone(),
            sandbox.config().payment_key.clone(),
        );
        gateway.attempts = 1;
        let client = shim_gateway::CryptomusClient::new(gateway).unwrap();
        let mut states = BTreeMap::new();
        for id in &ids {
            let info = client
                .payment_info(&shim_gateway::PaymentRef::OrderId(id.clone()))
                .await
                .unwrap();
            states.insert(id.clone(), InvoiceStatus::from(&info.status));
        }
        states
    };
    // Read from the database: the API's view asks the gateway itself when it is stale, and
    // would heal what the inbox did not.
    let store = Store::connect(&db).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    for (id, expected) in &gateway_states {
        let id = InvoiceId::parse(id).unwrap();
        loop {
            let status = store.invoice(&id).await.unwrap().unwrap().status;
            if status == *expected {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{id} stayed {status} (the gateway: {expected}); {kill:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Webhooks the dead shim never answered came again by the gateway's retries.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let deliveries = sandbox.deliveries();
        if deliveries.iter().all(|d| d.delivered) {
            for id in &paid_while_dead {
                assert!(
                    deliveries
                        .iter()
                        .filter(|d| d.order_id == *id)
                        .nth(1)
                        .is_some_and(|d| d.attempts > 1),
                    "{id} was paid while the shim was dead, yet its webhook got through at once"
                );
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "webhooks never got through; {kill:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Each invoice's history has each version once, and the shop heard each change once.
    let all_jobs = drained(&store).await;
    let heard = heard.lock().unwrap().clone();
    for id in &ids {
        let invoice = store
            .invoice(&InvoiceId::parse(id).unwrap())
            .await
            .unwrap()
            .unwrap();
        let events = store.events(&invoice.id).await.unwrap();
        let mut versions: Vec<i64> = events
            .iter()
            .filter(|e| e.outcome.starts_with("applied"))
            .map(|e| e.version)
            .collect();
        let count = versions.len();
        versions.dedup();
        assert_eq!(
            versions.len(),
            count,
            "{id}: a version applied twice: {events:?}"
        );
        let jobs: Vec<_> = all_jobs
            .iter()
            .filter(|j| j.invoice_id == invoice.id)
            .collect();
        let mut told: Vec<i64> = jobs.iter().map(|j| j.version).collect();
        told.sort_unstable();
        told.dedup();
        assert_eq!(
            told.len(),
            jobs.len(),
            "{id}: a change queued twice: {jobs:?}"
        );
        assert!(
            jobs.iter().all(|j| j.status == "delivered"),
            "{id}: {jobs:?}"
        );
        assert_eq!(
            told.last().copied(),
            Some(invoice.version),
            "{id}: the last change was told"
        );
        // Each change's callback reached the shop (at least once: a shim killed while sending
        // one sends it again).
        for job in &jobs {
            assert!(
                heard.iter().any(|d| *d == job.id.to_string()),
                "{id}: the shop never heard callback {} (version {})",
                job.id,
                job.version
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The gateway (a sandbox) and a shop whose callback endpoint answers after `delay`, recording
/// each delivery it hears; the shop's token, with the sandbox and what the shop heard.
struct World {
    sandbox: Sandbox,
    sandbox_url: String,
    token: String,
    heard: Arc<Mutex<Vec<String>>>,
}

async fn world(db: &str, delay: Duration) -> World {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sandbox_url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = SandboxConfig::generate(sandbox_url.clone());
    config.webhook_retry_base = Duration::from_millis(200);
    config.webhook_attempts = 40;
    let sandbox = Sandbox::new(config);
    let router = cryptomus_sandbox::router(sandbox.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let heard: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = heard.clone();
    let shop_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!("http://{}/callback", shop_listener.local_addr().unwrap());
    let shop = axum::Router::new().route(
        "/callback",
        axum::routing::post(async move |headers: axum::http::HeaderMap| {
            tokio::time::sleep(delay).await;
            let delivery = headers
                .get("x-checkout-delivery")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            sink.lock().unwrap().push(delivery);
            "ok"
        }),
    );
    tokio::spawn(async move { axum::serve(shop_listener, shop).await });
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_server-shim"))
            .args(args)
            .args(["--database-url", db])
            .env("RUST_LOG", "off")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = cli(&["shops", "add", "--name", "pair"]);
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("shop token: "))
        .unwrap()
        .to_owned();
    cli(&[
        "shops",
        "set-callback",
        "--name",
        "pair",
        "--url",
        &callback,
    ]);
    World {
        sandbox,
        sandbox_url,
        token,
        heard,
    }
}

/// What a shim process says it delivered (`shim_callbacks_sent_total`).
async fn sent_by(port: u16) -> u64 {
    metric(
        &format!("http://127.0.0.1:{port}"),
        "shim_callbacks_sent_total",
    )
    .await
}

/// Creates `count` invoices through the shim on `port` and pays each in full.
async fn paid_invoices(world: &World, port: u16, prefix: &str, count: usize) {
    let http = reqwest::Client::new();
    for i in 0..count {
        let invoice = create_at(
            &format!("http://127.0.0.1:{port}"),
            &world.token,
            &usdt_invoice(&format!("{prefix}-{i}"), "10.00"),
        )
        .await;
        http.post(format!("{}/sandbox/pay", world.sandbox_url))
            .json(&json!({ "order_id": invoice["id"], "amount": "10" }))
            .send()
            .await
            .unwrap();
    }
}

/// Waits until nothing is pending in the outbox; returns its jobs.
async fn drained(store: &Store) -> Vec<server_shim::store::OutboxJob> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let jobs = store.jobs(None, 10_000).await.unwrap();
        if !jobs.is_empty() && jobs.iter().all(|j| j.status != "pending") {
            return jobs;
        }
        assert!(Instant::now() < deadline, "the outbox never drained");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shim_processes_on_one_postgres_share_the_outbox_even_when_one_is_killed() {
    let Some(db) = crate::support::postgres_url().await else {
        crate::support::skipped("SHIM_TEST_POSTGRES_URL is not set");
        return;
    };
    let world = world(&db, Duration::from_millis(100)).await;
    let store = Store::connect(&db).await.unwrap();
    // Short leases, so that the survivor takes over the killed one's callbacks within seconds.
    let env = [("SHIM_OUTBOX_LEASE_SECONDS", "3")];
    let (port_a, port_b) = (free_port(), free_port());
    let _a = start_shim_with(port_a, &db, &world.sandbox, &world.sandbox_url, None, &env).await;
    let b = start_shim_with(port_b, &db, &world.sandbox, &world.sandbox_url, None, &env).await;

    // Both at work: every change told once, and each process told some.
    paid_invoices(&world, port_a, "both", 12).await;
    let jobs = drained(&store).await;
    let heard = world.heard.lock().unwrap().clone();
    for job in &jobs {
        let times = heard.iter().filter(|d| **d == job.id.to_string()).count();
        assert_eq!((job.status.as_str(), times), ("delivered", 1), "{job:?}");
    }
    assert_eq!(heard.len(), jobs.len(), "nothing else was sent: {heard:?}");
    let (by_a, by_b) = (sent_by(port_a).await, sent_by(port_b).await);
    assert!(by_a > 0 && by_b > 0, "both delivered: A {by_a}, B {by_b}");
    assert_eq!(by_a + by_b, jobs.len() as u64);

    // B is killed while callbacks are on their way: A delivers what B held once its lease ends.
    let before = jobs.len();
    paid_invoices(&world, port_a, "kill", 12).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while sent_by(port_b).await == by_b {
        assert!(Instant::now() < deadline, "B sent nothing more");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(b);
    let jobs = drained(&store).await;
    assert!(jobs.len() > before);
    let heard = world.heard.lock().unwrap().clone();
    let mut twice = 0;
    for job in &jobs {
        let times = heard.iter().filter(|d| **d == job.id.to_string()).count();
        assert_eq!(job.status, "delivered", "{job:?}");
        assert!(times >= 1, "callback {} never arrived", job.id);
        twice += usize::from(times > 1);
    }
    // Only what B held when it died can have arrived twice (the shop answered, B died before
    // recording it): at most one claim of one shop.
    assert!(
        twice <= server_shim::store::PER_SHOP as usize,
        "{twice} callbacks arrived twice"
    );
}

/// A small round-robin HTTP proxy in front of `backends` (ports): each request goes to the next
/// one that answers, its answer streamed back (so live streams pass through). Its URL.
async fn round_robin(backends: Vec<u16>) -> String {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::http::StatusCode;
    use axum::response::Response;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let http = reqwest::Client::builder().build().unwrap();
    let proxy = move |request: Request| {
        let (next, http, backends) = (next.clone(), http.clone(), backends.clone());
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let path = parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            for _ in 0..backends.len() {
                let port = backends
                    [next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % backends.len()];
                let mut forward = http
                    .request(
                        parts.method.clone(),
                        format!("http://127.0.0.1:{port}{path}"),
                    )
                    .body(body.clone());
                for (name, value) in &parts.headers {
                    if name != axum::http::header::HOST {
                        forward = forward.header(name, value);
                    }
                }
                let Ok(answer) = forward.send().await else {
                    continue;
                };
                let mut response = Response::builder().status(answer.status().as_u16());
                for (name, value) in answer.headers() {
                    response = response.header(name, value);
                }
                let stream = futures_util::stream::unfold(answer, |mut answer| async move {
                    match answer.chunk().await {
                        Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(chunk), answer)),
                        _ => None,
                    }
                });
                return response.body(Body::from_stream(stream)).unwrap();
            }
            Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::empty())
                .unwrap()
        }
    };
    let router = axum::Router::new().fallback(proxy);
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// Follows invoice `id`'s live stream through `url` until it says `paid`, opening it again (at
/// whichever process the proxy picks) whenever it ends.
async fn stream_until_paid(url: String, id: String) {
    let http = reqwest::Client::new();
    loop {
        if let Ok(response) = http
            .get(format!("{url}/v1/invoices/{id}/events"))
            .send()
            .await
            && response.status().is_success()
        {
            let mut seen = String::new();
            let mut response = response;
            while let Ok(Some(chunk)) = response.chunk().await {
                seen.push_str(&String::from_utf8_lossy(&chunk));
                if seen.contains("\"status\":\"paid\"") {
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shims_behind_a_proxy_lose_nothing_when_one_is_killed_and_restarted() {
    let Some(db) = crate::support::postgres_url().await else {
        crate::support::skipped("SHIM_TEST_POSTGRES_URL is not set");
        return;
    };
    let world = world(&db, Duration::from_millis(20)).await;
    let store = Store::connect(&db).await.unwrap();
    let ports = vec![free_port(), free_port(), free_port()];
    let proxy = round_robin(ports.clone()).await;
    // The gateway and payers reach the shims through the proxy; short leases, so that the others
    // take over what a killed one held within seconds.
    let env = [
        ("SHIM_PUBLIC_URL", proxy.as_str()),
        ("SHIM_OUTBOX_LEASE_SECONDS", "3"),
    ];
    let mut shims = Vec::new();
    for port in &ports {
        shims.push(
            start_shim_with(*port, &db, &world.sandbox, &world.sandbox_url, None, &env).await,
        );
    }
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..30 {
        let invoice = create_at(
            &proxy,
            &world.token,
            &usdt_invoice(&format!("rr-{i}"), "10.00"),
        )
        .await;
        ids.push(invoice["id"].as_str().unwrap().to_owned());
    }
    // Live streams on every process, through the proxy.
    let streams: Vec<_> = ids
        .iter()
        .take(12)
        .map(|id| tokio::spawn(stream_until_paid(proxy.clone(), id.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The storm; one process killed in the middle of it, and started again after.
    for (n, id) in ids.iter().enumerate() {
        http.post(format!("{}/sandbox/pay", world.sandbox_url))
            .json(&json!({ "order_id": id, "amount": "10" }))
            .send()
            .await
            .unwrap();
        if n == 10 {
            shims.remove(1);
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    shims.insert(
        1,
        start_shim_with(
            ports[1],
            &db,
            &world.sandbox,
            &world.sandbox_url,
            None,
            &env,
        )
        .await,
    );

    // Every invoice is paid (a webhook a killed process held waits out its lease, then another
    // takes it from the inbox); then every stream says so (a stream re-reads its invoice at least
    // every 30 s, whatever became of a notification); every change was told to the shop.
    let deadline = Instant::now() + Duration::from_secs(120);
    for id in &ids {
        let parsed = InvoiceId::parse(id).unwrap();
        loop {
            let status = store.invoice(&parsed).await.unwrap().unwrap().status;
            if status == InvoiceStatus::Paid {
                break;
            }
            assert!(Instant::now() < deadline, "{id} stayed {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(75);
    for (id, stream) in ids.iter().zip(streams) {
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::timeout(left, stream)
            .await
            .unwrap_or_else(|_| panic!("the live stream of {id} never said paid"))
            .unwrap();
    }
    let jobs = drained(&store).await;
    let heard = world.heard.lock().unwrap().clone();
    for job in &jobs {
        assert_eq!(job.status, "delivered", "{job:?}");
        assert!(
            heard.contains(&job.id.to_string()),
            "callback {} never arrived",
            job.id
        );
    }
    let paid_jobs = ids
        .iter()
        .filter(|id| jobs.iter().any(|j| j.invoice_id.as_str() == id.as_str()))
        .count();
    assert_eq!(
        paid_jobs,
        ids.len(),
        "each invoice's change was queued for the shop"
    );
}

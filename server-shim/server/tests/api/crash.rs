//! The shim killed in the middle of a webhook storm loses nothing, through its durable intake
//! alone: no reconciler runs, so only the webhook inbox and the gateway's retries can bring the
//! invoices to the gateway's states. Each run kills at a point of its own, drawn from a printed
//! seed: a SIGKILL after some payment, or an abort right after the inbox stored a webhook and
//! before it was applied. On SQLite and on PostgreSQL, every invoice ends in the gateway's state,
//! its event log has each version once, and its outbox queued each change once and told the shop.

use crate::support::usdt_invoice;
use cryptomus_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
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
        .env("RUST_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(n) = abort_after {
        // The N-th `paid` webhook: its payment's last, so nothing after it would bring the
        // gateway's word again; only the inbox can.
        command
            .env("SHIM_FAULT_ABORT_AFTER_INBOX", n.to_string())
            .env("SHIM_FAULT_ABORT_STATUS", "paid");
    }
    let mut shim = Shim {
        child: command.spawn().unwrap(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
        .await
        .is_err()
    {
        assert!(!shim.is_dead(), "the shim exited on start");
        assert!(Instant::now() < deadline, "the shim did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shim
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

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sandbox_url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = SandboxConfig::generate(sandbox_url.clone());
    config.webhook_retry_base = Duration::from_millis(200);
    config.webhook_attempts = 40;
    let sandbox = Sandbox::new(config);
    let router = cryptomus_sandbox::router(sandbox.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });

    // The shop's callback endpoint: the deliveries it heard (`X-Checkout-Delivery`).
    let heard: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = heard.clone();
    let shop_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!("http://{}/callback", shop_listener.local_addr().unwrap());
    let shop = axum::Router::new().route(
        "/callback",
        axum::routing::post(async move |headers: axum::http::HeaderMap| {
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
            .args(["--database-url", &db])
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
    let out = cli(&["shops", "add", "--name", "crash"]);
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("shop token: "))
        .unwrap()
        .to_owned();
    cli(&[
        "shops",
        "set-callback",
        "--name",
        "crash",
        "--url",
        &callback,
    ]);

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
        let invoice: Value = http
            .post(format!("{base}/v1/invoices"))
            .bearer_auth(&token)
            .json(&usdt_invoice(&format!("storm-{i}"), "10.00"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
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
    let deadline = Instant::now() + Duration::from_secs(60);
    while store
        .job_counts()
        .await
        .unwrap()
        .iter()
        .any(|(status, n)| status == "pending" && *n > 0)
    {
        assert!(Instant::now() < deadline, "the outbox never drained");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
        let jobs: Vec<_> = store
            .jobs(None, 1000)
            .await
            .unwrap()
            .into_iter()
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

//! `cargo xtask bench`: the shim's budgets, measured on this machine (loopback only, bounded).
//!
//! - `GET /v1/invoices/{id}` under load, beside a bare axum handler answering JSON of the same
//!   size: throughputs, their ratio (budget: at least 0.7) and p99 latency.
//! - Webhook intake: signed webhooks at concurrency 32, each re-fetched from the sandbox and
//!   applied (budget: 1,000/s on SQLite), with proof that all were applied.
//! - Idle resident memory of `server-shim serve` (budget: 30 MB).
//!
//! Timing is never asserted in tests; it is reported here.

use anyhow::{Context as _, Result, bail};
use e2e_tests::demo::widget_dir;
use serde_json::{Value, json};
use server_shim::{Application, Settings};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 32;

/// Sends `total` requests made by `request` from `CONCURRENCY` workers; returns (requests per
/// second, p99 latency).
async fn load<F, Fut>(total: usize, request: F) -> Result<(f64, Duration)>
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (next, request) = (next.clone(), request.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let t = Instant::now();
                request(i).await?;
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let p99 = latencies
        .get(latencies.len() * 99 / 100)
        .copied()
        .unwrap_or_default();
    Ok((total as f64 / elapsed.as_secs_f64(), p99))
}

fn settings(database_url: &str) -> Result<Settings> {
    Ok(Settings {
        listen: "127.0.0.1:0".into(),
        database_url: database_url.into(),
        public_url: None,
        gateway_url: String::new(),
        merchant_uuid: None,
        payment_key: None,
        widget_dir: widget_dir().unwrap_or_else(|_| std::env::temp_dir()),
        sandbox_state: None,
        reconcile: server_shim::checkout::ReconcilePolicy {
            every: Duration::from_secs(3600),
            ..Default::default()
        },
        outbox: server_shim::outbox::OutboxPolicy::default(),
        // The load comes from one address: the per-client limit must not be what is measured.
        rate_limit: server_shim::rate_limit::RateLimit {
            per_second: 10_000_000,
            burst: 10_000_000,
            trusted_proxies: Vec::new(),
        },
    })
}

struct Demo {
    url: String,
    token: String,
    sandbox: cryptomus_sandbox::Sandbox,
}

async fn demo(database_url: &str) -> Result<Demo> {
    let app = Application::build_demo(&settings(database_url)?).await?;
    let url = app.url().to_owned();
    let handles = app.demo().context("demo handles")?.clone();
    tokio::spawn(app.run_until(std::future::pending()));
    Ok(Demo {
        url,
        token: handles.shop_token,
        sandbox: handles.sandbox,
    })
}

async fn create(http: &reqwest::Client, demo: &Demo, order: &str) -> Result<Value> {
    let body = json!({ "order_id": order, "amount": "10.00", "currency": "USD", "to_currency": "USDT", "network": "tron" });
    let response = http
        .post(format!("{}/v1/invoices", demo.url))
        .bearer_auth(&demo.token)
        .json(&body)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("create failed: {}", response.status());
    }
    Ok(response.json().await?)
}

/// A SQLite file in a fresh folder, as `serve` runs by default (WAL, a pool of connections).
fn sqlite_file(name: &str) -> Result<String> {
    let dir = std::env::temp_dir().join(format!("shim-bench-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(format!("sqlite://{}", dir.join("shim.db").display()))
}

async fn invoice_reads(http: &reqwest::Client) -> Result<()> {
    let demo = demo(&sqlite_file("reads")?).await?;
    let invoice = create(http, &demo, "bench-read").await?;
    let id = invoice["id"].as_str().context("id")?.to_owned();
    let body = http
        .get(format!("{}/v1/invoices/{id}", demo.url))
        .send()
        .await?
        .text()
        .await?;

    // The baseline: axum answering a fixed JSON body of the same size.
    let bare = axum::Router::new().route(
        "/v1/invoices/{id}",
        axum::routing::get(move || {
            let body = body.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let bare_url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, bare).await });

    let total = 20_000;
    let get = |base: String| {
        let (http, id) = (http.clone(), id.clone());
        move |_| {
            let (http, url) = (http.clone(), format!("{base}/v1/invoices/{id}"));
            async move {
                let response = http.get(url).send().await?;
                if !response.status().is_success() {
                    bail!("status {}", response.status());
                }
                response.bytes().await?;
                Ok(())
            }
        }
    };
    load(2_000, get(bare_url.clone())).await?; // warm up both
    load(2_000, get(demo.url.clone())).await?;
    let (bare_rps, bare_p99) = load(total, get(bare_url)).await?;
    let (shim_rps, shim_p99) = load(total, get(demo.url.clone())).await?;
    println!("GET /v1/invoices/{{id}}, {total} requests at concurrency {CONCURRENCY}:");
    println!("  bare axum, same JSON: {bare_rps:>9.0} req/s, p99 {bare_p99:?}");
    println!("  shim (SQLite file):   {shim_rps:>9.0} req/s, p99 {shim_p99:?}");
    println!(
        "  ratio shim/bare: {:.2} (budget >= 0.70)",
        shim_rps / bare_rps
    );
    Ok(())
}

async fn webhook_intake(http: &reqwest::Client, database_url: &str, label: &str) -> Result<()> {
    let demo = demo(database_url).await?;
    let count = 5_000;
    // Order ids unique to this run: a shared PostgreSQL keeps earlier runs' invoices.
    let run = server_shim::checkout::now();
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let invoice = create(http, &demo, &format!("bench-ipn-{run}-{i}")).await?;
        ids.push(invoice["id"].as_str().context("id")?.to_owned());
    }
    // The payments happen at the gateway with its own webhooks lost, so that the storm below is
    // the only way the shim hears of them.
    let sandbox = format!("{}/cryptomus/sandbox", demo.url);
    http.post(format!("{sandbox}/webhooks/outage"))
        .json(&json!({ "lost": true }))
        .send()
        .await?;
    let mut uuids = Vec::with_capacity(count);
    for id in &ids {
        let paid: Value = http
            .post(format!("{sandbox}/pay"))
            .json(&json!({ "order_id": id, "amount": "10" }))
            .send()
            .await?
            .json()
            .await?;
        uuids.push(paid["result"]["uuid"].as_str().context("uuid")?.to_owned());
    }
    let key = demo.sandbox.config().payment_key.clone();
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        ids.iter()
            .zip(&uuids)
            .map(|(id, uuid)| {
                let body = json!({ "type": "payment", "uuid": uuid, "order_id": id, "status": "paid", "is_final": true });
                shim_gateway::sign_webhook(&serde_json::to_vec(&body).unwrap_or_default(), &key).unwrap_or_default()
            })
            .collect(),
    );
    let url = format!("{}/v1/ipn/cryptomus", demo.url);
    let send = {
        let http = http.clone();
        move |i: usize| {
            let (http, url, body) = (http.clone(), url.clone(), bodies[i].clone());
            async move {
                let response = http
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                if !response.status().is_success() {
                    bail!("webhook answered {}", response.status());
                }
                Ok(())
            }
        }
    };
    let (rps, p99) = load(count, send).await?;
    let mut applied = 0;
    for id in &ids {
        let view: Value = http
            .get(format!("{}/v1/invoices/{id}", demo.url))
            .send()
            .await?
            .json()
            .await?;
        applied += usize::from(view["status"] == "paid");
    }
    println!("webhook intake ({label}), {count} signed webhooks at concurrency {CONCURRENCY}:");
    println!(
        "  {rps:>9.0} webhooks/s (budget >= 1000 on SQLite), p99 {p99:?}; applied: {applied}/{count}"
    );
    if applied != count {
        bail!("only {applied} of {count} webhooks were applied");
    }
    Ok(())
}

/// Resident memory of a fresh `server-shim serve`, after it settles.
async fn idle_rss() -> Result<()> {
    let exe = std::env::current_exe()?.with_file_name("server-shim");
    if !exe.is_file() {
        println!("idle RSS: skipped ({} not built)", exe.display());
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("shim-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = std::process::Command::new(&exe)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.join("shim.db").display()))
        .env("SHIM_PUBLIC_URL", "https://pay.example")
        .env("SHIM_MERCHANT_UUID", "bench")
        .env("SHIM_PAYMENT_KEY", "bench")
        .env("RUST_LOG", "off")
        .spawn()?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: unknown")
        .to_owned();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "idle RSS of server-shim serve (SQLite): {} (budget <= 30 MB)",
        rss.trim_start_matches("VmRSS:").trim()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()?;
    invoice_reads(&http).await?;
    webhook_intake(&http, &sqlite_file("intake")?, "SQLite file").await?;
    match std::env::var("SHIM_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => webhook_intake(&http, &url, "PostgreSQL").await?,
        _ => println!("webhook intake (PostgreSQL): skipped, SHIM_TEST_POSTGRES_URL is not set"),
    }
    idle_rss().await?;
    Ok(())
}

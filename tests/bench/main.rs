//! `cargo xtask bench`: the shim's budgets, measured on this machine (loopback only, bounded).
//!
//! - `GET /v1/invoices/{id}` under load, beside a bare axum handler answering JSON of the same
//!   size: throughputs, their ratio (budget: at least 0.7) and p99 latency.
//! - Webhook intake: signed webhooks at concurrency 32, each re-fetched from the sandbox and
//!   applied (budget: 1,000/s on SQLite), with proof that all were applied.
//! - 10,000 live streams (SSE) on one `server-shim demo` process: its memory growth (budget:
//!   100 MB) and the time from a payment to the last stream showing it (budget: 2 s).
//! - Idle resident memory of `server-shim serve` (budget: 30 MB).
//! - The shop's invoice list with 1,000,000 invoices, on a SQLite file and on PostgreSQL: the first
//!   page and a search by address and by transaction id, through the API and as the console's
//!   pages (budget: 50 ms median each), and the console's overview and invoice pages; p50 and p99.
//! - The widget: what a payer downloads (budget, in English: 100 KB gzip, 85 KB brotli), and the time from navigation
//!   to the QR code on the hosted pay page in headless Chromium, median of 20 loads (budget:
//!   300 ms).
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
        reconcile: server_shim::services::ReconcilePolicy {
            every: Duration::from_secs(3600),
            ..Default::default()
        },
        outbox: server_shim::outbox::OutboxPolicy::default(),
        // The load comes from one address: the per-client limit must not be what is measured.
        rate_limit: server_shim::rate_limit::RateLimit {
            per_second: 10_000_000,
            burst: 10_000_000,
            streams_per_client: 1_000_000,
            streams_total: 1_000_000,
            webhook_per_second: 10_000_000,
            webhook_burst: 10_000_000,
            ..Default::default()
        },
        ..e2e_tests::demo::settings(
            database_url,
            widget_dir().unwrap_or_else(|_| std::env::temp_dir()),
        )
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

async fn create(http: &reqwest::Client, base: &str, token: &str, order: &str) -> Result<Value> {
    let body = json!({ "order_id": order, "amount": "10.00", "currency": "USD", "to_currency": "USDT", "network": "tron" });
    let response = http
        .post(format!("{base}/v1/invoices"))
        .bearer_auth(token)
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
    let invoice = create(http, &demo.url, &demo.token, "bench-read").await?;
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
    const ROUNDS: usize = 5;
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
    // Alternating rounds, so that whatever else the machine does weighs on both alike; the median
    // round is reported.
    let mut rounds = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let bare = load(total, get(bare_url.clone())).await?;
        let shim = load(total, get(demo.url.clone())).await?;
        rounds.push((shim.0 / bare.0, bare, shim));
    }
    rounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ratios: Vec<String> = rounds.iter().map(|r| format!("{:.2}", r.0)).collect();
    let (ratio, (bare_rps, bare_p99), (shim_rps, shim_p99)) = rounds[ROUNDS / 2];
    println!(
        "GET /v1/invoices/{{id}}, {ROUNDS} alternating rounds of {total} requests at concurrency {CONCURRENCY} (median round):"
    );
    println!("  bare axum, same JSON: {bare_rps:>9.0} req/s, p99 {bare_p99:?}");
    println!("  shim (SQLite file):   {shim_rps:>9.0} req/s, p99 {shim_p99:?}");
    println!(
        "  ratio shim/bare: {ratio:.2} (budget >= 0.70); all rounds: {}",
        ratios.join(", ")
    );
    Ok(())
}

async fn webhook_intake(http: &reqwest::Client, database_url: &str, label: &str) -> Result<()> {
    let demo = demo(database_url).await?;
    let count = 5_000;
    // Order ids unique to this run: a shared PostgreSQL keeps earlier runs' invoices.
    let run = server_shim::services::now();
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let invoice = create(
            http,
            &demo.url,
            &demo.token,
            &format!("bench-ipn-{run}-{i}"),
        )
        .await?;
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

/// Resident memory of process `pid`, in bytes.
fn rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Streams one payer follows: opens it, reports the first event, then the instant a paid
/// invoice arrives. Raw HTTP/1.1 over TCP, so the load generator stays light.
async fn follow(
    source: std::net::IpAddr,
    shim: std::net::SocketAddr,
    id: String,
    opened: tokio::sync::mpsc::Sender<()>,
) -> Result<Instant> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(std::net::SocketAddr::new(source, 0))?;
    let mut stream = socket.connect(shim).await?;
    let request = format!(
        "GET /v1/invoices/{id}/events HTTP/1.1\r\nHost: {shim}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut seen = Vec::with_capacity(4096);
    let mut buf = [0u8; 4096];
    let mut first = true;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            bail!("the stream ended before the payment arrived");
        }
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen);
        if first && text.contains("\"status\":\"pending\"") {
            first = false;
            let _ = opened.send(()).await;
        }
        if text.contains("\"status\":\"paid\"") {
            return Ok(Instant::now());
        }
        if !text.starts_with("HTTP/1.1 200") && text.contains("\r\n\r\n") {
            bail!("{}", text.lines().next().unwrap_or_default());
        }
        // Keep only the tail: an event may straddle two reads.
        if seen.len() > 8192 {
            seen.drain(..seen.len() - 1024);
        }
    }
}

/// How many payers watch one invoice in the live-streams benchmark.
const STREAMS: usize = 10_000;

/// Opens [`STREAMS`] streams of invoice `id` on the server at `port` (process `pid`), each from its
/// own loopback address (as 10,000 phones would be, so the per-client limit is exercised, not
/// tripped). Returns the streams, how long opening took, and the server's memory growth.
async fn open_streams(
    pid: u32,
    port: u16,
    id: &str,
) -> Result<(Vec<tokio::task::JoinHandle<Result<Instant>>>, Duration, u64)> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss(pid).context("rss")?;
    let server: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let (opened_tx, mut opened) = tokio::sync::mpsc::channel(STREAMS);
    let mut streams = Vec::with_capacity(STREAMS);
    let started = Instant::now();
    for i in 0..STREAMS {
        let source = std::net::IpAddr::from([127, 1, (i / 250) as u8, (i % 250 + 1) as u8]);
        let follower = follow(source, server, id.to_owned(), opened_tx.clone());
        streams.push(tokio::spawn(follower));
        // Open in waves, as a listen backlog would rather have it.
        if i % 500 == 499 {
            for _ in 0..500 {
                opened.recv().await.context("a stream failed to open")?;
            }
        }
    }
    let open_time = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss(pid).context("rss")?;
    Ok((streams, open_time, after.saturating_sub(before)))
}

/// A free loopback port.
fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The baseline for the live streams: axum's own SSE, one event then silence, nothing else.
async fn bare_sse_server(port: u16) -> Result<()> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let (changes, _) = tokio::sync::broadcast::channel::<()>(16);
    let app = axum::Router::new().route(
        "/v1/invoices/{id}/events",
        axum::routing::get(move || {
            let changes = changes.subscribe();
            async move {
                let events = futures_util::stream::unfold(
                    (true, changes),
                    |(first, mut changes)| async move {
                        if !first {
                            let _ = changes.recv().await;
                        }
                        let event = Event::default().data("{\"status\":\"pending\"}");
                        Some((Ok::<_, std::convert::Infallible>(event), (false, changes)))
                    },
                );
                Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// 10,000 payers watching one invoice on a `server-shim demo` process of its own (so its memory
/// is the shim's alone), beside the same number on a bare axum SSE server.
async fn live_streams(http: &reqwest::Client) -> Result<()> {
    let exe = std::env::current_exe()?;
    let shim_exe = exe.with_file_name("server-shim");
    if !shim_exe.is_file() {
        println!("live streams: skipped ({} not built)", shim_exe.display());
        return Ok(());
    }
    // The baseline first, in a process of its own.
    let port = free_port()?;
    let mut bare = tokio::process::Command::new(&exe)
        .args(["--bare-sse-server", &port.to_string()])
        .kill_on_drop(true)
        .spawn()?;
    let (streams, _, bare_growth) =
        open_streams(bare.id().context("the baseline exited")?, port, "x").await?;
    let _ = bare.kill().await;
    streams.iter().for_each(|s| s.abort());

    let port = free_port()?;
    let database = sqlite_file("streams")?;
    let mut child = tokio::process::Command::new(&shim_exe)
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &database])
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().context("the demo exited")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = tokio::io::BufReader::new(stdout);
    let token = loop {
        let mut line = String::new();
        if tokio::io::AsyncBufReadExt::read_line(&mut lines, &mut line).await? == 0 {
            bail!("the demo exited before printing its token");
        }
        if let Some(token) = line.trim().strip_prefix("demo shop token: ") {
            break token.to_owned();
        }
    };
    let base = format!("http://127.0.0.1:{port}");
    let invoice = create(http, &base, &token, "bench-streams").await?;
    let id = invoice["id"].as_str().context("id")?.to_owned();
    let (streams, open_time, growth) = open_streams(pid, port, &id).await?;

    let paid_at = Instant::now();
    let response = http
        .post(format!("{base}/cryptomus/sandbox/pay"))
        .json(&json!({ "order_id": id, "amount": "10" }))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("sandbox pay answered {}", response.status());
    }
    let mut last = Duration::ZERO;
    let mut reached = 0;
    for stream in streams {
        if let Ok(Ok(at)) = tokio::time::timeout(Duration::from_secs(60), stream).await? {
            last = last.max(at.duration_since(paid_at));
            reached += 1;
        }
    }
    let _ = child.kill().await;
    let mb = |bytes: u64| bytes as f64 / 1e6;
    println!("live streams: {STREAMS} SSE streams on one shim process (SQLite file):");
    println!("  opened in {open_time:?}; reached by the payment: {reached}/{STREAMS}");
    println!(
        "  memory growth: shim +{:.1} MB (budget <= 100 MB); bare axum SSE +{:.1} MB",
        mb(growth),
        mb(bare_growth)
    );
    println!("  payment to the last stream: {last:?} (budget <= 2 s)");
    if reached != STREAMS {
        bail!("only {reached} of {STREAMS} streams saw the payment");
    }
    Ok(())
}

/// The widget as a payer gets it: the bytes over the wire, and the time to a scannable QR code.
async fn widget(http: &reqwest::Client) -> Result<()> {
    let dir = widget_dir()?;
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json"))?)?;
    println!("widget: what a payer downloads (files of widget/dist/manifest.json):");
    // A file's size raw, gzip and brotli (its precompressed copies).
    let sizes = |name: &str| -> Result<(u64, u64, u64)> {
        let size = |suffix: &str| -> Result<u64> {
            Ok(std::fs::metadata(dir.join(format!("{name}{suffix}")))?.len())
        };
        Ok((size("")?, size(".gz")?, size(".br")?))
    };
    // Prints the files named by the manifest's `keys` and returns their sum with `also`'s.
    let listed = |also: (u64, u64, u64), keys: &[&str]| -> Result<(u64, u64, u64)> {
        let mut total = also;
        for key in keys {
            let name = manifest[key].as_str().context("manifest entry")?;
            let (raw, gz, br) = sizes(name)?;
            total = (total.0 + raw, total.1 + gz, total.2 + br);
            println!("  {name:<30} raw {raw:>7}  gzip {gz:>7}  brotli {br:>7}");
        }
        Ok(total)
    };
    let totals = listed((0, 0, 0), &["embed.js", "checkout.js", "checkout_bg.wasm"])?;
    println!(
        "  total: raw {} B, gzip {} B, brotli {} B (an English-reading payer; budget: gzip <= 102400 B, brotli <= 87040 B)",
        totals.0, totals.1, totals.2
    );
    // A payer reading another language also loads its words: at most the largest file.
    let mut largest = (String::new(), 0, 0, 0);
    for name in manifest["locales"].as_array().context("manifest locales")? {
        let name = name.as_str().context("locale file")?;
        let (raw, gz, br) = sizes(name)?;
        if gz > largest.2 {
            largest = (name.to_owned(), raw, gz, br);
        }
    }
    let (name, raw, gz, br) = largest;
    println!("  {name:<30} raw {raw:>7}  gzip {gz:>7}  brotli {br:>7}  (the largest translation)");
    println!(
        "  total with it: raw {} B, gzip {} B, brotli {} B",
        totals.0 + raw,
        totals.1 + gz,
        totals.2 + br
    );
    // The deposit card is a build of its own: its payers load it instead of the invoice widget.
    let deposit = listed(sizes("embed.js")?, &["deposit.js", "deposit_bg.wasm"])?;
    println!(
        "  total on a deposit card (with embed.js): raw {} B, gzip {} B, brotli {} B",
        deposit.0, deposit.1, deposit.2
    );
    let name = manifest["button.js"]
        .as_str()
        .context("manifest button.js")?;
    let (raw, gz, br) = sizes(name)?;
    println!(
        "  {name:<30} raw {raw:>7}  gzip {gz:>7}  brotli {br:>7}  (besides, on pages with a pay button)"
    );

    let demo = demo("sqlite::memory:").await?;
    let invoice = create(http, &demo.url, &demo.token, "bench-qr").await?;
    let id = invoice["id"].as_str().context("id")?;
    let browser = e2e_tests::webdriver::Browser::start().await?;
    let read_mark =
        "const m = performance.getEntriesByName('checkout:qr')[0]; return m ? m.startTime : null";
    println!("time to QR on the pay page (headless Chromium, loopback):");
    // In English (built in), then in Russian, whose words are fetched beside the invoice.
    for (language, query) in [("English", ""), ("Russian", "?lang=ru")] {
        let page = format!("{}/pay/{id}{query}", demo.url);
        let mut times = Vec::new();
        for i in 0..21 {
            browser.goto(&page).await?;
            let at = browser
                .wait_for("the QR code", read_mark, Duration::from_secs(30), |v| {
                    v.is_number()
                })
                .await?;
            let ms = at.as_f64().context("mark")?;
            if i == 0 {
                println!("  {language}, first load: {ms:.0} ms");
            } else {
                times.push(ms);
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  {language}, median of {} loads with a warm cache: {:.0} ms (budget < 300 ms); fastest {:.0} ms, slowest {:.0} ms",
            times.len(),
            times[times.len() / 2],
            times[0],
            times[times.len() - 1]
        );
    }
    browser.close().await?;
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
    // `shim-bench reads streams` runs only those; no names, all of them.
    let only: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, port] = only.as_slice()
        && flag == "--bare-sse-server"
    {
        return bare_sse_server(port.parse()?).await;
    }
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wanted("reads") {
        invoice_reads(&http).await?;
    }
    if wanted("intake") {
        webhook_intake(&http, &sqlite_file("intake")?, "SQLite file").await?;
        match std::env::var("SHIM_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => webhook_intake(&http, &url, "PostgreSQL").await?,
            _ => {
                println!("webhook intake (PostgreSQL): skipped, SHIM_TEST_POSTGRES_URL is not set")
            }
        }
    }
    if wanted("streams") {
        live_streams(&http).await?;
    }
    if wanted("idle") {
        idle_rss().await?;
    }
    if wanted("console") {
        invoice_list(&http, &sqlite_file("console")?, "SQLite file").await?;
        match std::env::var("SHIM_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => {
                let (schema_url, drop_schema) = fresh_schema(&url).await?;
                let measured = invoice_list(&http, &schema_url, "PostgreSQL").await;
                drop_schema.await?;
                measured?;
            }
            _ => println!("invoice list (PostgreSQL): skipped, SHIM_TEST_POSTGRES_URL is not set"),
        }
    }
    if wanted("widget") {
        widget(&http).await?;
    }
    Ok(())
}

/// Invoices the list benchmark seeds.
const LIST_INVOICES: i64 = 1_000_000;

/// The shop's invoice list over [`LIST_INVOICES`] invoices of the demo shop: the first page, a
/// search by address and one by transaction id, each asked 200 times in a row.
async fn invoice_list(http: &reqwest::Client, database_url: &str, label: &str) -> Result<()> {
    let demo = demo(database_url).await?;
    let seeding = Instant::now();
    seed_invoices(database_url, LIST_INVOICES).await?;
    println!(
        "invoice list ({label}), {LIST_INVOICES} invoices of one shop (seeded in {:.1?}):",
        seeding.elapsed()
    );
    // Each case's query for invoice `i`: none (the first page), or a search for what it has.
    let cases = [
        ("first page (50)", None),
        ("search by address", Some("q=TBenchAddr")),
        ("search by txid", Some("q=bench-tx-")),
    ];
    for (name, search) in cases {
        let query = |i: i64| search.map(|q| format!("{q}{i}")).unwrap_or_default();
        let latencies = timed(200, async |i| {
            let response = http
                .get(format!("{}/v1/invoices?{}", demo.url, query(i)))
                .bearer_auth(&demo.token)
                .send()
                .await?;
            if !response.status().is_success() {
                bail!("{name}: {}", response.status());
            }
            let page: Value = response.json().await?;
            let found = page["invoices"].as_array().map_or(0, Vec::len);
            if (i == 1 && found == 0) || (search.is_some() && found != 1) {
                bail!("{name}: found {found} invoices for {}", query(i));
            }
            Ok(())
        })
        .await?;
        report(&format!("API {name}"), &latencies, "median < 50 ms");
    }
    // The same through the console, signed in as the shop's owner: HTML pages.
    let cookie = console_session(database_url, &demo.url).await?;
    // Each page for invoice `i`, and what it must show: the invoice's order id where it is about
    // one (so that a search that found nothing does not count).
    let pages: [(&str, PageOf); 6] = [
        ("console first page", |_| {
            ("/console/invoices".into(), "bench-order-".into())
        }),
        ("console search address", |i| {
            (
                format!("/console/invoices?q=TBenchAddr{i}"),
                format!(">bench-order-{i}<"),
            )
        }),
        ("console search txid", |i| {
            (
                format!("/console/invoices?q=bench-tx-{i}"),
                format!(">bench-order-{i}<"),
            )
        }),
        ("console one invoice", |i| {
            (
                format!("/console/invoices/inv_{i:032x}"),
                format!("Invoice bench-order-{i}<"),
            )
        }),
        ("console overview", |_| {
            ("/console".into(), "Takings".into())
        }),
        ("console status filter", |_| {
            (
                "/console/invoices?status=review".into(),
                "No invoice matches".into(),
            )
        }),
    ];
    for (name, page) in pages {
        let latencies = timed(200, async |i| {
            let (path, expected) = page(i);
            let response = http
                .get(format!("{}{path}", demo.url))
                .header(reqwest::header::COOKIE, &cookie)
                .send()
                .await?;
            let status = response.status();
            let body = response.text().await?;
            if !status.is_success() || !body.contains(&expected) {
                bail!("{name}: {status} without {expected:?}");
            }
            Ok(())
        })
        .await?;
        report(name, &latencies, "median < 50 ms");
    }
    Ok(())
}

/// A console page for invoice `i`: its path, and what it must show.
type PageOf = fn(i64) -> (String, String);

/// Runs `request` for `n` invoices spread over the whole table (not only the newest), one after
/// another; the latencies, sorted.
async fn timed(n: i64, mut request: impl AsyncFnMut(i64) -> Result<()>) -> Result<Vec<Duration>> {
    let mut latencies = Vec::with_capacity(n as usize);
    for k in 0..n {
        let i = 1 + (k * 4_999) % LIST_INVOICES;
        let started = Instant::now();
        request(i).await?;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    Ok(latencies)
}

fn report(name: &str, sorted: &[Duration], budget: &str) {
    println!(
        "  {name:<26} p50 {:>9.2?}  p99 {:>9.2?} (budget: {budget})",
        sorted[sorted.len() / 2],
        sorted[sorted.len() * 99 / 100]
    );
}

/// A console account for the demo shop on `database_url`, signed in at `base`: its cookie.
async fn console_session(database_url: &str, base: &str) -> Result<String> {
    const PASSWORD: &str = "bench password, long enough";
    let store = server_shim::store::Store::connect(database_url).await?;
    server_shim::services::console::Accounts(&store)
        .add_user(
            "bench@demo.example",
            PASSWORD,
            Some("demo"),
            server_shim::store::ConsoleRole::Owner,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie_of = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|c| c.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
    };
    let form = http.get(format!("{base}/console/sign-in")).send().await?;
    let form_cookie = cookie_of(&form, "console_sign_in").context("the sign-in form's cookie")?;
    let token = form_cookie
        .split_once('=')
        .map(|(_, t)| t.to_owned())
        .unwrap_or_default();
    let started = Instant::now();
    let signed = http
        .post(format!("{base}/console/sign-in"))
        .header(reqwest::header::COOKIE, &form_cookie)
        .form(&[
            ("email", "bench@demo.example"),
            ("password", PASSWORD),
            ("form_token", &token),
        ])
        .send()
        .await?;
    let elapsed = started.elapsed();
    let cookie = cookie_of(&signed, "console_session").context("no session: sign-in refused")?;
    println!("  console sign-in (Argon2id) {elapsed:>9.2?}");
    Ok(cookie)
}

/// Adds `count` invoices to the demo shop in one statement: each with its own order id, address
/// and transaction id, a second apart.
async fn seed_invoices(database_url: &str, count: i64) -> Result<()> {
    let columns = "id, shop_id, order_id, amount, currency, network, to_currency, payer_amount, \
        payer_currency, address, txid, paid_amount, status, shop_order, version, created_at, updated_at";
    let values = "'shop_demo', 'bench-order-' || i, '15.00', 'USD', 'tron', 'USDT', '15.000000', \
        'USDT', 'TBenchAddr' || i, 'bench-tx-' || i, '0', \
        CASE WHEN i % 3 = 0 THEN 'paid' ELSE 'pending' END, 0, 1, 1700000000 + i, 1700000000 + i";
    if database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(database_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
             INSERT INTO invoices ({columns}) SELECT printf('inv_%032x', i), {values} FROM n"
        )))
        .execute(&pool)
        .await?;
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(database_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO invoices ({columns}) SELECT 'inv_' || lpad(to_hex(i), 32, '0'), {values} \
             FROM generate_series(1, {count}) AS n(i)"
        )))
        .execute(&pool)
        .await?;
        sqlx::query("ANALYZE invoices").execute(&pool).await?;
        pool.close().await;
    }
    Ok(())
}

/// A fresh schema in the PostgreSQL at `url`: the URL whose connections use it, and what drops it.
async fn fresh_schema(
    url: &str,
) -> Result<(String, impl std::future::Future<Output = Result<()>>)> {
    let schema = format!("shim_bench_{}", server_shim::services::now());
    let pool = sqlx::PgPool::connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await?;
    let separator = if url.contains('?') { '&' } else { '?' };
    let schema_url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    let drop = async move {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&pool)
            .await?;
        pool.close().await;
        Ok(())
    };
    Ok((schema_url, drop))
}

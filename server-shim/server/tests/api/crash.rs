//! The shim killed with SIGKILL in the middle of a webhook storm loses no payment.

use crate::support::usdt_invoice;
use cryptomus_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_shim(port: u16, db: &str, sandbox: &Sandbox, sandbox_url: &str) -> Shim {
    let config = sandbox.config();
    let child = Command::new(env!("CARGO_BIN_EXE_server-shim"))
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
        // Recovery must come from the gateway's webhook retries, not from the reconciler.
        .env("SHIM_RECONCILE_SECONDS", "3600")
        .env("RUST_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let shim = Shim { child };
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the shim did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shim_killed_mid_storm_ends_with_the_gateways_states() {
    let dir = std::env::temp_dir().join(format!("shim-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("shim.db").display());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sandbox_url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = SandboxConfig::generate(sandbox_url.clone());
    config.webhook_retry_base = Duration::from_millis(200);
    config.webhook_attempts = 30;
    let sandbox = Sandbox::new(config);
    let router = cryptomus_sandbox::router(sandbox.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let added = Command::new(env!("CARGO_BIN_EXE_server-shim"))
        .args(["shops", "add", "--name", "crash", "--database-url", &db])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&added.stdout).into_owned();
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("shop token: "))
        .unwrap()
        .to_owned();

    let port = free_port();
    let shim = start_shim(port, &db, &sandbox, &sandbox_url).await;
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut ids = Vec::new();
    for i in 0..20 {
        let response = http
            .post(format!("{base}/v1/invoices"))
            .bearer_auth(&token)
            .json(&usdt_invoice(&format!("storm-{i}"), "10.00"))
            .send()
            .await
            .unwrap();
        let invoice: Value = response.json().await.unwrap();
        ids.push(invoice["id"].as_str().unwrap().to_owned());
    }

    // The storm: every payer pays (some short), and the shim dies while the webhooks pour in.
    for (i, id) in ids.iter().enumerate() {
        let amount = if i % 3 == 0 { "4" } else { "10" };
        let response = http
            .post(format!("{sandbox_url}/sandbox/pay"))
            .json(&json!({ "order_id": id, "amount": amount }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        if i == 10 {
            drop(shim);
            break;
        }
    }
    for id in &ids[11..] {
        http.post(format!("{sandbox_url}/sandbox/pay"))
            .json(&json!({ "order_id": id, "amount": "10" }))
            .send()
            .await
            .unwrap();
    }
    let _shim = start_shim(port, &db, &sandbox, &sandbox_url).await;

    // Every invoice ends in the state the gateway has for it.
    let deadline = Instant::now() + Duration::from_secs(60);
    for (i, id) in ids.iter().enumerate() {
        let expected = if i % 3 == 0 && i <= 10 {
            "partially_paid"
        } else {
            "paid"
        };
        loop {
            let view: Value = http
                .get(format!("{base}/v1/invoices/{id}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if view["status"] == expected {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "invoice {i} stayed {} (expected {expected})",
                view["status"]
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Webhooks the dead shim never answered arrived again by the gateway's retries.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let deliveries = sandbox.deliveries();
        let undelivered = deliveries.iter().filter(|d| !d.delivered).count();
        if undelivered == 0 {
            assert!(
                deliveries.iter().any(|d| d.attempts > 1),
                "some webhooks needed a retry: {deliveries:?}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{undelivered} webhooks never got through"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

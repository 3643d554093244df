//! The sandbox driven by an independent client: PHP, signing requests and verifying webhooks the way
//! the official PHP SDK and Cryptomus-distributed plugins do.

use crate::support::Harness;
use cryptomus_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn php_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/php")
}

fn php() -> String {
    std::env::var("PHP").unwrap_or_else(|_| "php".into())
}

/// `php -S` serving the webhook receiver; killed on drop.
struct Receiver {
    child: std::process::Child,
    url: String,
    log: PathBuf,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

async fn start_receiver(key: &str) -> Receiver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::env::temp_dir().join(format!("php-webhooks-{port}.log"));
    let child = Command::new(php())
        .args(["-S", &format!("127.0.0.1:{port}"), "receiver.php"])
        .current_dir(php_dir())
        .env("PAYMENT_KEY", key)
        .env("LOG", &log)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("php-cli is needed for the conformance test: run `cargo xtask setup`");
    let receiver = Receiver {
        child,
        url: format!("http://127.0.0.1:{port}/"),
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "php -S did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    receiver
}

fn logged(receiver: &Receiver) -> Vec<String> {
    std::fs::read_to_string(&receiver.log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

async fn wait_logged(receiver: &Receiver, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let lines = logged(receiver);
        if lines.len() >= count {
            return lines;
        }
        assert!(Instant::now() < deadline, "PHP logged only {lines:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_php_client_and_receiver_accept_the_sandbox() {
    let h = Harness::start().await;
    let config = h.sandbox.config();
    let key = secrecy::ExposeSecret::expose_secret(config.payment_key.expose()).to_owned();
    let receiver = start_receiver(&key).await;

    // tokio's Command: a blocking wait would stall the runtime that serves the sandbox.
    let output = tokio::process::Command::new(php())
        .arg("client.php")
        .args([&h.url, config.merchant.as_str(), &key, &receiver.url])
        .current_dir(php_dir())
        .output()
        .await
        .expect("php-cli is needed for the conformance test: run `cargo xtask setup`");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let steps: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let step = |name: &str| steps.iter().find(|s| s["step"] == name).unwrap().clone();

    let create = step("create");
    assert_eq!(
        (create["status"].as_i64(), create["body"]["state"].as_i64()),
        (Some(200), Some(0)),
        "{create}"
    );
    assert_eq!(create["body"]["result"]["payer_currency"], "USDT");
    assert_eq!(
        step("info")["body"]["result"]["uuid"],
        create["body"]["result"]["uuid"]
    );
    assert!(
        step("services")["body"]["result"].as_array().unwrap().len() > 5,
        "PHP's [] body is accepted"
    );
    assert_eq!(step("history")["status"], 200);
    assert_eq!(step("bad_sign")["status"], 401);
    assert_eq!(
        step("bad_sign")["body"],
        json!({ "message": "Invalid Sign." })
    );
    assert_eq!(
        step("test_webhook")["body"],
        json!({ "state": 0, "result": [] })
    );

    // Webhooks, with slashes and non-ASCII in additional_data, verify under PHP's own json_encode.
    h.control("pay", json!({ "order_id": "php-1", "amount": "15" }))
        .await;
    let lines = wait_logged(&receiver, 3).await;
    assert!(
        lines.iter().all(|l| l.starts_with("verified ")),
        "{lines:?}"
    );
    let statuses: Vec<_> = lines.iter().map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert_eq!(
        statuses,
        ["paid", "confirm_check", "paid"],
        "test webhook, then the payment"
    );
    assert!(
        lines[1].contains("Заказ №1 https://shop.example/o/1"),
        "{}",
        lines[1]
    );
    let deliveries = h.sandbox.deliveries();
    assert!(deliveries.iter().all(|d| d.delivered), "{deliveries:?}");
}

#[tokio::test]
async fn the_php_receiver_refuses_a_webhook_signed_with_another_key() {
    let receiver = start_receiver("the-real-key").await;
    let mut config = SandboxConfig::generate("http://127.0.0.1");
    config.webhook_attempts = 1;
    let sandbox = Sandbox::new(config);
    let http = reqwest::Client::new();
    let body = shim_gateway::sign_webhook(
        br#"{"type":"payment","status":"paid","additional_data":"x"}"#,
        &sandbox.config().payment_key,
    )
    .unwrap();
    let response = http.post(&receiver.url).body(body).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(wait_logged(&receiver, 1).await, ["refused"]);
}

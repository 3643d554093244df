//! The shim as operators run it: the binary alone (built without the demo, the widget inside it),
//! started from an empty directory against the gateway (a sandbox), takes a payment a payer makes
//! through its pay page in Chromium.

use crate::pay_page::{STATUS, WAIT};
use e2e_tests::webdriver::Browser;
use e2e_tests::widget;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The binary `cargo xtask test` built for operators (`SHIM_OPERATOR_BINARY`).
fn operators_binary() -> Option<std::path::PathBuf> {
    std::env::var_os("SHIM_OPERATOR_BINARY")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_file())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_binary_alone_takes_a_payment() {
    let Some(built) = operators_binary() else {
        e2e_tests::skipped(
            "SHIM_OPERATOR_BINARY is not set: run the tests with `cargo xtask test`, which builds it",
        );
        return;
    };
    // An empty directory holding only the binary.
    let dir = std::env::temp_dir().join(format!("shim-operators-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let binary = dir.join("server-shim");
    std::fs::copy(&built, &binary).unwrap();

    // The gateway.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = cryptomus_sandbox::Sandbox::new(cryptomus_sandbox::SandboxConfig::generate(
        gateway.clone(),
    ));
    let config = sandbox.config().clone();
    let router = cryptomus_sandbox::router(sandbox);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let port = {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        free.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let key = secrecy::ExposeSecret::expose_secret(config.payment_key.expose()).to_owned();
    let env = [
        ("SHIM_DATABASE_URL", "sqlite://shim.db".to_owned()),
        ("SHIM_LISTEN", format!("127.0.0.1:{port}")),
        ("SHIM_PUBLIC_URL", url.clone()),
        ("SHIM_GATEWAY_URL", format!("{gateway}/")),
        ("SHIM_MERCHANT_UUID", config.merchant.to_string()),
        ("SHIM_PAYMENT_KEY", key),
        ("RUST_LOG", "off".to_owned()),
    ];
    let command = |args: &[&str]| {
        let mut command = tokio::process::Command::new(&binary);
        command
            .args(args)
            .current_dir(&dir)
            .env_remove("SHIM_WIDGET_DIR")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .kill_on_drop(true);
        command
    };
    let added = command(&["shops", "add", "--name", "my-shop"])
        .output()
        .await
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let token = String::from_utf8_lossy(&added.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("shop token: "))
        .unwrap()
        .to_owned();
    let mut serve = command(&["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("{url}/readyz")).send().await.is_err() {
        assert!(serve.try_wait().unwrap().is_none(), "serve exited on start");
        assert!(Instant::now() < deadline, "serve did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Nothing beside it: the widget comes from inside, compressed.
    let listing: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("shim.db"))
        .collect();
    assert_eq!(listing, ["server-shim"]);
    let embed = http
        .get(format!("{url}/widget/embed.js"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(embed.status(), 200);
    assert_eq!(embed.headers()["content-encoding"], "br");
    let doctor = command(&["doctor"]).output().await.unwrap();
    let said = String::from_utf8_lossy(&doctor.stdout).into_owned();
    assert!(said.contains("served from inside this binary"), "{said}");

    // A payment through its pay page.
    let invoice: Value = http
        .post(format!("{url}/v1/invoices"))
        .bearer_auth(&token)
        .json(&json!({ "order_id": "op-1", "amount": "15.00", "currency": "USD", "to_currency": "USDT", "network": "tron" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = invoice["id"].as_str().expect("an invoice").to_owned();
    let browser = Browser::start().await.unwrap();
    browser.goto(&format!("{url}/pay/{id}")).await.unwrap();
    browser
        .wait_for("the address", widget::ADDRESS, WAIT, |v| v.is_string())
        .await
        .unwrap();
    let amount = invoice["payer_amount"].as_str().unwrap().to_owned();
    let paid = http
        .post(format!("{gateway}/sandbox/pay"))
        .json(&json!({ "order_id": id, "amount": amount }))
        .send()
        .await
        .unwrap();
    assert!(paid.status().is_success());
    browser
        .wait_for("paid", STATUS, WAIT, |v| v == "paid")
        .await
        .unwrap();
    browser.close().await.unwrap();
    serve.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

//! The demo application in-process, on a free port, with its data in memory.

use anyhow::{Context as _, Result, bail};
use serde_json::{Value, json};
use server_shim::{Application, Settings};
use std::path::PathBuf;

/// A running demo and a client for its API.
#[derive(Debug)]
pub struct DemoApp {
    /// Where it listens.
    pub url: String,
    /// The demo shop's token.
    pub token: String,
    /// An HTTP client.
    pub http: reqwest::Client,
    /// The demo's sandbox (for a gateway client of the merchant's own).
    pub sandbox: cryptomus_sandbox::Sandbox,
    /// The example page with the demo's pay button, on another origin.
    pub examples_url: String,
}

/// The built widget: `SHIM_WIDGET_DIR` (set by `cargo xtask test`), else `widget/dist`.
pub fn widget_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("SHIM_WIDGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../widget/dist"));
    if !dir.join("checkout.js").is_file() {
        bail!(
            "no widget build in {}: run the tests with `cargo xtask test`",
            dir.display()
        );
    }
    Ok(dir)
}

/// Settings for a demo on `database_url` serving the widget from `widget_dir`: no gateway of
/// its own, loopback shops allowed, quick outbox retries.
pub fn settings(database_url: &str, widget_dir: PathBuf) -> Settings {
    Settings {
        // Quick retries, so that tests of the outbox do not wait long.
        outbox: server_shim::outbox::OutboxPolicy::eager(),
        widget_dir,
        ..Settings::local(database_url)
    }
}

/// The JSON answer of `response`, or an error naming `what` failed if its status is not a success.
async fn success_json(response: reqwest::Response, what: &str) -> Result<Value> {
    let status = response.status();
    let body: Value = response.json().await?;
    if !status.is_success() {
        bail!("{what} failed ({status}): {body}");
    }
    Ok(body)
}

impl DemoApp {
    /// Starts the demo on 127.0.0.1 with a free port.
    pub async fn start() -> Result<Self> {
        Self::start_on("sqlite::memory:").await
    }

    /// Starts the demo with its data in `database_url` (a file, for a test that opens the store
    /// beside it).
    pub async fn start_on(database_url: &str) -> Result<Self> {
        let settings = settings(database_url, widget_dir()?);
        let app = Application::build_demo(&settings).await?;
        let url = app.url().to_owned();
        let handles = app.demo().context("demo handles")?.clone();
        let token = handles.shop_token;
        tokio::spawn(app.run_until(std::future::pending()));
        Ok(Self {
            url,
            token,
            http: reqwest::Client::new(),
            sandbox: handles.sandbox,
            examples_url: handles.examples_url,
        })
    }

    /// Creates an invoice for `amount` USD payable in USDT on `network`; returns its view.
    pub async fn create_invoice(
        &self,
        order_id: &str,
        amount: &str,
        network: &str,
    ) -> Result<Value> {
        self.create_invoice_from(&json!({
            "order_id": order_id, "amount": amount, "currency": "USD",
            "to_currency": "USDT", "network": network,
            "url_return": format!("{}/shop/orders", self.url),
        }))
        .await
    }

    /// Creates an invoice from a full request body; returns its view.
    pub async fn create_invoice_from(&self, body: &Value) -> Result<Value> {
        let response = self
            .http
            .post(format!("{}/v1/invoices", self.url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        success_json(response, "invoice creation").await
    }

    /// `POST {path}` of `body` with the demo shop's token: the JSON answer, whatever its status.
    pub async fn post_as_shop(&self, path: &str, body: &Value) -> Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        Ok(response.json().await?)
    }

    /// Invoice `id` as its pay page reads it (no token).
    pub async fn invoice(&self, id: &str) -> Result<Value> {
        Ok(reqwest::get(format!("{}/v1/invoices/{id}", self.url))
            .await?
            .json()
            .await?)
    }

    /// Calls a sandbox control (`pay`, `expire`, ...) with `body`.
    pub async fn sandbox(&self, control: &str, body: Value) -> Result<Value> {
        let response = self
            .http
            .post(format!("{}/cryptomus/sandbox/{control}", self.url))
            .json(&body)
            .send()
            .await?;
        success_json(response, &format!("sandbox {control}")).await
    }
}

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use cryptomus_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use shim_gateway::{
    ApiKey, CreateInvoice, CryptomusClient, GatewayConfig, GatewayInvoice, verify_payout_webhook,
    verify_webhook,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A sandbox on a free port, our client pointed at it, and a webhook receiver.
pub struct Harness {
    pub url: String,
    pub sandbox: Sandbox,
    pub client: CryptomusClient,
    pub http: reqwest::Client,
    pub callback_url: String,
    received: Arc<Mutex<Vec<(String, String)>>>,
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// The keys webhooks are checked with, and each webhook received: its entry and its body.
type Received = (ApiKey, ApiKey, Arc<Mutex<Vec<(String, String)>>>);

/// Records each webhook as its status (`paid`), prefixed by its type when it is not a payment
/// (`wallet:paid`, `payout:process`). Each must verify with the right key.
async fn receive(
    State((payment_key, payout_key, received)): State<Received>,
    body: Bytes,
) -> &'static str {
    let entry = match verify_webhook(&body, &payment_key) {
        Ok(hook) if hook.kind == shim_gateway::WebhookKind::Payment => {
            hook.status.as_str().to_owned()
        }
        Ok(hook) => format!("{}:{}", hook.kind, hook.status.as_str()),
        Err(_) => {
            let hook = verify_payout_webhook(&body, &payout_key)
                .expect("signed the gateway's way with the right key");
            format!("payout:{}", hook.status.as_str())
        }
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    received.lock().unwrap().push((entry, body));
    "ok"
}

impl Harness {
    pub async fn start() -> Harness {
        let mut config = SandboxConfig::generate("http://127.0.0.1");
        config.seed = 42;
        config.webhook_retry_base = Duration::from_millis(20);
        Self::with_sandbox(Sandbox::new(config)).await
    }

    /// A harness around an existing sandbox.
    pub async fn with_sandbox(sandbox: Sandbox) -> Harness {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = cryptomus_sandbox::router(sandbox.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });

        let received = Arc::new(Mutex::new(Vec::new()));
        let receiver = Router::new().route("/hook", post(receive)).with_state((
            sandbox.config().payment_key.clone(),
            sandbox.config().payout_key.clone(),
            received.clone(),
        ));
        let callback_url = format!("{}/hook", serve(receiver).await);

        let config = sandbox.config();
        let mut gateway = GatewayConfig::new(
            format!("{url}/"),
            config.merchant.clone(),
            config.payment_key.clone(),
        );
        gateway.payout_key = Some(config.payout_key.clone());
        let client = CryptomusClient::new(gateway).unwrap();
        Harness {
            url,
            sandbox,
            client,
            http: reqwest::Client::new(),
            callback_url,
            received,
        }
    }

    pub fn invoice(&self, order_id: &str, amount: i64) -> CreateInvoice {
        CreateInvoice {
            amount: rust_decimal::Decimal::new(amount, 0),
            currency: "USD".into(),
            order_id: order_id.into(),
            network: Some("tron".into()),
            to_currency: Some("USDT".into()),
            lifetime: None,
            url_callback: Some(self.callback_url.clone()),
            url_return: None,
            url_success: None,
            ..CreateInvoice::default()
        }
    }

    pub async fn create(&self, order_id: &str, amount: i64) -> GatewayInvoice {
        self.client
            .create_invoice(&self.invoice(order_id, amount))
            .await
            .unwrap()
    }

    /// Calls a `/sandbox/...` control.
    pub async fn control(&self, name: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/sandbox/{name}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(json!(null)),
        )
    }

    /// Waits until `count` webhooks arrived, and returns their statuses in arrival order.
    pub async fn webhooks(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let statuses: Vec<String> = self
                .received
                .lock()
                .unwrap()
                .iter()
                .map(|(entry, _)| entry.clone())
                .collect();
            if statuses.len() >= count {
                return statuses;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {count} webhooks arrived: {statuses:?}",
                statuses.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `count` webhooks arrived, and returns their bodies in arrival order.
    pub async fn webhook_bodies(&self, count: usize) -> Vec<String> {
        self.webhooks(count).await;
        let received = self.received.lock().unwrap();
        received.iter().map(|(_, body)| body.clone()).collect()
    }

    /// Sends `body` to a Cryptomus path, signed with `key` (or unsigned when `None`).
    pub async fn raw(&self, path: &str, body: &[u8], key: Option<&ApiKey>) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(key) = key {
            request = request
                .header("merchant", self.sandbox.config().merchant.as_str())
                .header("sign", shim_gateway::sign::sign(body, key));
        }
        let response = request.send().await.unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(json!(null)),
        )
    }
}

use cryptomus_sandbox::Sandbox;
use serde_json::{Value, json};
use server_shim::store::Store;
use server_shim::{Application, Settings};
use std::time::{Duration, Instant};

/// A running demo (shim + sandbox) on a free port.
pub struct TestApp {
    pub url: String,
    pub token: String,
    pub http: reqwest::Client,
    pub sandbox: Sandbox,
}

/// Says that the running test did not run all it names, and why: on standard error, and in the
/// report `cargo xtask test` adds up (`CHECKOUT_KIT_TALLY`), so that it counts as skipped, not
/// passed.
pub fn skipped(why: &str) {
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    eprintln!("SKIPPED {test}: {why}");
    if let Some(file) = std::env::var_os("CHECKOUT_KIT_TALLY") {
        use std::io::Write as _;
        if let Ok(mut out) = std::fs::OpenOptions::new().append(true).open(file) {
            let _ = writeln!(out, "skipped {test}: {why}");
        }
    }
}

/// Asks `probe` every 50 ms until it answers `Ok`, for at most `within`; past that, fails the test
/// with the last `Err` (what was seen instead).
pub async fn eventually<T>(
    within: Duration,
    mut probe: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        match probe().await {
            Ok(done) => return done,
            Err(seen) => assert!(Instant::now() < deadline, "{seen}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends a request and reads its answer as JSON, failing the test if either fails.
pub trait JsonOf {
    async fn json_of(self) -> Value;
}

impl JsonOf for reqwest::RequestBuilder {
    async fn json_of(self) -> Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}

/// The backends to run a story against: SQLite always, PostgreSQL when configured.
pub async fn database_urls() -> Vec<String> {
    let mut urls = vec!["sqlite::memory:".to_owned()];
    match postgres_url().await {
        Some(url) => urls.push(url),
        None => skipped("the PostgreSQL half: SHIM_TEST_POSTGRES_URL is not set"),
    }
    urls
}

/// A fresh schema in the test PostgreSQL, as a URL whose connections use it.
pub async fn postgres_url() -> Option<String> {
    let base = std::env::var("SHIM_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let bytes: [u8; 6] = server_shim::domain::random_bytes().unwrap();
    let now = server_shim::services::now();
    let schema = format!(
        "shim_test_{now}_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let pool = sqlx::PgPool::connect(&base)
        .await
        .expect("SHIM_TEST_POSTGRES_URL must reach a PostgreSQL server");
    // Schemas of earlier runs (named after their creation time) are dropped after an hour.
    let old: Vec<(String,)> = sqlx::query_as(
        "SELECT schema_name::text FROM information_schema.schemata WHERE schema_name LIKE 'shim\\_test\\_%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (name,) in old {
        let created: i64 = name
            .split('_')
            .nth(2)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if created < now - 3600 {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE"
            )))
            .execute(&pool)
            .await;
        }
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let separator = if base.contains('?') { '&' } else { '?' };
    Some(format!(
        "{base}{separator}options=-c%20search_path%3D{schema}"
    ))
}

/// A SQLite database in a fresh directory of its own (`shim-{name}-{pid}` under the temporary
/// directory), for a test that opens it with a store or a command of its own.
pub struct ScratchDb {
    pub dir: std::path::PathBuf,
    pub url: String,
}

impl ScratchDb {
    pub fn new(name: &str) -> ScratchDb {
        Self::with_file(name, "shim.db")
    }

    /// The same, with the database file named `file`.
    pub fn with_file(name: &str, file: &str) -> ScratchDb {
        let dir = std::env::temp_dir().join(format!("shim-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join(file).display());
        ScratchDb { dir, url }
    }

    /// Removes the directory and all in it: a test's last step.
    pub fn remove(self) {
        std::fs::remove_dir_all(&self.dir).unwrap();
    }

    /// The database's URL, the directory left in place (for shims that outlive the caller).
    pub fn keep(self) -> String {
        std::mem::ManuallyDrop::new(self).url.clone()
    }
}

/// A test that stopped half-way leaves nothing behind either.
impl Drop for ScratchDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Serves `router` on a free loopback port, for the rest of the test: its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// Connects the demo shop on database `db` to the platform `config` describes (JSON, as the CLI
/// takes it).
pub async fn connect_demo_shop(db: &str, config: &Value) {
    Store::connect(db)
        .await
        .unwrap()
        .set_shop_platform("demo", Some(&platform(config)))
        .await
        .unwrap();
}

/// The status of `response` and its JSON (which it must have).
pub async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The status of `response` and its JSON (`Null` if none).
pub async fn status_and_json_or_null(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Creates invoice `body` with shop token `token` on the shim at `url` (one not run as a
/// [`TestApp`]): the invoice.
pub async fn create_at(url: &str, token: &str, body: &Value) -> Value {
    reqwest::Client::new()
        .post(format!("{url}/v1/invoices"))
        .bearer_auth(token)
        .json(body)
        .json_of()
        .await
}

/// A counter or gauge `name` of the shim at `url`, as its `/metrics` says (0 if absent).
pub async fn metric(url: &str, name: &str) -> u64 {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Settings for a test shim on `database_url`: the demo's defaults, quick outbox retries.
pub fn settings(database_url: &str) -> Settings {
    Settings {
        // Quick retries, so that tests of the outbox do not wait long.
        outbox: server_shim::outbox::OutboxPolicy::eager(),
        widget_dir: std::env::temp_dir(),
        ..Settings::local(database_url)
    }
}

impl TestApp {
    pub async fn spawn(database_url: &str) -> TestApp {
        Self::spawn_configured(database_url, Default::default(), Default::default()).await
    }

    /// A demo whose reconciler follows `policy`.
    pub async fn spawn_with(
        database_url: &str,
        reconcile: server_shim::services::ReconcilePolicy,
    ) -> TestApp {
        Self::spawn_configured(
            database_url,
            reconcile,
            server_shim::rate_limit::RateLimit::default(),
        )
        .await
    }

    /// A demo with the given reconciler policy and public rate limit.
    pub async fn spawn_configured(
        database_url: &str,
        reconcile: server_shim::services::ReconcilePolicy,
        rate_limit: server_shim::rate_limit::RateLimit,
    ) -> TestApp {
        let settings = Settings {
            reconcile,
            rate_limit,
            ..settings(database_url)
        };
        Self::spawn_settings(&settings).await.0
    }

    /// A demo built from `settings`, and where its Shopify payments app listener is, if it has one.
    pub async fn spawn_settings(settings: &Settings) -> (TestApp, Option<String>) {
        let app = Application::build_demo(settings).await.unwrap();
        let url = app.url().to_owned();
        let payments = app.payments_url();
        let demo = app.demo().unwrap().clone();
        tokio::spawn(app.run_until(std::future::pending()));
        let app = TestApp {
            url,
            token: demo.shop_token,
            http: reqwest::Client::new(),
            sandbox: demo.sandbox,
        };
        (app, payments)
    }

    pub async fn create(&self, body: &Value) -> (u16, Value) {
        self.shop_post("/v1/invoices", body).await
    }

    /// `POST {path}` of `body` with the shop's token: the status and the JSON answer.
    pub async fn shop_post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        status_and_json(response).await
    }

    /// The payer picks `currency` on `network` for invoice `id` (on its pay page): the invoice.
    pub async fn pick_coin(&self, id: &str, currency: &str, network: &str) -> Value {
        let coin = json!({ "currency": currency, "network": network });
        let path = format!("/v1/invoices/{id}/coin");
        self.post(&path, &coin).await.json().await.unwrap()
    }

    /// `POST {path}` of `body`, without the shop's token (as a payer, or an intruder).
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// `GET {path}`, without the shop's token.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    /// The JSON answer to `GET {path}` with the shop's token (a shop's list).
    pub async fn shop_json(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json_of()
            .await
    }

    /// The text of `GET {path}` (a page, `/metrics`).
    pub async fn text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    pub async fn invoice(&self, id: &str) -> (u16, Value) {
        status_and_json(self.get(&format!("/v1/invoices/{id}")).await).await
    }

    pub async fn sandbox(&self, control: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/cryptomus/sandbox/{control}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "sandbox {control}: {status} {body}");
        body
    }

    /// The sandbox's log of webhooks sent.
    pub async fn webhook_log(&self) -> Vec<Value> {
        let url = format!("{}/cryptomus/sandbox/webhooks", self.url);
        let log = self.http.get(url).json_of().await;
        log["result"].as_array().unwrap().clone()
    }

    /// The gateway's uuid of invoice `id`'s payment, from the first webhook the sandbox sent.
    pub async fn gateway_uuid(&self, id: &str) -> String {
        let log = self.webhook_log().await;
        log.iter().find(|w| w["order_id"] == id).unwrap()["uuid"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn post_ipn(&self, body: Vec<u8>) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/v1/ipn/cryptomus", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        status_and_json_or_null(response).await
    }

    /// Waits for the positive signal that everything in flight is done: every webhook the
    /// sandbox sent was delivered, none waits in the inbox, and no callback or platform update
    /// is pending (`/metrics`). What a test asserts next is then the whole story.
    pub async fn settled(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let metrics = self.text("/metrics").await;
            let pending = metrics.lines().any(|line| {
                let busy = |prefix: &str| {
                    line.starts_with(prefix)
                        && line
                            .rsplit(' ')
                            .next()
                            .and_then(|n| n.parse::<u64>().ok())
                            .is_some_and(|n| n > 0)
                };
                busy("shim_webhooks_pending")
                    || (line.contains("status=\"pending\"")
                        && (busy("shim_outbox_callbacks") || busy("shim_event_callbacks")))
            });
            let sent = self.sandbox.deliveries().iter().all(|d| d.delivered);
            if sent && !pending {
                return;
            }
            assert!(Instant::now() < deadline, "never settled:\n{metrics}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Polls the invoice until its status is `status`.
    pub async fn wait_for_status(&self, id: &str, status: &str) -> Value {
        eventually(Duration::from_secs(15), async || {
            let (_, view) = self.invoice(id).await;
            match view["status"] == status {
                true => Ok(view),
                false => Err(format!("invoice never reached {status}: {view}")),
            }
        })
        .await
    }
}

/// Platform settings from their JSON, as the CLI and the connect routes store them.
pub fn platform(config: &Value) -> server_shim::platforms::PlatformConfig {
    serde_json::from_value(config.clone()).expect("platform settings")
}

pub fn usdt_invoice(order_id: &str, amount: &str) -> Value {
    json!({ "order_id": order_id, "amount": amount, "currency": "USD", "to_currency": "USDT", "network": "tron" })
}

/// A request with the demo shop's token: the status and the JSON answer (`Null` if none).
pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call_as(app, &app.token, method, path, body).await
}

/// A request with shop token `token`: the status and the JSON answer (`Null` if none).
pub async fn call_as(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .http
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    status_and_json_or_null(request.send().await.unwrap()).await
}

/// Every row of every table that holds what shops and payers did (SQLite `db`), as text: what
/// "nothing changed" compares.
pub async fn snapshot(db: &str) -> String {
    use sqlx::{Column, Row};
    let pool = sqlx::SqlitePool::connect(db).await.unwrap();
    let mut out = String::new();
    for table in [
        "shops",
        "invoices",
        "invoice_events",
        "outbox",
        "links",
        "buttons",
        "wallets",
        "wallet_deposits",
        "payouts",
        "event_callbacks",
        "webhook_inbox",
        "invoice_payments",
        "invoice_refunds",
        "delivery_attempts",
        "console_users",
    ] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM {table} ORDER BY 1"
        )))
        .fetch_all(&pool)
        .await
        .unwrap();
        for row in rows {
            out.push_str(table);
            for (i, column) in row.columns().iter().enumerate() {
                let value = row
                    .try_get::<Option<String>, _>(i)
                    .map(|v| format!("{v:?}"))
                    .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                    .unwrap_or_else(|_| "?".into());
                out.push_str(&format!(" {}={value}", column.name()));
            }
            out.push('\n');
        }
    }
    pool.close().await;
    out
}

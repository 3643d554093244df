//! Building and running the service: settings in, a bound listener and a router out.

use crate::outbox::{Outbox, OutboxPolicy};
use crate::routes::{self, AppState, PayPageExtra};
use crate::services::{ReconcilePolicy, Services};
use crate::shopify_tls::{ShopifyPayments, TlsListener};
use crate::store::Store;
use crate::workers::Workers;
use anyhow::Context as _;
use secrecy::{ExposeSecret, SecretString};
use shim_gateway::{ApiKey, CryptomusClient, GatewayConfig, MerchantId};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpListener;

/// What `serve` needs. Built from flags and `SHIM_*` variables by the CLI. Its `Debug` output hides
/// the database password and the payment key.
#[derive(Clone)]
pub struct Settings {
    /// Where to listen, `HOST:PORT` (port 0 picks one).
    pub listen: String,
    /// `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// Where the gateway and payers reach this shim; `None` only in the demo.
    pub public_url: Option<String>,
    /// The gateway's base URL.
    pub gateway_url: String,
    /// The merchant uuid at the gateway.
    pub merchant_uuid: Option<String>,
    /// The payment key.
    pub payment_key: Option<SecretString>,
    /// The payout key, for payouts and their webhooks (none: payouts are refused).
    pub payout_key: Option<SecretString>,
    /// The bearer token `/metrics` asks for (none: it is open, and `serve` says so).
    pub metrics_token: Option<SecretString>,
    /// Where the shim may connect on a shop's behalf: public addresses, and the private hosts
    /// the operator allows (`SHIM_ALLOWED_PRIVATE_HOSTS`).
    pub egress: shop_adapters::egress::Egress,
    /// Where the built widget assets are.
    pub widget_dir: PathBuf,
    /// The demo's sandbox keeps its state here (`sqlite://...`); in memory when `None`.
    pub sandbox_state: Option<String>,
    /// How the reconciler asks the gateway about open invoices.
    pub reconcile: ReconcilePolicy,
    /// How callbacks to shops are delivered.
    pub outbox: OutboxPolicy,
    /// Per-client limits on the public endpoints.
    pub rate_limit: crate::rate_limit::RateLimit,
    /// Where Shopify's payments app reaches the shim.
    pub shopify_payments: ShopifyPayments,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("public_url", &self.public_url)
            .field("gateway_url", &self.gateway_url)
            .field("merchant_uuid", &self.merchant_uuid)
            .field(
                "payment_key",
                &self.payment_key.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "payout_key",
                &self.payout_key.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "[redacted]"),
            )
            .field("egress", &self.egress)
            .field("widget_dir", &self.widget_dir)
            .field("sandbox_state", &self.sandbox_state)
            .field("reconcile", &self.reconcile)
            .field("outbox", &self.outbox)
            .field("rate_limit", &self.rate_limit)
            .field("shopify_payments", &self.shopify_payments)
            .finish()
    }
}

impl Settings {
    /// A shim on this machine, as the demo and the tests run one: any free port on loopback,
    /// `database_url`, no gateway credentials (the demo brings its sandbox), the defaults for
    /// the rest, and calls to shops on this machine's loopback allowed.
    pub fn local(database_url: &str) -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            database_url: database_url.into(),
            public_url: None,
            gateway_url: String::new(),
            merchant_uuid: None,
            payment_key: None,
            payout_key: None,
            widget_dir: "widget/dist".into(),
            sandbox_state: None,
            reconcile: ReconcilePolicy::default(),
            outbox: OutboxPolicy::default(),
            rate_limit: crate::rate_limit::RateLimit::default(),
            shopify_payments: ShopifyPayments::default(),
            metrics_token: None,
            egress: shop_adapters::egress::Egress::with_loopback(),
        }
    }
}

/// A bound, configured service, ready to run.
#[derive(Debug)]
pub struct Application {
    pub(crate) listener: TcpListener,
    pub(crate) router: axum::Router,
    /// What the router's handlers share, for the streams served beside it.
    pub(crate) state: AppState,
    pub(crate) url: String,
    #[cfg(feature = "demo")]
    pub(crate) demo: Option<crate::demo::DemoHandles>,
    /// The demo's example site, on its own listener (another origin than the shim's).
    pub(crate) examples: Option<(TcpListener, axum::Router)>,
    /// Shopify's payments app, on its mutual TLS listener.
    pub(crate) payments: Option<(TlsListener, axum::Router)>,
    pub(crate) workers: Workers,
}

pub(crate) async fn bind(listen: &str) -> anyhow::Result<(TcpListener, String)> {
    let listener = TcpListener::bind(listen).await.with_context(|| {
        format!("cannot listen on {listen}: is the port free and the address this machine's?")
    })?;
    let addr: SocketAddr = listener.local_addr()?;
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        addr.ip().to_string()
    };
    let host = if addr.is_ipv6() && !addr.ip().is_unspecified() {
        format!("[{host}]")
    } else {
        host
    };
    Ok((listener, format!("http://{host}:{}", addr.port())))
}

/// The listener that serves Shopify's payments app, when it is on: mutual TLS, or plain behind
/// a proxy that checks Shopify's client certificate. Never the main listener.
pub(crate) async fn with_shopify_payments(
    router: axum::Router,
    state: &AppState,
    settings: &Settings,
) -> anyhow::Result<(axum::Router, Option<(TlsListener, axum::Router)>)> {
    Ok(match &settings.shopify_payments {
        ShopifyPayments::Off => (router, None),
        ShopifyPayments::BehindProxy { listen } => (
            router,
            Some((
                TlsListener::bind_plain(listen).await?,
                routes::shopify_payments_router(state.clone()),
            )),
        ),
        ShopifyPayments::Tls {
            listen,
            cert,
            key,
            client_ca,
        } => {
            let listener = TlsListener::bind(listen, cert, key, client_ca).await?;
            (
                router,
                Some((listener, routes::shopify_payments_router(state.clone()))),
            )
        }
    })
}

/// Opens the database at `url` and applies its pending migrations.
pub async fn open_store(url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(url).await.with_context(|| {
        format!(
            "cannot open the database {} (check --database-url or SHIM_DATABASE_URL)",
            redact_url(url)
        )
    })?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    Ok(store)
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

pub(crate) fn warn_if_no_widget(dir: &std::path::Path) {
    let inside = matches!(
        crate::routes::widget::WidgetFiles::pick(dir),
        crate::routes::widget::WidgetFiles::Embedded(_)
    );
    if !inside && !dir.join("checkout.js").is_file() {
        tracing::warn!(
            dir = %dir.display(),
            "widget assets not found: run `cargo xtask build-widget` (or set SHIM_WIDGET_DIR); pay pages will not render"
        );
    }
}

/// How long a new connection may take to send its first request head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves the connection's first request itself if it opens a live stream (see
/// [`routes::events`]); gives the connection back, untouched, for anything else.
async fn direct_stream(
    state: &AppState,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
) -> Option<tokio::net::TcpStream> {
    match tokio::time::timeout(HEADER_TIMEOUT, routes::peek_stream_request(&stream)).await {
        Ok(Some(request)) => routes::serve_direct(state, stream, peer, request).await,
        Ok(None) => Some(stream),
        // Nothing in time: dropped, as hyper drops a head that does not come.
        Err(_) => None,
    }
}

/// How often the webhook inbox is checked for webhooks whose receiver did not finish them.
const INBOX_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
/// How long shutdown waits for the connections in flight to finish.
const DRAIN_GRACE: Duration = Duration::from_secs(10);
/// How long shutdown waits for the workers' passes in progress.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// The background work of a shim: the reconciler, the webhook inbox and the outbox.
pub(crate) fn start_workers(
    services: &Services,
    settings: &Settings,
    metrics: &std::sync::Arc<crate::metrics::Metrics>,
) -> Workers {
    let mut workers = Workers::default();
    let policy = settings.reconcile;
    let reconciler = services.clone();
    let counted = metrics.clone();
    // `reconcile_seconds = 0`: no reconciler; only webhooks (and their inbox) move invoices.
    let reconciling = !policy.every.is_zero();
    workers.every_if(reconciling, "reconciler", policy.every, move || {
        let services = reconciler.clone();
        let metrics = counted.clone();
        async move {
            let now = crate::services::now();
            if let Err(e) = services.intake.reconcile(now, &policy).await {
                tracing::warn!(error = %e, "reconciliation pass failed");
            }
            if let Err(e) = services
                .payouts
                .reconcile_payouts(now, policy.min_recheck)
                .await
            {
                tracing::warn!(error = %e, "payout reconciliation pass failed");
            }
            metrics.reconcile_pass();
        }
    });
    let inbox = services.clone();
    workers.every("webhook inbox", INBOX_EVERY, move || {
        let services = inbox.clone();
        async move {
            if let Err(e) = services.intake.process_inbox().await {
                tracing::warn!(error = %e, "webhook inbox pass failed");
            }
        }
    });
    let outbox = Outbox::new(services.clone(), settings.outbox).with_metrics(metrics.clone());
    let draining = outbox.clone();
    workers.on_stop_wait_for("outbox", move || async move { draining.idle().await });
    workers.every("outbox", settings.outbox.every, move || {
        let outbox = outbox.clone();
        async move {
            if let Err(e) = outbox.run_once().await {
                tracing::warn!(error = %e, "outbox pass failed");
            }
        }
    });
    workers
}

impl Application {
    /// The production service: real gateway (or whatever `gateway_url` points at).
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let missing = |name: &str, what: &str| anyhow::anyhow!("{name} is not set: {what}");
        let public_url = settings.public_url.clone().ok_or_else(|| {
            missing(
                "SHIM_PUBLIC_URL",
                "the URL the gateway and payers reach this shim at",
            )
        })?;
        let merchant = settings.merchant_uuid.clone().ok_or_else(|| {
            missing(
                "SHIM_MERCHANT_UUID",
                "your merchant uuid from the Cryptomus dashboard",
            )
        })?;
        let payment_key = settings
            .payment_key
            .as_ref()
            .map(|k| ApiKey::new(k.expose_secret().to_owned()))
            .ok_or_else(|| {
                missing(
                    "SHIM_PAYMENT_KEY",
                    "your payment API key from the Cryptomus dashboard",
                )
            })?;
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            anyhow::bail!(
                "SHIM_PUBLIC_URL must start with http:// or https://, got {public_url:?}"
            );
        }
        let (listener, url) = bind(&settings.listen).await?;
        let store = open_store(&settings.database_url).await?;
        let mut gateway_config = GatewayConfig::new(
            settings.gateway_url.clone(),
            MerchantId::new(merchant),
            payment_key.clone(),
        );
        gateway_config.payout_key = settings
            .payout_key
            .as_ref()
            .map(|k| ApiKey::new(k.expose_secret().to_owned()));
        let gateway = CryptomusClient::new(gateway_config)?;
        let services = Services::new(
            store,
            gateway,
            payment_key,
            &public_url,
            settings.egress.clone(),
        );
        let metrics = std::sync::Arc::<crate::metrics::Metrics>::default();
        let workers = start_workers(&services, settings, &metrics);
        let state = AppState::new(
            services,
            metrics,
            PayPageExtra {
                script: None,
                head: routes::pay_page::widget_preloads(&settings.widget_dir),
            },
            &settings.rate_limit,
            settings.metrics_token.clone(),
        );
        warn_if_no_widget(&settings.widget_dir);
        if settings.metrics_token.is_none() {
            tracing::warn!(
                "SHIM_METRICS_TOKEN is not set: /metrics is open to anyone who reaches the shim"
            );
        }
        let router = routes::router(state.clone(), settings.widget_dir.clone());
        Self::assemble(listener, url, router, state, settings, workers).await
    }

    /// The application serving `router` on `listener`, with Shopify's payments app on its own
    /// listener when the settings ask for it.
    pub(crate) async fn assemble(
        listener: TcpListener,
        url: String,
        router: axum::Router,
        state: AppState,
        settings: &Settings,
        workers: Workers,
    ) -> anyhow::Result<Self> {
        let (router, payments) = with_shopify_payments(router, &state, settings).await?;
        Ok(Self {
            listener,
            router,
            state,
            url,
            #[cfg(feature = "demo")]
            demo: None,
            examples: None,
            payments,
            workers,
        })
    }

    /// Where Shopify's payments app reaches the shim (`https://HOST:PORT`; `http://` behind a
    /// proxy), when it is on.
    pub fn payments_url(&self) -> Option<String> {
        let (listener, _) = self.payments.as_ref()?;
        listener.url().ok()
    }

    /// The store the shim keeps its data in.
    pub fn store(&self) -> &Store {
        self.state.services.store()
    }

    /// The URL the service listens on.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight (live streams are
    /// cut after [`DRAIN_GRACE`]; their browsers reconnect elsewhere) and the workers' passes.
    ///
    /// Each connection is served by hyper's HTTP/1 directly rather than `axum::serve`, which
    /// copies the whole router and a protocol sniffing buffer for every connection: with
    /// thousands of payers holding live streams, that took 19 KB a connection against 11 KB here.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        use hyper_util::rt::{TokioIo, TokioTimer};
        use tower::ServiceExt as _;

        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut http = hyper::server::conn::http1::Builder::new();
        // A client that does not finish its request head in time is dropped (slowloris).
        http.timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT);
        let mut shutdown = std::pin::pin!(shutdown);
        let mut connections = tokio::task::JoinSet::new();
        // The demo's example site: static pages, stopped with the rest.
        let examples = self.examples.map(|(listener, router)| {
            tokio::spawn(async move { axum::serve(listener, router).await })
        });
        let payments = self
            .payments
            .map(|(listener, router)| tokio::spawn(listener.serve(router)));
        loop {
            // Forget connections that ended.
            while connections.try_join_next().is_some() {}
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, or a connection reset before it was taken.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let router = self.router.clone();
            let state = self.state.clone();
            let http = http.clone();
            let watcher = graceful.watcher();
            // The peer address feeds the per-client rate limit and the webhook allowlist.
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    router.clone().oneshot(request)
                },
            );
            connections.spawn(async move {
                // A connection that opens with a live stream is served without hyper.
                let Some(stream) = direct_stream(&state, stream, peer).await else {
                    return;
                };
                let connection =
                    watcher.watch(http.serve_connection(TokioIo::new(stream), service));
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
            });
        }
        drop(self.listener);
        if let Some(examples) = examples {
            examples.abort();
        }
        if let Some(payments) = payments {
            payments.abort();
        }
        if tokio::time::timeout(DRAIN_GRACE, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::info!("closing the connections still open (live streams)");
        }
        connections.abort_all();
        while connections.join_next().await.is_some() {}
        // Requests are done; let the workers finish what they hold (a callback being sent, a
        // webhook being applied) before the process ends.
        self.workers.stop(SHUTDOWN_GRACE).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn settings_debug_hides_secrets() {
        let settings = super::Settings {
            payment_key: Some("pay-key-123".to_owned().into()),
            ..super::Settings::local("postgres://app:s3cret@db/shim")
        };
        let debug = format!("{settings:?}");
        assert!(
            !debug.contains("s3cret") && !debug.contains("pay-key-123"),
            "{debug}"
        );
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/shim"),
            "postgres://app:***@db:5432/shim"
        );
        assert_eq!(redact_url("sqlite://shim.db"), "sqlite://shim.db");
    }
}

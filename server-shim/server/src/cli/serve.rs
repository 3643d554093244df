//! The production service: `server-shim serve`.

use super::*;
use clap::Args;
use server_shim::Application;
use server_shim::config::Layer;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// A TOML file with any of the settings below (by their long names, `-` as `_`); the
    /// environment and flags override it.
    #[arg(long, env = "SHIM_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "SHIM_LISTEN")]
    listen: Option<String>,
    /// sqlite://path (created if missing) or postgres://user@host/db [default: sqlite://shim.db].
    #[arg(long, env = "SHIM_DATABASE_URL")]
    database_url: Option<String>,
    /// The URL the gateway and payers reach this shim at (webhooks go to <url>/v1/ipn/cryptomus).
    #[arg(long, env = "SHIM_PUBLIC_URL")]
    public_url: Option<String>,
    /// The gateway's API base URL [default: https://api.cryptomus.com/].
    #[arg(long, env = "SHIM_GATEWAY_URL")]
    gateway_url: Option<String>,
    /// Merchant uuid from the Cryptomus dashboard.
    #[arg(long, env = "SHIM_MERCHANT_UUID")]
    merchant_uuid: Option<String>,
    /// Payment API key (prefer the environment variable: flags show up in process lists).
    #[arg(long, env = "SHIM_PAYMENT_KEY", hide_env_values = true)]
    payment_key: Option<String>,
    /// Payout API key, for payouts and their webhooks; without it payouts are refused (prefer
    /// the environment variable).
    #[arg(long, env = "SHIM_PAYOUT_KEY", hide_env_values = true)]
    payout_key: Option<String>,
    /// The bearer token Prometheus sends for `/metrics` (16 characters or more); without it
    /// `/metrics` is open to anyone who reaches the shim (prefer the environment variable).
    #[arg(long, env = "SHIM_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Directory with the built widget [default: widget/dist].
    #[arg(long, env = "SHIM_WIDGET_DIR")]
    widget_dir: Option<PathBuf>,
    /// Seconds between two reconciliation passes (asking the gateway about open invoices whose
    /// webhooks may have been lost); also the shortest wait between two checks of one invoice
    /// [default: 30].
    #[arg(long, env = "SHIM_RECONCILE_SECONDS")]
    reconcile_seconds: Option<u64>,
    /// Requests per second one client may make to the public endpoints [default: 50].
    #[arg(long, env = "SHIM_RATE_LIMIT_PER_SECOND")]
    rate_limit_per_second: Option<u32>,
    /// Requests one client may make in a burst [default: 200].
    #[arg(long, env = "SHIM_RATE_LIMIT_BURST")]
    rate_limit_burst: Option<u32>,
    /// Live streams one client (an IPv4 address, an IPv6 /64) may hold open; beyond, a 429 and
    /// the widget reads the invoice instead [default: 20].
    #[arg(long, env = "SHIM_STREAMS_PER_CLIENT")]
    streams_per_client: Option<u32>,
    /// Live streams the shim holds open in all [default: 20000].
    #[arg(long, env = "SHIM_STREAMS_TOTAL")]
    streams_total: Option<u32>,
    /// Webhooks per second one source address may send to /v1/ipn/cryptomus, in bursts of ten
    /// times that [default: 100].
    #[arg(long, env = "SHIM_IPN_RATE_LIMIT_PER_SECOND")]
    ipn_rate_limit_per_second: Option<u32>,
    /// Seconds a callback one shim claimed stays hidden from the other shims on the same
    /// database; renewed while it is being sent [default: 60].
    #[arg(long, env = "SHIM_OUTBOX_LEASE_SECONDS")]
    outbox_lease_seconds: Option<u64>,
    /// Comma-separated proxy addresses whose X-Forwarded-For is believed.
    #[arg(long, env = "SHIM_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Option<Vec<String>>,
    /// Private hosts the shim may call on a shop's behalf (its platform, its callbacks): names,
    /// addresses or networks, comma-separated (`shop.internal,10.0.0.0/8`). Without them the shim
    /// calls public addresses only, checked after DNS.
    #[arg(long, env = "SHIM_ALLOWED_PRIVATE_HOSTS", value_delimiter = ',')]
    allowed_private_hosts: Option<Vec<String>>,
    /// Comma-separated addresses or networks the gateway's webhooks may come from (behind a proxy,
    /// list the proxy in --trusted-proxies); anywhere when not given.
    #[arg(long, env = "SHIM_IPN_ALLOWLIST", value_delimiter = ',')]
    ipn_allowlist: Option<Vec<String>>,
    /// Shopify's payments app: a listener of its own (HOST:PORT) that speaks TLS and requires
    /// Shopify's client certificate; with --shopify-payments-cert, --shopify-payments-key and
    /// --shopify-client-ca.
    #[arg(long, env = "SHIM_SHOPIFY_PAYMENTS_LISTEN")]
    shopify_payments_listen: Option<String>,
    /// The payments app listener's certificate chain (PEM), for the name Shopify calls.
    #[arg(long, env = "SHIM_SHOPIFY_PAYMENTS_CERT")]
    shopify_payments_cert: Option<PathBuf>,
    /// Its private key (PEM).
    #[arg(long, env = "SHIM_SHOPIFY_PAYMENTS_KEY")]
    shopify_payments_key: Option<PathBuf>,
    /// The CA that issues Shopify's client certificates (PEM).
    #[arg(long, env = "SHIM_SHOPIFY_CLIENT_CA")]
    shopify_client_ca: Option<PathBuf>,
    /// Serve Shopify's payments app as plain HTTP on --shopify-payments-listen (a loopback or
    /// private address), for a proxy in front that requires and checks Shopify's client
    /// certificate.
    #[arg(long, env = "SHIM_SHOPIFY_PAYMENTS_BEHIND_PROXY")]
    shopify_payments_behind_proxy: Option<bool>,
}

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.settings().map_err(anyhow::Error::msg)?;
    let app = Application::build(&settings).await?;
    println!("server-shim listening on {}", app.url());
    app.run_until(shutdown_signal()).await?;
    Ok(())
}

impl ServeArgs {
    /// The settings the file, the environment and the flags give together; what is wrong with
    /// them, said.
    pub(crate) fn settings(self) -> Result<server_shim::Settings, String> {
        let args = self;
        let file = match &args.config {
            Some(path) => Layer::from_file(path)?,
            None => Layer::default(),
        };
        // clap has already put each variable under its flag: one layer for both.
        let given = Layer {
            listen: args.listen,
            database_url: args.database_url,
            public_url: args.public_url,
            gateway_url: args.gateway_url,
            merchant_uuid: args.merchant_uuid,
            payment_key: args.payment_key,
            payout_key: args.payout_key,
            metrics_token: args.metrics_token,
            widget_dir: args.widget_dir,
            reconcile_seconds: args.reconcile_seconds,
            rate_limit_per_second: args.rate_limit_per_second,
            rate_limit_burst: args.rate_limit_burst,
            streams_per_client: args.streams_per_client,
            streams_total: args.streams_total,
            ipn_rate_limit_per_second: args.ipn_rate_limit_per_second,
            outbox_lease_seconds: args.outbox_lease_seconds,
            trusted_proxies: args.trusted_proxies,
            allowed_private_hosts: args.allowed_private_hosts,
            ipn_allowlist: args.ipn_allowlist,
            shopify_payments_listen: args.shopify_payments_listen,
            shopify_payments_cert: args.shopify_payments_cert,
            shopify_payments_key: args.shopify_payments_key,
            shopify_client_ca: args.shopify_client_ca,
            shopify_payments_behind_proxy: args.shopify_payments_behind_proxy,
        };
        given.over(file).settings()
    }
}

//! `server-shim`: the command line. See `server-shim --help`.

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use cryptomus_sandbox::{Sandbox, SandboxConfig};
use server_shim::checkout::ReconcilePolicy;
use server_shim::config::Layer;
use server_shim::domain::{Shop, ShopId, ShopToken};
use server_shim::outbox::OutboxPolicy;
use server_shim::platforms::PlatformConfig;
use server_shim::store::{PayoutPolicy, Store, StoreError};
use server_shim::{Application, Settings};
use shim_gateway::{ApiKey, MerchantId};
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "server-shim",
    version,
    about = "Crypto checkout shim for the Cryptomus gateway"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the shim in production against the gateway.
    Serve(ServeArgs),
    /// Run shim, an in-process sandbox and a demo store on one port.
    Demo(DemoArgs),
    /// Run only the Cryptomus-compatible sandbox.
    Sandbox(SandboxArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Manage the shops allowed to create invoices.
    Shops {
        #[command(subcommand)]
        command: ShopsCommand,
    },
    /// Inspect and replay the callbacks to shops.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Payment links: make them, list them, stop and restart them.
    Links {
        #[command(subcommand)]
        command: LinksCommand,
    },
    /// Pay buttons: define them (the price lives here, not in the page), list, stop, restart.
    Buttons {
        #[command(subcommand)]
        command: ButtonsCommand,
    },
    /// Inspect the gateway's webhooks as received (the durable inbox).
    Webhooks {
        #[command(subcommand)]
        command: WebhooksCommand,
    },
    /// Static deposit addresses and what reached them (shops make them with POST /v1/wallets).
    Wallets {
        #[command(subcommand)]
        command: WalletsCommand,
    },
    /// Payouts from the merchant's balance (shops make them with POST /v1/payouts).
    Payouts {
        #[command(subcommand)]
        command: PayoutsCommand,
    },
}

#[derive(Subcommand)]
enum WalletsCommand {
    /// A shop's wallets, newest first: customer, coin, address, credited total.
    List {
        /// Only this customer's.
        #[arg(long)]
        customer: Option<String>,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// One wallet and every deposit that reached it.
    Show {
        /// The wallet's id (wal_...).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum PayoutsCommand {
    /// A shop's payouts, newest first.
    List {
        #[command(flatten)]
        shop: LinkShopArgs,
    },
}

#[derive(Args)]
struct LinkShopArgs {
    /// The shop's name.
    #[arg(long)]
    shop: String,
    /// The shim's public URL, to print full link URLs.
    #[arg(long, env = "SHIM_PUBLIC_URL")]
    public_url: Option<String>,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Subcommand)]
enum LinksCommand {
    /// Make a payment link and print its URL.
    Create {
        /// The price, like 15.00.
        #[arg(long)]
        amount: String,
        /// Its currency, like USD or USDT.
        #[arg(long)]
        currency: String,
        /// What is paid for, shown to the payer.
        #[arg(long)]
        description: String,
        /// A fresh invoice on every visit (a donation, a fixed-price product); default: once.
        #[arg(long)]
        reusable: bool,
        /// The link starts no invoice after this many hours.
        #[arg(long)]
        expires_in_hours: Option<u64>,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// List a shop's links, newest first.
    List {
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// Stop a link: its page says it is disabled.
    Disable {
        /// The link's id (lnk_...).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// Take payments through a link again.
    Enable {
        /// The link's id (lnk_...).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
}

impl LinkShopArgs {
    async fn open(&self) -> anyhow::Result<(Store, Shop)> {
        let store = open_store(&self.database).await?;
        let shop = store
            .list_shops()
            .await?
            .into_iter()
            .find(|s| s.name == self.shop)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no shop named {:?} (see `server-shim shops list`)",
                    self.shop
                )
            })?;
        Ok((store, shop))
    }

    fn url(&self, id: &str) -> String {
        match &self.public_url {
            Some(base) => format!("{}/l/{id}", base.trim_end_matches('/')),
            None => format!("/l/{id} (on the shim; set SHIM_PUBLIC_URL for the full URL)"),
        }
    }

    fn snippet(&self, id: &str) -> String {
        let base = self.public_url.as_deref().unwrap_or("https://YOUR-SHIM");
        server_shim::buttons::snippet(base.trim_end_matches('/'), id)
    }
}

#[derive(Subcommand)]
enum ButtonsCommand {
    /// Define a pay button and print the script tag that shows it.
    Create {
        /// The price, like 15.00.
        #[arg(long)]
        amount: String,
        /// Its currency, like USD or USDT.
        #[arg(long)]
        currency: String,
        /// What is paid for, shown to the payer.
        #[arg(long)]
        description: String,
        /// An origin whose pages may show the button, like https://shop.example (repeat or
        /// separate with commas).
        #[arg(long = "origin", required = true, value_delimiter = ',')]
        origins: Vec<String>,
        /// Where the payer goes after paying.
        #[arg(long)]
        url_success: Option<String>,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// List a shop's buttons, newest first.
    List {
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// Stop a button: clicks say it is disabled.
    Disable {
        /// The button's id (btn_...).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// Take payments through a button again.
    Enable {
        /// The button's id (btn_...).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
}

#[derive(Subcommand)]
enum WebhooksCommand {
    /// List webhooks, newest first, with what became of each.
    List {
        /// Only those not applied yet (waiting for the gateway, or for a retry).
        #[arg(long)]
        pending: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// List callbacks, newest first.
    List {
        /// Only callbacks in this state: pending, delivered or failed.
        #[arg(long, value_parser = ["pending", "delivered", "failed"])]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// The callbacks of deposits and payouts, instead of those of invoices.
        #[arg(long)]
        events: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Send a callback again (a failed one, or one the shop lost).
    Replay {
        /// The callback's id, from `outbox list` (with `--events`: from `outbox list --events`).
        #[arg(long)]
        id: i64,
        /// A callback of a deposit or a payout, instead of one of an invoice.
        #[arg(long)]
        events: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Args)]
struct PlatformArgs {
    /// The shop's platform: woocommerce, prestashop, opencart or shopify.
    #[arg(long, value_parser = ["woocommerce", "prestashop", "opencart", "shopify"])]
    platform: Option<String>,
    /// OpenCart: its version (3.0.3.9, 4.0.1.1, 4.0.2.3...), which decides the extension's routes.
    #[arg(long, requires = "platform")]
    opencart_version: Option<String>,
    /// The shop's site (WooCommerce: https://shop.example; Shopify: https://my-shop.myshopify.com).
    #[arg(long, requires = "platform")]
    site: Option<String>,
    /// Shopify: the shop's myshopify.com domain, when --site is not at it (an emulator).
    #[arg(long, requires = "platform")]
    shopify_domain: Option<String>,
    /// Shopify: the app's client id (an app of your organization installed on the shop; the shim
    /// asks Shopify for its tokens). Without it, SHIM_PLATFORM_SECRET holds a fixed access token.
    #[arg(long, requires = "platform")]
    shopify_client_id: Option<String>,
    /// Shopify's payments app (Payments Partners only): its offline access token, with
    /// write_payment_sessions. Prefer the variable.
    #[arg(long, env = "SHIM_SHOPIFY_PAYMENTS_TOKEN", hide_env_values = true)]
    shopify_payments_token: Option<String>,
    /// Shopify's payments app: its client secret, which signs its webhooks. Prefer the variable.
    #[arg(long, env = "SHIM_SHOPIFY_PAYMENTS_SECRET", hide_env_values = true)]
    shopify_payments_secret: Option<String>,
    /// Shopify: the Admin API version (default: the one the shim was built for).
    #[arg(long, requires = "platform")]
    shopify_api_version: Option<String>,
    /// Shopify: the app's client secret (API secret key), which signs app proxy requests and
    /// webhooks, and gets tokens with the client id. Prefer the variable.
    #[arg(long, env = "SHIM_SHOPIFY_API_SECRET", hide_env_values = true)]
    shopify_api_secret: Option<String>,
    /// The platform's API key (WooCommerce: the consumer key, ck_...; PrestaShop: the Webservice
    /// key).
    #[arg(long, requires = "platform")]
    api_key: Option<String>,
    /// PrestaShop: the id of the module's "Awaiting crypto payment" order state.
    #[arg(long, requires = "platform")]
    awaiting_state: Option<u32>,
    /// PrestaShop: the id of the module's "Confirming" order state.
    #[arg(long, requires = "platform")]
    confirming_state: Option<u32>,
    /// The shop's own status names or ids, overriding the defaults: WooCommerce `on_hold`,
    /// `cancelled`, `failed`, `refunded` (e.g. `on_hold=awaiting-crypto`); PrestaShop `paid`,
    /// `canceled`, `error`, `refunded` (state ids); OpenCart `pending`, `confirming`, `paid`,
    /// `complete`, `canceled`, `expired`, `failed`, `refunded` (status ids, as in the extension's
    /// settings). Repeat, or separate with commas.
    #[arg(long = "status", requires = "platform", value_delimiter = ',')]
    statuses: Vec<String>,
    /// The platform's API secret (WooCommerce: cs_...; OpenCart: the secret in the extension's
    /// settings; Shopify: the Admin API access token, shpat_...). Prefer the variable: flags show
    /// up in process lists.
    #[arg(long, env = "SHIM_PLATFORM_SECRET", hide_env_values = true)]
    api_secret: Option<String>,
}

impl PlatformArgs {
    /// The connection these flags describe, checked; `None` without `--platform`.
    fn config(&self) -> anyhow::Result<Option<PlatformConfig>> {
        let Some(platform) = &self.platform else {
            return Ok(None);
        };
        let need = |value: &Option<String>, flag: &str| {
            value
                .clone()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| anyhow::anyhow!("--platform {platform} needs {flag}"))
        };
        let config = match platform.as_str() {
            "woocommerce" => {
                let site = need(&self.site, "--site https://your-shop.example")?;
                let secret = need(
                    &self.api_secret,
                    "the plugin's shared secret (or, with --api-key ck_..., the REST key's consumer secret) in SHIM_PLATFORM_SECRET",
                )?;
                // With a REST key's consumer key, the secret is its consumer secret; without,
                // the plugin's shared secret (its settings show it).
                match self.api_key.clone().filter(|k| !k.trim().is_empty()) {
                    Some(key) => PlatformConfig::Woocommerce {
                        site,
                        secret: None,
                        consumer_key: Some(key),
                        consumer_secret: Some(secret),
                        statuses: Default::default(),
                    },
                    None => PlatformConfig::Woocommerce {
                        site,
                        secret: Some(secret),
                        consumer_key: None,
                        consumer_secret: None,
                        statuses: Default::default(),
                    },
                }
            }
            // With a Webservice key (--api-key), the Webservice; without, the module's route
            // with its shared secret.
            "prestashop" => match self.api_key.clone().filter(|k| !k.trim().is_empty()) {
                Some(key) => PlatformConfig::Prestashop {
                    site: need(&self.site, "--site https://your-shop.example")?,
                    secret: None,
                    key: Some(key),
                    states: shop_adapters::prestashop::transformers::StateMap {
                        awaiting: self.awaiting_state.unwrap_or(0),
                        confirming: self.confirming_state.unwrap_or(0),
                        ..Default::default()
                    },
                },
                None => PlatformConfig::Prestashop {
                    site: need(&self.site, "--site https://your-shop.example")?,
                    secret: Some(need(
                        &self.api_secret,
                        "the module's shared secret in SHIM_PLATFORM_SECRET (or, for the Webservice, --api-key <the Webservice key>)",
                    )?),
                    key: None,
                    states: Default::default(),
                },
            },
            "opencart" => PlatformConfig::Opencart {
                site: need(&self.site, "--site https://your-shop.example")?,
                version: shop_adapters::opencart::transformers::Version::parse(&need(
                    &self.opencart_version,
                    "--opencart-version (Admin > Dashboard shows it, like 4.0.2.3)",
                )?)
                .map_err(anyhow::Error::msg)?,
                secret: need(
                    &self.api_secret,
                    "the extension's shared secret in SHIM_PLATFORM_SECRET (or --api-secret)",
                )?,
                statuses: Default::default(),
            },
            "shopify" => {
                let site = need(&self.site, "--site https://your-shop.myshopify.com")?;
                let host = site
                    .split_once("://")
                    .map_or(site.as_str(), |(_, rest)| rest)
                    .trim_end_matches('/');
                let (shop, admin_url) = match &self.shopify_domain {
                    Some(domain) => (domain.clone(), Some(site.clone())),
                    None => (host.to_owned(), None),
                };
                let access_token = match &self.shopify_client_id {
                    Some(_) => None,
                    None => Some(need(
                        &self.api_secret,
                        "--shopify-client-id (the app's client id), or a fixed Admin API access token in SHIM_PLATFORM_SECRET",
                    )?),
                };
                PlatformConfig::Shopify {
                    shop,
                    client_id: self.shopify_client_id.clone(),
                    access_token,
                    api_secret: need(
                        &self.shopify_api_secret,
                        "the app's client secret in SHIM_SHOPIFY_API_SECRET",
                    )?,
                    api_version: self.shopify_api_version.clone().unwrap_or_else(|| {
                        shop_adapters::shopify::transformers::DEFAULT_API_VERSION.to_owned()
                    }),
                    admin_url,
                    uninstalled_at: None,
                    payments_app: match (
                        &self.shopify_payments_token,
                        &self.shopify_payments_secret,
                    ) {
                        (Some(token), Some(secret)) => {
                            Some(server_shim::platforms::ShopifyPaymentsApp {
                                access_token: token.clone(),
                                api_secret: secret.clone(),
                            })
                        }
                        (None, None) => None,
                        _ => anyhow::bail!(
                            "Shopify's payments app needs both SHIM_SHOPIFY_PAYMENTS_TOKEN and SHIM_SHOPIFY_PAYMENTS_SECRET"
                        ),
                    },
                }
            }
            other => anyhow::bail!("unknown platform {other:?}"),
        };
        let config = with_statuses(config, &self.statuses)?;
        config.validate().map_err(anyhow::Error::msg)?;
        Ok(Some(config))
    }
}

/// `config` with `--status key=value` overrides applied to its status map.
fn with_statuses(config: PlatformConfig, overrides: &[String]) -> anyhow::Result<PlatformConfig> {
    if overrides.is_empty() {
        return Ok(config);
    }
    let mut json = serde_json::to_value(&config)?;
    let field = match config {
        PlatformConfig::Woocommerce { .. } => "statuses",
        PlatformConfig::Prestashop { .. } => "states",
        PlatformConfig::Opencart { .. } => "statuses",
        PlatformConfig::Shopify { .. } => {
            anyhow::bail!("--status: Shopify orders have no status ids to rename")
        }
    };
    for entry in overrides {
        let Some((key, value)) = entry.split_once('=') else {
            anyhow::bail!("--status takes key=value, got {entry:?}");
        };
        let map = json[field]
            .as_object_mut()
            .context("the platform has no status map")?;
        let Some(current) = map.get(key.trim()) else {
            let known: Vec<&String> = map.keys().collect();
            anyhow::bail!("--status {key}: not a status of this platform (one of {known:?})");
        };
        let value = value.trim();
        let parsed = if current.is_number() {
            serde_json::Value::from(value.parse::<u32>().with_context(|| {
                format!("--status {key}: a state id is a number, got {value:?}")
            })?)
        } else {
            serde_json::Value::from(value)
        };
        map.insert(key.trim().to_owned(), parsed);
    }
    Ok(serde_json::from_value(json)?)
}

#[derive(Args)]
struct DatabaseArgs {
    /// sqlite://path (created if missing) or postgres://user@host/db.
    #[arg(long, env = "SHIM_DATABASE_URL", default_value = "sqlite://shim.db")]
    database_url: String,
}

#[derive(Args)]
struct ServeArgs {
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

#[derive(Args)]
struct DemoArgs {
    /// Address to listen on. Only the flag sets it: SHIM_LISTEN is `serve`'s, and a demo started
    /// beside a production shim must not take its address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// The demo keeps its data in memory unless told otherwise (the sandbox always does). Only the
    /// flag sets it: SHIM_DATABASE_URL is `serve`'s, and the demo must not write into it.
    #[arg(long, default_value = "sqlite::memory:")]
    database_url: String,
    /// Directory with the built widget.
    #[arg(long, env = "SHIM_WIDGET_DIR", default_value = "widget/dist")]
    widget_dir: PathBuf,
    /// Keep the in-process sandbox's state in SQLite (e.g. sqlite://sandbox.db); use with a file
    /// --database-url so that the whole demo survives a restart.
    #[arg(long)]
    sandbox_state: Option<String>,
}

#[derive(Args)]
struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: String,
    /// Merchant uuid clients must send (generated when not given).
    #[arg(long)]
    merchant: Option<String>,
    /// Payment key (generated when not given).
    #[arg(long)]
    payment_key: Option<String>,
    /// Payout key (generated when not given).
    #[arg(long)]
    payout_key: Option<String>,
    /// Seed for uuids and addresses, to repeat a run exactly.
    #[arg(long)]
    seed: Option<u64>,
    /// Keep the sandbox's state in SQLite (e.g. sqlite://sandbox.db) so it survives a restart;
    /// in memory when not given.
    #[arg(long)]
    state: Option<String>,
}

#[derive(Subcommand)]
enum ShopsCommand {
    /// Register a shop and print its API token (shown once).
    Add {
        /// A unique name for the shop.
        #[arg(long)]
        name: String,
        /// Where the shim posts signed notices of the shop's invoice changes.
        #[arg(long)]
        callback_url: Option<String>,
        #[command(flatten)]
        platform: PlatformArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Connect (or with --clear disconnect) the shop's platform, whose orders the shim then moves
    /// through its API as invoices change.
    SetPlatform {
        /// The shop's name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        platform: PlatformArgs,
        /// Disconnect the platform.
        #[arg(long, conflicts_with = "platform")]
        clear: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the registered shops.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Let a shop make payouts from the merchant's balance through the API (or stop it with
    /// --off). Payouts also need the payout key (SHIM_PAYOUT_KEY) on `serve`.
    ///
    /// A shop never pays out more than its own ledger holds (what its invoices and deposits
    /// brought in after the gateway's commission, less its payouts and their fees). Each run
    /// sets the caps and addresses anew: none given, no cap and any address.
    AllowPayouts {
        /// The shop's name.
        #[arg(long)]
        name: String,
        /// Stop it instead.
        #[arg(long, conflicts_with_all = ["daily_cap", "address"])]
        off: bool,
        /// The most it may pay out of a coin in any 24 hours, as COIN=AMOUNT (`USDT=500`);
        /// repeat for several coins.
        #[arg(long, value_name = "COIN=AMOUNT")]
        daily_cap: Vec<String>,
        /// The only address it may pay out to; repeat for several.
        #[arg(long, value_name = "ADDRESS")]
        address: Vec<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Give a shop a new API token (shown once); the old one stops working at once.
    RotateToken {
        /// The shop's name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Set (or with --clear remove) where a shop is told of its invoices' changes; prints a new
    /// signing secret (shown once).
    SetCallback {
        /// The shop's name.
        #[arg(long)]
        name: String,
        /// The shop's callback URL (http or https).
        #[arg(long, required_unless_present = "clear")]
        url: Option<String>,
        /// Stop telling the shop.
        #[arg(long, conflicts_with = "url")]
        clear: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Remove a shop that never created an invoice.
    Remove {
        /// The shop's name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn main() -> ExitCode {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // JSON lines for log collectors in production; text for people otherwise.
    match std::env::var("SHIM_LOG_FORMAT").as_deref() {
        Ok("json") => logs.json().with_current_span(true).init(),
        Ok("text") | Err(_) => logs.init(),
        Ok(other) => {
            logs.init();
            tracing::warn!(
                format = other,
                "SHIM_LOG_FORMAT must be text or json; using text"
            );
        }
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down");
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => {
            let file = match &args.config {
                Some(path) => Layer::from_file(path).map_err(anyhow::Error::msg)?,
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
            let settings = given.over(file).settings().map_err(anyhow::Error::msg)?;
            let app = Application::build(&settings).await?;
            println!("server-shim listening on {}", app.url());
            app.run_until(shutdown_signal()).await?;
        }
        Command::Demo(args) => {
            let settings = Settings {
                listen: args.listen,
                database_url: args.database_url,
                public_url: None,
                gateway_url: String::new(),
                merchant_uuid: None,
                payment_key: None,
                payout_key: None,
                widget_dir: args.widget_dir,
                sandbox_state: args.sandbox_state,
                reconcile: ReconcilePolicy::default(),
                outbox: OutboxPolicy::default(),
                rate_limit: server_shim::rate_limit::RateLimit::default(),
                shopify_payments: Default::default(),
                metrics_token: None,
                egress: server_shim::Egress::with_loopback(),
            };
            let app = Application::build_demo(&settings).await?;
            let sandbox = app.demo().map(|demo| demo.sandbox.clone());
            println!("demo store: {}/", app.url());
            if let Some(demo) = app.demo() {
                println!("demo shop token: {}", demo.shop_token);
                println!(
                    "pay button example (another origin): {}/",
                    demo.examples_url
                );
                println!(
                    "sandbox: {}/cryptomus (merchant {})",
                    app.url(),
                    demo.sandbox.config().merchant
                );
            }
            println!("press Ctrl-C to stop");
            app.run_until(shutdown_signal()).await?;
            if let Some(sandbox) = sandbox {
                sandbox
                    .persist_now()
                    .await
                    .context("cannot save the sandbox state")?;
            }
        }
        Command::Sandbox(args) => {
            let listener = tokio::net::TcpListener::bind(&args.listen)
                .await
                .with_context(|| format!("cannot listen on {}", args.listen))?;
            let addr = listener.local_addr()?;
            let url = format!("http://{addr}");
            let mut config = SandboxConfig::generate(url.clone());
            let given_identity = args.merchant.is_some()
                || args.payment_key.is_some()
                || args.payout_key.is_some()
                || args.seed.is_some();
            if let Some(m) = args.merchant {
                config.merchant = MerchantId::new(m);
            }
            if let Some(k) = args.payment_key {
                config.payment_key = ApiKey::new(k);
            }
            if let Some(k) = args.payout_key {
                config.payout_key = ApiKey::new(k);
            }
            if let Some(seed) = args.seed {
                config.seed = seed;
            }
            // A restarted sandbox keeps its stored identity unless told another on the command line.
            let keep_identity = !given_identity;
            let sandbox = match &args.state {
                Some(url) => Sandbox::open(config, url, keep_identity)
                    .await
                    .context("cannot open the sandbox state")?,
                None => Sandbox::new(config),
            };
            let config = sandbox.config();
            println!("sandbox listening on {url}");
            println!("merchant: {}", config.merchant);
            // The sandbox's keys are test keys the operator needs to configure clients.
            println!(
                "payment key: {}",
                secrecy::ExposeSecret::expose_secret(config.payment_key.expose())
            );
            println!(
                "payout key: {}",
                secrecy::ExposeSecret::expose_secret(config.payout_key.expose())
            );
            sandbox.spawn_expiry();
            axum::serve(listener, cryptomus_sandbox::router(sandbox.clone()))
                .with_graceful_shutdown(shutdown_signal())
                .await?;
            sandbox
                .persist_now()
                .await
                .context("cannot save the sandbox state")?;
        }
        Command::Migrate(args) => {
            let store = Store::connect(&args.database_url).await?;
            store.migrate().await?;
            println!("database migrated ({})", store.backend());
        }
        Command::Shops { command } => match command {
            ShopsCommand::Add {
                name,
                callback_url,
                platform,
                database,
            } => {
                let name = name.trim().to_owned();
                if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
                    anyhow::bail!("--name must be 1 to 100 characters without control characters");
                }
                // Checked before anything is written.
                let platform = platform.config()?;
                let store = open_store(&database).await?;
                let token = ShopToken::generate()?;
                let id = ShopId(format!("shop_{}", hex_id()?));
                store
                    .create_shop(
                        &Shop {
                            id,
                            name: name.clone(),
                        },
                        &token.hash(),
                        server_shim::checkout::now(),
                    )
                    .await?;
                println!("shop {name:?} added");
                println!("shop token: {}", token.reveal());
                if let Some(url) = callback_url {
                    let secret = set_callback(&store, &name, &url).await?;
                    println!("callback secret: {secret}");
                }
                if let Some(config) = platform {
                    store.set_shop_platform(&name, Some(&config)).await?;
                    println!("connected to {}", config.name());
                }
                println!("(shown once: store it in the shop plugin's settings)");
            }
            ShopsCommand::SetPlatform {
                name,
                platform,
                clear,
                database,
            } => {
                let config = platform.config()?;
                if config.is_none() && !clear {
                    anyhow::bail!("give --platform (with --site and --api-key) or --clear");
                }
                let store = open_store(&database).await?;
                if !store.set_shop_platform(&name, config.as_ref()).await? {
                    anyhow::bail!("no shop named {name:?} (see `server-shim shops list`)");
                }
                match config {
                    Some(config) => println!("shop {name:?} connected to {}", config.name()),
                    None => println!("shop {name:?} disconnected from its platform"),
                }
            }
            ShopsCommand::List { database } => {
                let store = open_store(&database).await?;
                println!("id\tname\tplatform\tcallback\tpayouts");
                for shop in store.list_shops().await? {
                    let platform = match store.shop_platform(&shop.id).await {
                        Ok(Some(config)) => config.describe(),
                        Ok(None) => "-".into(),
                        Err(StoreError::Corrupt(_)) => "unreadable settings".into(),
                        Err(e) => return Err(e.into()),
                    };
                    // Only where callbacks go: a URL may carry a key in its path or query.
                    let callback = store.shop_callback(&shop.id).await?.map(|(url, _)| {
                        reqwest::Url::parse(&url)
                            .map_or_else(|_| "set".into(), |url| url.origin().ascii_serialization())
                    });
                    let payouts = store.payout_permission(&shop.id).await?;
                    println!(
                        "{}\t{}\t{platform}\t{}\t{}",
                        shop.id.0,
                        shop.name,
                        callback.as_deref().unwrap_or("-"),
                        payouts.map_or_else(|| "-".into(), |p| describe_policy(&p))
                    );
                }
            }
            ShopsCommand::AllowPayouts {
                name,
                off,
                daily_cap,
                address,
                database,
            } => {
                let policy = payout_policy(&daily_cap, &address)?;
                let store = open_store(&database).await?;
                if !store.set_payouts_allowed(&name, !off).await?
                    || !store.set_payout_policy(&name, &policy).await?
                {
                    anyhow::bail!("no shop named {name:?} (see `server-shim shops list`)");
                }
                if off {
                    println!("shop {name:?} may no longer make payouts");
                } else {
                    println!(
                        "shop {name:?} may make payouts (POST /v1/payouts) within its ledger: {}; `serve` needs SHIM_PAYOUT_KEY",
                        describe_policy(&policy)
                    );
                }
            }
            ShopsCommand::RotateToken { name, database } => {
                let store = open_store(&database).await?;
                let token = ShopToken::generate()?;
                if !store.rotate_shop_token(&name, &token.hash()).await? {
                    anyhow::bail!("no shop named {name:?} (see `server-shim shops list`)");
                }
                println!("shop {name:?} has a new token; the old one no longer works");
                println!("shop token: {}", token.reveal());
                println!("(shown once: store it in the shop plugin's settings)");
            }
            ShopsCommand::SetCallback {
                name,
                url,
                clear,
                database,
            } => {
                let store = open_store(&database).await?;
                match url.filter(|_| !clear) {
                    Some(url) => {
                        let secret = set_callback(&store, &name, &url).await?;
                        println!("shop {name:?} is told of changes at {url}");
                        println!("callback secret: {secret}");
                        println!("(shown once: the shop checks X-Checkout-Signature with it)");
                    }
                    None => {
                        if !store.set_shop_callback(&name, None).await? {
                            anyhow::bail!("no shop named {name:?} (see `server-shim shops list`)");
                        }
                        println!("shop {name:?} is no longer told of changes");
                    }
                }
            }
            ShopsCommand::Remove { name, database } => {
                let store = open_store(&database).await?;
                match store.remove_shop(&name).await? {
                    None => anyhow::bail!("no shop named {name:?} (see `server-shim shops list`)"),
                    Some(0) => println!("shop {name:?} removed"),
                    Some(n) => anyhow::bail!(
                        "shop {name:?} has {n} invoice(s) and is kept for the record; \
                         `server-shim shops rotate-token --name {name:?}` locks it out instead"
                    ),
                }
            }
        },
        Command::Outbox { command } => match command {
            OutboxCommand::List {
                status,
                limit,
                events: true,
                database,
            } => {
                let store = open_store(&database).await?;
                println!("id\tstatus\tattempts\tkind\tsubject\ttells of\tlast error");
                for job in store
                    .event_callbacks(status.as_deref(), limit.clamp(1, 10_000))
                    .await?
                {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        job.id,
                        job.status,
                        job.attempts,
                        job.kind,
                        job.subject,
                        job.subject_status,
                        job.last_error.unwrap_or_default()
                    );
                }
            }
            OutboxCommand::List {
                status,
                limit,
                events: false,
                database,
            } => {
                let store = open_store(&database).await?;
                println!("id\tstatus\tattempts\tinvoice\tversion\tlast error");
                for job in store
                    .jobs(status.as_deref(), limit.clamp(1, 10_000))
                    .await?
                {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        job.id,
                        job.status,
                        job.attempts,
                        job.invoice_id,
                        job.version,
                        job.last_error.unwrap_or_default()
                    );
                }
            }
            OutboxCommand::Replay {
                id,
                events,
                database,
            } => {
                let store = open_store(&database).await?;
                let now = server_shim::checkout::now();
                let (found, list) = if events {
                    (
                        store.replay_event_callback(id, now).await?,
                        "outbox list --events",
                    )
                } else {
                    (store.replay_job(id, now).await?, "outbox list")
                };
                if !found {
                    anyhow::bail!("no callback with id {id} (see `server-shim {list}`)");
                }
                println!("callback {id} will be sent again by the running shim");
            }
        },
        Command::Wallets { command } => match command {
            WalletsCommand::List { customer, shop } => {
                let (store, owner) = shop.open().await?;
                println!("id\tcustomer\tcoin\taddress\tblocked\tcredited\tdeposits");
                for wallet in store.wallets(&owner.id, customer.as_deref()).await? {
                    let deposits = store.deposits(&wallet.id).await?;
                    let credited: rust_decimal::Decimal = deposits
                        .iter()
                        .filter(|d| d.credited)
                        .map(|d| d.merchant_amount)
                        .sum();
                    println!(
                        "{}\t{}\t{} {}\t{}\t{}\t{}\t{}",
                        wallet.id,
                        wallet.customer,
                        wallet.currency,
                        wallet.network,
                        wallet
                            .address
                            .as_deref()
                            .unwrap_or("(not made at the gateway)"),
                        if wallet.blocked { "yes" } else { "no" },
                        credited.normalize(),
                        deposits.len()
                    );
                }
            }
            WalletsCommand::Show { id, database } => {
                let store = open_store(&database).await?;
                let Some(wallet) = store.wallet(&id).await? else {
                    anyhow::bail!("no wallet {id:?} (see `server-shim wallets list --shop ...`)");
                };
                println!(
                    "{} of {}: {} {} at {}{}",
                    wallet.id,
                    wallet.customer,
                    wallet.currency,
                    wallet.network,
                    wallet
                        .address
                        .as_deref()
                        .unwrap_or("(not made at the gateway)"),
                    if wallet.blocked { " (blocked)" } else { "" }
                );
                println!("deposit\ttxid\tamount\tcredited amount\tstatus\tcredited");
                for deposit in store.deposits(&wallet.id).await? {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        deposit.gateway_uuid,
                        deposit.txid.as_deref().unwrap_or("-"),
                        deposit.amount.normalize(),
                        deposit.merchant_amount.normalize(),
                        deposit.status,
                        if deposit.credited { "yes" } else { "no" }
                    );
                }
            }
        },
        Command::Payouts { command } => match command {
            PayoutsCommand::List { shop } => {
                let (store, owner) = shop.open().await?;
                println!("id\torder\tamount\taddress\tfee from\tstatus\ttxid");
                for payout in store.payouts(&owner.id).await? {
                    println!(
                        "{}\t{}\t{} {} ({})\t{}\t{}\t{}{}\t{}",
                        payout.id,
                        payout.order_id,
                        payout.amount.normalize(),
                        payout.currency,
                        payout.network,
                        payout.address,
                        if payout.is_subtract {
                            "balance"
                        } else {
                            "amount"
                        },
                        payout.status,
                        if payout.is_final { " (final)" } else { "" },
                        payout.txid.as_deref().unwrap_or("-")
                    );
                }
            }
        },
        Command::Links { command } => match command {
            LinksCommand::Create {
                amount,
                currency,
                description,
                reusable,
                expires_in_hours,
                shop,
            } => {
                let (store, owner) = shop.open().await?;
                let request = server_shim::links::NewLinkRequest {
                    amount,
                    currency,
                    description,
                    reusable,
                    expires_in_seconds: expires_in_hours.map(|h| h.saturating_mul(3600)),
                };
                let link =
                    server_shim::links::new_link(&owner, request, server_shim::checkout::now())
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                store.create_link(&link).await?;
                println!("link {} for {} {}", link.id, link.amount, link.currency);
                println!("url: {}", shop.url(&link.id));
            }
            LinksCommand::List { shop } => {
                let (store, owner) = shop.open().await?;
                println!("id\tkind\tprice\tenabled\tuses\tdescription\turl");
                for link in store.links(&owner.id).await? {
                    println!(
                        "{}\t{}\t{} {}\t{}\t{}\t{}\t{}",
                        link.id,
                        if link.reusable { "reusable" } else { "once" },
                        link.amount,
                        link.currency,
                        if link.enabled { "yes" } else { "no" },
                        link.uses,
                        link.description,
                        shop.url(&link.id)
                    );
                }
            }
            LinksCommand::Disable { id, shop } => {
                set_enabled(Offer::Link, &shop, &id, false).await?
            }
            LinksCommand::Enable { id, shop } => set_enabled(Offer::Link, &shop, &id, true).await?,
        },
        Command::Buttons { command } => match command {
            ButtonsCommand::Create {
                amount,
                currency,
                description,
                origins,
                url_success,
                shop,
            } => {
                let (store, owner) = shop.open().await?;
                let request = server_shim::buttons::NewButtonRequest {
                    amount,
                    currency,
                    description,
                    allowed_origins: origins,
                    url_success,
                };
                let button =
                    server_shim::buttons::new_button(&owner, request, server_shim::checkout::now())
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                store.create_button(&button).await?;
                println!(
                    "button {} for {} {} on {}",
                    button.id,
                    button.amount,
                    button.currency,
                    button.allowed_origins.join(", ")
                );
                println!("paste into your page: {}", shop.snippet(&button.id));
            }
            ButtonsCommand::List { shop } => {
                let (store, owner) = shop.open().await?;
                println!("id\tprice\tenabled\tuses\torigins\tdescription");
                for button in store.buttons(&owner.id).await? {
                    println!(
                        "{}\t{} {}\t{}\t{}\t{}\t{}",
                        button.id,
                        button.amount,
                        button.currency,
                        if button.enabled { "yes" } else { "no" },
                        button.uses,
                        button.allowed_origins.join(","),
                        button.description,
                    );
                }
            }
            ButtonsCommand::Disable { id, shop } => {
                set_enabled(Offer::Button, &shop, &id, false).await?;
            }
            ButtonsCommand::Enable { id, shop } => {
                set_enabled(Offer::Button, &shop, &id, true).await?;
            }
        },
        Command::Webhooks {
            command:
                WebhooksCommand::List {
                    pending,
                    limit,
                    database,
                },
        } => {
            let store = open_store(&database).await?;
            println!("id\treceived\tkind\torder\tstatus\tattempts\toutcome");
            for hook in store.webhooks(pending, limit.clamp(1, 10_000)).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    hook.id,
                    hook.received_at,
                    hook.webhook.kind,
                    hook.webhook.order_id,
                    hook.webhook.gateway_status,
                    hook.attempts,
                    hook.outcome.as_deref().unwrap_or("not processed yet")
                );
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Offer {
    Link,
    Button,
}

/// Disables or enables a shop's link or button, saying what it did.
async fn set_enabled(
    offer: Offer,
    shop: &LinkShopArgs,
    id: &str,
    enabled: bool,
) -> anyhow::Result<()> {
    let (store, owner) = shop.open().await?;
    let (found, what) = match offer {
        Offer::Link => (
            store.set_link_enabled(&owner.id, id, enabled).await?,
            "link",
        ),
        Offer::Button => (
            store.set_button_enabled(&owner.id, id, enabled).await?,
            "button",
        ),
    };
    if !found {
        anyhow::bail!(
            "shop {:?} has no {what} {id:?} (see `server-shim {what}s list`)",
            owner.name
        );
    }
    println!(
        "{what} {id} {}",
        if enabled {
            "takes payments again"
        } else {
            "is disabled"
        }
    );
    Ok(())
}

/// Checks `url` and gives the shop a new callback secret, which it returns.
async fn set_callback(store: &Store, name: &str, url: &str) -> anyhow::Result<String> {
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.len() > 500
        || url.chars().any(char::is_whitespace)
    {
        anyhow::bail!("--url must be an http(s) URL without spaces, got {url:?}");
    }
    let secret = format!(
        "whsec_{}",
        server_shim::domain::random_bytes::<24>().map(hex_bytes)?
    );
    if !store.set_shop_callback(name, Some((url, &secret))).await? {
        anyhow::bail!("no shop named {name:?} (see `server-shim shops list`)");
    }
    Ok(secret)
}

fn hex_bytes(bytes: [u8; 24]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn open_store(database: &DatabaseArgs) -> anyhow::Result<Store> {
    let store = Store::connect(&database.database_url)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                server_shim::app::redact_url(&database.database_url)
            )
        })?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    Ok(store)
}

fn hex_id() -> anyhow::Result<String> {
    let bytes: [u8; 8] = server_shim::domain::random_bytes()?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The payout caps and addresses given to `shops allow-payouts`, checked.
fn payout_policy(caps: &[String], addresses: &[String]) -> anyhow::Result<PayoutPolicy> {
    let mut policy = PayoutPolicy::default();
    for cap in caps {
        let Some((coin, amount)) = cap.split_once('=') else {
            anyhow::bail!("--daily-cap {cap:?} must be COIN=AMOUNT, like USDT=500");
        };
        let coin = server_shim::domain::currency_code("--daily-cap", coin)
            .map_err(|e| anyhow::anyhow!("--daily-cap {cap:?}: {e}"))?;
        let amount = server_shim::domain::parse_amount(amount)
            .map_err(|e| anyhow::anyhow!("--daily-cap {cap:?}: {e}"))?;
        policy
            .daily_caps
            .insert(coin, amount.normalize().to_string());
    }
    for address in addresses {
        let Some(address) = server_shim::domain::address(address) else {
            anyhow::bail!("--address {address:?} is not an address (letters, digits, : _ -)");
        };
        policy.addresses.push(address.to_owned());
    }
    Ok(policy)
}

/// `allowed`, with the caps and addresses of `policy`.
fn describe_policy(policy: &PayoutPolicy) -> String {
    let caps = policy
        .daily_caps
        .iter()
        .map(|(coin, cap)| format!("{cap} {coin}"))
        .collect::<Vec<_>>();
    let mut text = String::from("allowed");
    if !caps.is_empty() {
        text += &format!(", at most {} per 24 hours", caps.join(", "));
    }
    match policy.addresses.len() {
        0 => {}
        1 => text += ", to 1 address",
        n => text += &format!(", to {n} addresses"),
    }
    text
}

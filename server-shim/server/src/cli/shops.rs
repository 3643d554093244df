//! `shops`: the shops allowed to create invoices, their tokens, platforms, callbacks and payout limits.

use super::*;
use clap::{Args, Subcommand};
use server_shim::platforms::PlatformConfig;
use server_shim::services::shops::{BrandRequest, ShopAdmin, ShopAdminError};
use server_shim::store::{PayoutPolicy, Store, StoreError};

#[derive(Subcommand)]
pub(crate) enum ShopsCommand {
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
    /// Set what payers see of a shop on the pay page, link pages, receipts and the widget: its
    /// display name, logo and accent colour. Parts not given stay as they are; `--clear logo`
    /// (or `accent`, `display-name`) removes one.
    Brand {
        /// The shop's name.
        #[arg(long)]
        name: String,
        /// The name payers see (default: the shop's name).
        #[arg(long)]
        display_name: Option<String>,
        /// The colour of buttons and links, `#rrggbb`; refused below a 4.5:1 contrast with white.
        #[arg(long)]
        accent: Option<String>,
        /// A PNG, JPEG or WebP file of at most 256 KB, shown 48 px high.
        #[arg(long, value_name = "FILE")]
        logo: Option<std::path::PathBuf>,
        /// Remove a part: display-name, accent or logo; repeat for several.
        #[arg(long, value_parser = ["display-name", "accent", "logo"])]
        clear: Vec<String>,
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

#[derive(Args)]
pub(crate) struct PlatformArgs {
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
        let config = match platform.as_str() {
            "woocommerce" => {
                let site = self.need(&self.site, "--site https://your-shop.example")?;
                let secret = self.need(
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
                    site: self.need(&self.site, "--site https://your-shop.example")?,
                    secret: None,
                    key: Some(key),
                    states: shop_adapters::prestashop::transformers::StateMap {
                        awaiting: self.awaiting_state.unwrap_or(0),
                        confirming: self.confirming_state.unwrap_or(0),
                        ..Default::default()
                    },
                },
                None => PlatformConfig::Prestashop {
                    site: self.need(&self.site, "--site https://your-shop.example")?,
                    secret: Some(self.need(
                        &self.api_secret,
                        "the module's shared secret in SHIM_PLATFORM_SECRET (or, for the Webservice, --api-key <the Webservice key>)",
                    )?),
                    key: None,
                    states: Default::default(),
                },
            },
            "opencart" => PlatformConfig::Opencart {
                site: self.need(&self.site, "--site https://your-shop.example")?,
                version: shop_adapters::opencart::transformers::Version::parse(&self.need(
                    &self.opencart_version,
                    "--opencart-version (Admin > Dashboard shows it, like 4.0.2.3)",
                )?)
                .map_err(anyhow::Error::msg)?,
                secret: self.need(
                    &self.api_secret,
                    "the extension's shared secret in SHIM_PLATFORM_SECRET (or --api-secret)",
                )?,
                statuses: Default::default(),
            },
            "shopify" => self.shopify()?,
            other => anyhow::bail!("unknown platform {other:?}"),
        };
        let config = with_statuses(config, &self.statuses)?;
        config.validate().map_err(anyhow::Error::msg)?;
        Ok(Some(config))
    }

    /// The value of `flag`, which `--platform` needs.
    fn need(&self, value: &Option<String>, flag: &str) -> anyhow::Result<String> {
        let platform = self.platform.as_deref().unwrap_or_default();
        value
            .clone()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| anyhow::anyhow!("--platform {platform} needs {flag}"))
    }

    /// `--platform shopify`: the Admin API by a client id or a fixed token, and the payments app.
    fn shopify(&self) -> anyhow::Result<PlatformConfig> {
        let site = self.need(&self.site, "--site https://your-shop.myshopify.com")?;
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
            None => Some(self.need(
                &self.api_secret,
                "--shopify-client-id (the app's client id), or a fixed Admin API access token in SHIM_PLATFORM_SECRET",
            )?),
        };
        let config = PlatformConfig::Shopify {
            shop,
            client_id: self.shopify_client_id.clone(),
            access_token,
            api_secret: self.need(
                &self.shopify_api_secret,
                "the app's client secret in SHIM_SHOPIFY_API_SECRET",
            )?,
            api_version: self.shopify_api_version.clone().unwrap_or_else(|| {
                shop_adapters::shopify::transformers::DEFAULT_API_VERSION.to_owned()
            }),
            admin_url,
            uninstalled_at: None,
            payments_app: match (&self.shopify_payments_token, &self.shopify_payments_secret) {
                (Some(token), Some(secret)) => Some(server_shim::platforms::ShopifyPaymentsApp {
                    access_token: token.clone(),
                    api_secret: secret.clone(),
                }),
                (None, None) => None,
                _ => anyhow::bail!(
                    "Shopify's payments app needs both SHIM_SHOPIFY_PAYMENTS_TOKEN and SHIM_SHOPIFY_PAYMENTS_SECRET"
                ),
            },
        };
        Ok(config)
    }
}

/// `config` with `--status key=value` overrides applied to its status map.
pub(crate) fn with_statuses(
    config: PlatformConfig,
    overrides: &[String],
) -> anyhow::Result<PlatformConfig> {
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

/// Checks `url` and gives the shop a new callback secret, which it returns.
pub(crate) async fn set_callback(store: &Store, name: &str, url: &str) -> anyhow::Result<String> {
    ShopAdmin(store)
        .set_callback(name, url)
        .await
        .map_err(admin_error)
}

/// The brand of the shop named `name`.
async fn shop_brand(store: &Store, name: &str) -> anyhow::Result<server_shim::store::Brand> {
    let shop = store
        .list_shops()
        .await?
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| anyhow::anyhow!("no shop named {name:?}"))?;
    Ok(store
        .shop_brand(&shop.id)
        .await?
        .map(|(_, brand)| brand)
        .unwrap_or_default())
}

/// What went wrong, said for the command line.
fn admin_error(e: ShopAdminError) -> anyhow::Error {
    match e {
        ShopAdminError::NotFound(name) => {
            anyhow::anyhow!("no shop named {name:?} (see `server-shim shops list`)")
        }
        ShopAdminError::Invalid(what) => anyhow::anyhow!("{what}"),
        other => other.into(),
    }
}

/// The payout caps and addresses given to `shops allow-payouts`, checked.
pub(crate) fn payout_policy(caps: &[String], addresses: &[String]) -> anyhow::Result<PayoutPolicy> {
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
pub(crate) fn describe_policy(policy: &PayoutPolicy) -> String {
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

pub(crate) async fn run(command: ShopsCommand) -> anyhow::Result<()> {
    match command {
        ShopsCommand::Add {
            name,
            callback_url,
            platform,
            database,
        } => add(&name, callback_url.as_deref(), &platform, &database).await?,
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
        ShopsCommand::List { database } => list(&database).await?,
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
            let token = ShopAdmin(&store)
                .rotate_token(&name)
                .await
                .map_err(admin_error)?;
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
        ShopsCommand::Brand {
            name,
            display_name,
            accent,
            logo,
            clear,
            database,
        } => {
            let cleared = |part: &str| clear.iter().any(|c| c == part);
            let logo = match logo {
                Some(path) => Some(std::fs::read(&path).map_err(|e| {
                    anyhow::anyhow!("cannot read the logo {}: {e}", path.display())
                })?),
                None => cleared("logo").then(Vec::new),
            };
            // An empty text or image is a removal (see `BrandRequest`).
            let display_name = display_name.or_else(|| cleared("display-name").then(String::new));
            let accent = accent.or_else(|| cleared("accent").then(String::new));
            if display_name.is_none() && accent.is_none() && logo.is_none() {
                anyhow::bail!("say what to set: --display-name, --accent or --logo");
            }
            let store = open_store(&database).await?;
            let request = BrandRequest {
                display_name,
                accent_color: accent,
                logo,
            };
            ShopAdmin(&store)
                .set_brand(&name, request)
                .await
                .map_err(admin_error)?;
            let brand = shop_brand(&store, &name).await?;
            println!(
                "shop {name:?} shows payers: name {:?}, accent {}, logo {}",
                brand.display_name.as_deref().unwrap_or(&name),
                brand
                    .accent_color
                    .as_deref()
                    .unwrap_or("(the widget's own)"),
                brand.logo_type.as_deref().unwrap_or("none"),
            );
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
    }
    Ok(())
}

/// `shops add`: registers a shop and prints its token (once).
async fn add(
    name: &str,
    callback_url: Option<&str>,
    platform: &PlatformArgs,
    database: &DatabaseArgs,
) -> anyhow::Result<()> {
    // Checked before anything is written.
    let platform = platform.config()?;
    let store = open_store(database).await?;
    let (shop, token) = ShopAdmin(&store).add(name).await.map_err(admin_error)?;
    let name = shop.name;
    println!("shop {name:?} added");
    println!("shop token: {}", token.reveal());
    if let Some(url) = callback_url {
        let secret = set_callback(&store, &name, url).await?;
        println!("callback secret: {secret}");
    }
    if let Some(config) = platform {
        store.set_shop_platform(&name, Some(&config)).await?;
        println!("connected to {}", config.name());
    }
    println!("(shown once: store it in the shop plugin's settings)");
    Ok(())
}

/// `shops list`: every shop, its platform, where its callbacks go and its payout limits.
async fn list(database: &DatabaseArgs) -> anyhow::Result<()> {
    let store = open_store(database).await?;
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
    Ok(())
}

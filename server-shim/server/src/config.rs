//! `serve`'s settings, in layers: a TOML file (`--config` / `SHIM_CONFIG`), then `SHIM_*`
//! environment variables, then command-line flags, each overriding the one before; defaults fill
//! what none of them gives. Every problem is reported with what to fix.

use crate::app::Settings;
use crate::outbox::OutboxPolicy;
use crate::rate_limit::RateLimit;
use crate::services::ReconcilePolicy;
use crate::shopify_tls::ShopifyPayments;
use secrecy::SecretString;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The settings a file, the environment or flags may give. `None`: not given at this layer.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// `HOST:PORT`.
    pub listen: Option<String>,
    /// `sqlite://...` or `postgres://...`.
    pub database_url: Option<String>,
    /// Where the gateway and payers reach the shim.
    pub public_url: Option<String>,
    /// The gateway's API base URL.
    pub gateway_url: Option<String>,
    /// The merchant uuid.
    pub merchant_uuid: Option<String>,
    /// The payment key (better in the environment than in a file).
    pub payment_key: Option<String>,
    /// The payout key (the same).
    pub payout_key: Option<String>,
    /// The bearer token `/metrics` asks for (the same).
    pub metrics_token: Option<String>,
    /// The built widget.
    pub widget_dir: Option<PathBuf>,
    /// Seconds between reconciliation passes.
    pub reconcile_seconds: Option<u64>,
    /// Requests per second a client may make to the public endpoints.
    pub rate_limit_per_second: Option<u32>,
    /// Requests a client may make in a burst.
    pub rate_limit_burst: Option<u32>,
    /// Live streams one client may hold open.
    pub streams_per_client: Option<u32>,
    /// Live streams the shim holds open in all.
    pub streams_total: Option<u32>,
    /// Webhooks per second one source address may send.
    pub ipn_rate_limit_per_second: Option<u32>,
    /// Seconds a claimed callback stays hidden from other shims (renewed while it is sent).
    pub outbox_lease_seconds: Option<u64>,
    /// Proxies whose `X-Forwarded-For` is believed (addresses).
    pub trusted_proxies: Option<Vec<String>>,
    /// Where webhooks may come from (addresses or CIDR networks); anywhere when not given.
    pub ipn_allowlist: Option<Vec<String>>,
    /// Private hosts the shim may call on a shop's behalf (names, addresses or networks): a shop
    /// on the shim's own network. Public addresses are always allowed.
    pub allowed_private_hosts: Option<Vec<String>>,
    /// Shopify's payments app: a listener of its own, `HOST:PORT`, with TLS and Shopify's client
    /// certificate required.
    pub shopify_payments_listen: Option<String>,
    /// Its certificate chain (PEM).
    pub shopify_payments_cert: Option<PathBuf>,
    /// Its private key (PEM).
    pub shopify_payments_key: Option<PathBuf>,
    /// The CA of Shopify's client certificates (PEM).
    pub shopify_client_ca: Option<PathBuf>,
    /// Shopify's payments app on the main listener, a proxy in front checking Shopify's client
    /// certificate.
    pub shopify_payments_behind_proxy: Option<bool>,
}

impl Layer {
    /// Reads a TOML file; the error names the file, the line and what is wrong.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
    }

    /// This layer over `below`: what this one gives wins.
    pub fn over(self, below: Layer) -> Layer {
        Layer {
            listen: self.listen.or(below.listen),
            database_url: self.database_url.or(below.database_url),
            public_url: self.public_url.or(below.public_url),
            gateway_url: self.gateway_url.or(below.gateway_url),
            merchant_uuid: self.merchant_uuid.or(below.merchant_uuid),
            payment_key: self.payment_key.or(below.payment_key),
            payout_key: self.payout_key.or(below.payout_key),
            metrics_token: self.metrics_token.or(below.metrics_token),
            widget_dir: self.widget_dir.or(below.widget_dir),
            reconcile_seconds: self.reconcile_seconds.or(below.reconcile_seconds),
            rate_limit_per_second: self.rate_limit_per_second.or(below.rate_limit_per_second),
            rate_limit_burst: self.rate_limit_burst.or(below.rate_limit_burst),
            streams_per_client: self.streams_per_client.or(below.streams_per_client),
            streams_total: self.streams_total.or(below.streams_total),
            ipn_rate_limit_per_second: self
                .ipn_rate_limit_per_second
                .or(below.ipn_rate_limit_per_second),
            outbox_lease_seconds: self.outbox_lease_seconds.or(below.outbox_lease_seconds),
            trusted_proxies: self.trusted_proxies.or(below.trusted_proxies),
            allowed_private_hosts: self.allowed_private_hosts.or(below.allowed_private_hosts),
            ipn_allowlist: self.ipn_allowlist.or(below.ipn_allowlist),
            shopify_payments_listen: self
                .shopify_payments_listen
                .or(below.shopify_payments_listen),
            shopify_payments_cert: self.shopify_payments_cert.or(below.shopify_payments_cert),
            shopify_payments_key: self.shopify_payments_key.or(below.shopify_payments_key),
            shopify_client_ca: self.shopify_client_ca.or(below.shopify_client_ca),
            shopify_payments_behind_proxy: self
                .shopify_payments_behind_proxy
                .or(below.shopify_payments_behind_proxy),
        }
    }

    /// The settings, with defaults for what no layer gave. Required values are checked when the
    /// service is built, which names the variable to set.
    pub fn settings(self) -> Result<Settings, String> {
        let reconcile_seconds = self.reconcile_seconds.unwrap_or(30);
        let outbox_lease_seconds = self.outbox_lease_seconds.unwrap_or(60);
        if !(3..=3600).contains(&outbox_lease_seconds) {
            return Err(format!(
                "outbox_lease_seconds must be between 3 and 3600, got {outbox_lease_seconds}"
            ));
        }
        if reconcile_seconds > 3600 {
            return Err(format!(
                "reconcile_seconds must be between 0 (no reconciler) and 3600, got {reconcile_seconds}"
            ));
        }
        if let Some(url) = self.gateway_url.as_deref()
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(format!(
                "gateway_url must start with http:// or https://, got {url:?}"
            ));
        }
        let rate_limit = self.rate_limit()?;
        let shopify_payments = self.shopify_payments()?;
        Ok(Settings {
            listen: self.listen.unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url: self
                .database_url
                .unwrap_or_else(|| "sqlite://shim.db".into()),
            public_url: self.public_url,
            gateway_url: self
                .gateway_url
                .unwrap_or_else(|| shim_gateway::client::CRYPTOMUS_API_URL.into()),
            merchant_uuid: self.merchant_uuid,
            payment_key: self.payment_key.map(SecretString::from),
            payout_key: self.payout_key.map(SecretString::from),
            egress: shop_adapters::egress::Egress::allowing(
                &self.allowed_private_hosts.unwrap_or_default(),
            )
            .map_err(|e| format!("allowed_private_hosts (SHIM_ALLOWED_PRIVATE_HOSTS): {e}"))?,
            metrics_token: match self.metrics_token {
                Some(token) if token.trim().len() < 16 => {
                    return Err("metrics_token (SHIM_METRICS_TOKEN) must be at least 16 characters: make one with `openssl rand -hex 24`".into());
                }
                token => token.map(SecretString::from),
            },
            widget_dir: self.widget_dir.unwrap_or_else(|| "widget/dist".into()),
            sandbox_state: None,
            reconcile: ReconcilePolicy {
                every: Duration::from_secs(reconcile_seconds),
                min_recheck: reconcile_seconds as i64,
                ..ReconcilePolicy::default()
            },
            outbox: OutboxPolicy {
                lease: Duration::from_secs(outbox_lease_seconds),
                ..OutboxPolicy::default()
            },
            rate_limit,
            shopify_payments,
        })
    }

    /// The per-client limits and the sources the webhook route takes.
    fn rate_limit(&self) -> Result<RateLimit, String> {
        let defaults = RateLimit::default();
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .flatten()
            .map(|p| {
                p.trim()
                    .parse()
                    .map_err(|_| format!("trusted_proxies: {p:?} is not an IP address"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let webhook_sources = self
            .ipn_allowlist
            .iter()
            .flatten()
            .map(|source| {
                let source = source.trim();
                source
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| source.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        format!(
                            "ipn_allowlist: {source:?} is not an IP address or network (like 91.227.144.54 or 10.0.0.0/8)"
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rate_limit = RateLimit {
            per_second: self.rate_limit_per_second.unwrap_or(defaults.per_second),
            burst: self.rate_limit_burst.unwrap_or(defaults.burst),
            streams_per_client: self
                .streams_per_client
                .unwrap_or(defaults.streams_per_client),
            streams_total: self.streams_total.unwrap_or(defaults.streams_total),
            webhook_per_second: self
                .ipn_rate_limit_per_second
                .unwrap_or(defaults.webhook_per_second),
            webhook_burst: self
                .ipn_rate_limit_per_second
                .map_or(defaults.webhook_burst, |rate| rate.saturating_mul(10)),
            trusted_proxies,
            webhook_sources,
            ..defaults
        };
        if rate_limit.per_second == 0 || rate_limit.burst == 0 {
            return Err("rate_limit_per_second and rate_limit_burst must be at least 1".into());
        }
        if rate_limit.streams_per_client == 0 || rate_limit.streams_total == 0 {
            return Err("streams_per_client and streams_total must be at least 1 (the widget falls back to polling beyond them)".into());
        }
        if rate_limit.webhook_per_second == 0 {
            return Err("ipn_rate_limit_per_second must be at least 1".into());
        }
        Ok(rate_limit)
    }

    /// Shopify's payments app listener: off, behind a proxy, or with its own mutual TLS.
    fn shopify_payments(&self) -> Result<ShopifyPayments, String> {
        Ok(
            match (
                self.shopify_payments_listen.clone(),
                self.shopify_payments_cert.clone(),
                self.shopify_payments_key.clone(),
                self.shopify_client_ca.clone(),
                self.shopify_payments_behind_proxy.unwrap_or(false),
            ) {
                (None, None, None, None, false) => ShopifyPayments::Off,
                (Some(listen), None, None, None, true) => ShopifyPayments::BehindProxy { listen },
                (None, _, _, _, true) => {
                    return Err("shopify_payments_behind_proxy needs shopify_payments_listen: a loopback or private address your proxy forwards Shopify's requests to".into());
                }
                (Some(listen), Some(cert), Some(key), Some(client_ca), false) => {
                    ShopifyPayments::Tls {
                        listen,
                        cert,
                        key,
                        client_ca,
                    }
                }
                (.., true) => {
                    return Err("shopify_payments_behind_proxy leaves TLS to the proxy: leave out shopify_payments_cert, _key and shopify_client_ca, or turn it off".into());
                }
                _ => {
                    return Err("Shopify's payments app listener needs all of shopify_payments_listen, shopify_payments_cert, shopify_payments_key and shopify_client_ca".into());
                }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn file(text: &str) -> Result<Layer, String> {
        let path = std::env::temp_dir().join(format!(
            "shim-config-{}-{}.toml",
            std::process::id(),
            text.len()
        ));
        std::fs::write(&path, text).unwrap();
        let layer = Layer::from_file(&path);
        std::fs::remove_file(&path).unwrap();
        layer
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_file() {
        let from_file = file("listen = \"0.0.0.0:9000\"\npublic_url = \"https://file.example\"\nreconcile_seconds = 60\n").unwrap();
        let from_env = Layer {
            public_url: Some("https://env.example".into()),
            payment_key: Some("k".into()),
            ..Layer::default()
        };
        let from_flags = Layer {
            listen: Some("127.0.0.1:1".into()),
            ..Layer::default()
        };
        let settings = from_flags
            .over(from_env.over(from_file))
            .settings()
            .unwrap();
        assert_eq!(settings.listen, "127.0.0.1:1");
        assert_eq!(settings.public_url.as_deref(), Some("https://env.example"));
        assert_eq!(settings.reconcile.every, Duration::from_secs(60));
        assert_eq!(settings.payment_key.unwrap().expose_secret(), "k");
        assert_eq!(
            settings.database_url, "sqlite://shim.db",
            "a default fills the gap"
        );
    }

    #[test]
    fn shopifys_payments_app_is_off_behind_a_proxy_or_on_its_own_tls_listener() {
        let settings = |text: &str| file(text).unwrap().settings();
        assert_eq!(settings("").unwrap().shopify_payments, ShopifyPayments::Off);
        assert_eq!(
            settings(
                "shopify_payments_behind_proxy = true\nshopify_payments_listen = \"127.0.0.1:8444\"\n"
            )
            .unwrap()
            .shopify_payments,
            ShopifyPayments::BehindProxy {
                listen: "127.0.0.1:8444".into()
            }
        );
        let no_listener = settings("shopify_payments_behind_proxy = true\n").unwrap_err();
        assert!(
            no_listener.contains("needs shopify_payments_listen"),
            "{no_listener}"
        );
        let tls = "shopify_payments_listen = \"0.0.0.0:8443\"\nshopify_payments_cert = \"c.pem\"\n\
                   shopify_payments_key = \"k.pem\"\nshopify_client_ca = \"ca.pem\"\n";
        assert!(matches!(
            settings(tls).unwrap().shopify_payments,
            ShopifyPayments::Tls { .. }
        ));
        let partial = settings("shopify_payments_listen = \"0.0.0.0:8443\"\n").unwrap_err();
        assert!(partial.contains("needs all of"), "{partial}");
        let both = settings(&format!("{tls}shopify_payments_behind_proxy = true\n")).unwrap_err();
        assert!(both.contains("leaves TLS to the proxy"), "{both}");
    }

    #[test]
    fn private_hosts_are_names_addresses_or_networks() {
        let settings = |text: &str| file(text).unwrap().settings();
        assert!(
            settings(
                "allowed_private_hosts = [\"shop.internal\", \"10.0.0.0/8\", \"192.168.1.5\"]\n"
            )
            .is_ok()
        );
        let bad = settings("allowed_private_hosts = [\"http://shop\"]\n").unwrap_err();
        assert!(bad.contains("SHIM_ALLOWED_PRIVATE_HOSTS"), "{bad}");
    }

    #[test]
    fn a_metrics_token_is_long_enough_and_never_shown() {
        let settings = |text: &str| file(text).unwrap().settings();
        assert!(settings("").unwrap().metrics_token.is_none());
        let short = settings("metrics_token = \"abc\"\n").unwrap_err();
        assert!(short.contains("SHIM_METRICS_TOKEN"), "{short}");
        let set = settings("metrics_token = \"0123456789abcdef-metrics\"\n").unwrap();
        assert!(set.metrics_token.is_some());
        assert!(!format!("{set:?}").contains("-metrics"));
    }

    #[test]
    fn file_mistakes_say_where_and_what() {
        let unknown = file("lisen = \"x\"\n").unwrap_err();
        assert!(
            unknown.contains("lisen") && unknown.contains("line 1"),
            "{unknown}"
        );
        let wrong_type = file("reconcile_seconds = \"often\"\n").unwrap_err();
        assert!(wrong_type.contains("reconcile_seconds"), "{wrong_type}");
        let missing = Layer::from_file(Path::new("/nonexistent/shim.toml")).unwrap_err();
        assert!(
            missing.contains("cannot read the config file /nonexistent/shim.toml"),
            "{missing}"
        );
        let range = Layer {
            reconcile_seconds: Some(3601),
            ..Layer::default()
        }
        .settings()
        .unwrap_err();
        assert!(
            range.contains("reconcile_seconds must be between 0 (no reconciler) and 3600"),
            "{range}"
        );
        let lease = Layer {
            outbox_lease_seconds: Some(1),
            ..Layer::default()
        }
        .settings()
        .unwrap_err();
        assert!(
            lease.contains("outbox_lease_seconds must be between 3 and 3600"),
            "{lease}"
        );
        let sources = file("ipn_allowlist = [\"91.227.144.54\", \"10.0.0.0/8\"]\n")
            .unwrap()
            .settings()
            .unwrap();
        assert_eq!(sources.rate_limit.webhook_sources.len(), 2);
        let bad_source = file("ipn_allowlist = [\"cryptomus.com\"]\n")
            .unwrap()
            .settings()
            .unwrap_err();
        assert!(
            bad_source.contains("ipn_allowlist: \"cryptomus.com\" is not an IP address"),
            "{bad_source}"
        );
    }
}

//! The shop platform a shop may be connected to: stored with the shop (credentials included,
//! never logged), turned into an adapter that the outbox uses to move the shop's orders.

use serde::{Deserialize, Serialize};
use shop_adapters::egress::Egress;
use shop_adapters::opencart::OpenCart;
use shop_adapters::opencart::transformers::{StatusMap as OpenCartStatuses, Version};
use shop_adapters::platform::{AdapterError, PaymentFacts, Platform as _, ShopOrder, Synced, sync};
use shop_adapters::plugin_route::PluginRoute;
use shop_adapters::prestashop::PrestaShop;
use shop_adapters::prestashop::transformers::StateMap;
use shop_adapters::shopify::transformers::{DEFAULT_API_VERSION, is_shop_domain};
use shop_adapters::shopify::{Access, Shopify};
use shop_adapters::woocommerce::WooCommerce;
use shop_adapters::woocommerce::transformers::StatusMap;

/// A shop's platform and how to reach it. `Debug` hides the credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "platform", rename_all = "lowercase", deny_unknown_fields)]
pub enum PlatformConfig {
    /// WooCommerce: our plugin's signed route (`secret`, what the plugin's "connect this shop"
    /// sets up), or, for shops connected before it had one, the REST API v3 with a read/write key
    /// pair (`consumer_key` and `consumer_secret`).
    Woocommerce {
        /// The site: WordPress's home URL (`https://shop.example`).
        site: String,
        /// The secret shared with the plugin.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
        /// `ck_...`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consumer_key: Option<String>,
        /// `cs_...`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consumer_secret: Option<String>,
        /// The shop's own status names, if it renamed any (REST only: the plugin knows its own).
        #[serde(default)]
        statuses: StatusMap,
    },
    /// PrestaShop: our module's signed route (`secret`, what the module's "Connect this shop"
    /// sets up), or, for shops connected before it had one, the Webservice with a key allowed
    /// orders, currencies, order histories and messages (`key`, with the module's state ids).
    Prestashop {
        /// The shop (`https://shop.example`).
        site: String,
        /// The secret shared with the module.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
        /// The Webservice key (32 letters and digits).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        /// The shop's order state ids (Webservice only: the module knows its own).
        #[serde(default)]
        states: StateMap,
    },
    /// OpenCart with our extension, whose two routes the shim calls, signed with a shared secret.
    Opencart {
        /// The shop (`https://shop.example`, where its `index.php` is).
        site: String,
        /// The routes' flavour: `3`, `4.0.0` (4.0.0 and 4.0.1) or `4.0.2` (and later).
        version: Version,
        /// The secret shared with the extension's settings.
        secret: String,
        /// The shop's order status ids.
        #[serde(default)]
        statuses: OpenCartStatuses,
    },
    /// Shopify's Admin GraphQL API (the manual payment route), with the app's secret for what
    /// Shopify signs (app proxy requests, webhooks).
    Shopify {
        /// `my-shop.myshopify.com`.
        shop: String,
        /// The app's client id: the shim asks for its tokens (the client credentials grant).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        /// Or a fixed Admin API access token (`shpat_...`), with read_orders and write_orders.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        access_token: Option<String>,
        /// The app's client secret (API secret key): signs app proxy requests and webhooks, and
        /// with the client id gets tokens.
        api_secret: String,
        /// The Admin API version.
        #[serde(default = "default_shopify_version")]
        api_version: String,
        /// Where the Admin API is, when not at `https://{shop}` (an emulator).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        admin_url: Option<String>,
        /// The payments app, for a shop that has it (Shopify's Payments Partners): an app of
        /// its own, with its own credentials.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payments_app: Option<ShopifyPaymentsApp>,
        /// When Shopify said the app was uninstalled (`app/uninstalled`, Unix seconds): its
        /// access is gone, so orders are not touched until the merchant installs it again and
        /// connects the shop anew (`shops set-platform`), which clears this.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uninstalled_at: Option<i64>,
    },
}

/// The credentials of a shop's Shopify payments app. `Debug` hides them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopifyPaymentsApp {
    /// Its offline access token (from its OAuth installation), with `write_payment_sessions`.
    pub access_token: String,
    /// Its client secret, which signs its webhooks.
    pub api_secret: String,
}

impl std::fmt::Debug for ShopifyPaymentsApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShopifyPaymentsApp { access_token: [redacted], api_secret: [redacted] }")
    }
}

fn default_shopify_version() -> String {
    DEFAULT_API_VERSION.to_owned()
}

impl std::fmt::Debug for PlatformConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlatformConfig::Woocommerce {
                site,
                consumer_key,
                statuses,
                ..
            } => f
                .debug_struct("Woocommerce")
                .field("site", site)
                .field("secret", &"[redacted]")
                .field("consumer_key", consumer_key)
                .field("consumer_secret", &"[redacted]")
                .field("statuses", statuses)
                .finish(),
            PlatformConfig::Prestashop { site, states, .. } => f
                .debug_struct("Prestashop")
                .field("site", site)
                .field("secret", &"[redacted]")
                .field("key", &"[redacted]")
                .field("states", states)
                .finish(),
            PlatformConfig::Opencart {
                site,
                version,
                statuses,
                ..
            } => f
                .debug_struct("Opencart")
                .field("site", site)
                .field("version", version)
                .field("secret", &"[redacted]")
                .field("statuses", statuses)
                .finish(),
            PlatformConfig::Shopify {
                shop,
                client_id,
                api_version,
                admin_url,
                payments_app,
                uninstalled_at,
                ..
            } => f
                .debug_struct("Shopify")
                .field("shop", shop)
                .field("client_id", client_id)
                .field("access_token", &"[redacted]")
                .field("api_secret", &"[redacted]")
                .field("api_version", api_version)
                .field("admin_url", admin_url)
                .field("payments_app", payments_app)
                .field("uninstalled_at", uninstalled_at)
                .finish(),
        }
    }
}

/// Checks that a shop's site is an http(s) URL.
fn http_site(platform: &str, site: &str) -> Result<(), String> {
    if site.starts_with("https://") || site.starts_with("http://") {
        return Ok(());
    }
    Err(format!(
        "the {platform} site must be an http(s) URL like https://shop.example, got {site:?}"
    ))
}

impl PlatformConfig {
    /// Checks what a merchant typed, with a message that says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            PlatformConfig::Woocommerce {
                site,
                secret,
                consumer_key,
                consumer_secret,
                ..
            } => {
                http_site("WooCommerce", site)?;
                let has = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
                match (has(secret), has(consumer_key), has(consumer_secret)) {
                    (true, false, false) => {
                        if secret.as_deref().unwrap_or_default().trim().chars().count() < 16 {
                            return Err("the WooCommerce plugin's shared secret is at least 16 characters: connect the shop from the plugin's settings".into());
                        }
                        Ok(())
                    }
                    (false, true, true) => Ok(()),
                    (false, _, _) => Err(
                        "WooCommerce needs the plugin's shared secret (connect the shop from the plugin's settings), or a REST key's consumer key (ck_...) and secret (cs_...)"
                            .into(),
                    ),
                    (true, _, _) => Err(
                        "WooCommerce takes either the plugin's shared secret or a REST key, not both"
                            .into(),
                    ),
                }
            }
            PlatformConfig::Prestashop {
                site, secret, key, ..
            } => {
                http_site("PrestaShop", site)?;
                match (secret, key) {
                    (Some(secret), None) if secret.trim().chars().count() >= 16 => Ok(()),
                    (Some(_), None) => Err("the PrestaShop module's shared secret is at least 16 characters: connect the shop from the module's configuration page".into()),
                    (None, Some(key))
                        if key.len() == 32 && key.bytes().all(|b| b.is_ascii_alphanumeric()) =>
                    {
                        Ok(())
                    }
                    (None, Some(_)) => Err(
                        "a PrestaShop Webservice key is 32 letters and digits (Advanced Parameters > Webservice)"
                            .into(),
                    ),
                    (None, None) => Err("PrestaShop needs the module's shared secret (connect the shop from the module's configuration page), or a Webservice key".into()),
                    (Some(_), Some(_)) => Err("PrestaShop takes either the module's shared secret or a Webservice key, not both".into()),
                }
            }
            PlatformConfig::Opencart { site, secret, .. } => {
                http_site("OpenCart", site)?;
                if secret.trim().chars().count() < 16 {
                    return Err(
                        "the OpenCart secret must be the extension's shared secret, at least 16 characters"
                            .into(),
                    );
                }
                Ok(())
            }
            PlatformConfig::Shopify { .. } => self.validate_shopify(),
        }
    }

    /// [`PlatformConfig::validate`] for Shopify: the shop's domain, one way to the Admin API,
    /// the app's secret, the API version and the payments app's credentials.
    fn validate_shopify(&self) -> Result<(), String> {
        let PlatformConfig::Shopify {
            shop,
            client_id,
            access_token,
            api_secret,
            api_version,
            admin_url,
            payments_app,
            uninstalled_at: _,
        } = self
        else {
            return Ok(());
        };
        if let Some(app) = payments_app
            && (app.access_token.trim().len() < 20 || app.api_secret.trim().len() < 16)
        {
            return Err(
                "the Shopify payments app needs its offline access token and its client secret"
                    .into(),
            );
        }
        if !is_shop_domain(shop) {
            return Err(format!(
                "the Shopify shop is its myshopify.com domain, like my-shop.myshopify.com, got {shop:?}"
            ));
        }
        let has = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
        if has(client_id) == has(access_token) {
            return Err("Shopify needs either the app's client id (an app of your organization installed on the shop; the shim asks for its tokens) or a fixed Admin API access token (shpat_...), not both".into());
        }
        if api_secret.trim().len() < 16 {
            return Err("the Shopify app's client secret is too short: copy it from the app's settings (Dev Dashboard > your app > Settings)".into());
        }
        let version = api_version.as_bytes();
        if !(version.len() == 7
            && version[4] == b'-'
            && version
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || b.is_ascii_digit()))
        {
            return Err(format!(
                "a Shopify API version looks like {DEFAULT_API_VERSION}, got {api_version:?}"
            ));
        }
        if let Some(url) = admin_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(format!(
                "the Shopify admin URL must be an http(s) URL, got {url:?}"
            ));
        }
        Ok(())
    }

    /// Marks a Shopify shop's app as uninstalled at `now` (see `uninstalled_at`); `false` for
    /// the other platforms.
    pub fn mark_uninstalled(&mut self, now: i64) -> bool {
        match self {
            PlatformConfig::Shopify { uninstalled_at, .. } => {
                *uninstalled_at = Some(now);
                true
            }
            _ => false,
        }
    }

    /// The platform and its state, for the operator's listing: `shopify at my-shop.myshopify.com
    /// (app uninstalled)`.
    pub fn describe(&self) -> String {
        match self {
            PlatformConfig::Woocommerce { site, .. }
            | PlatformConfig::Prestashop { site, .. }
            | PlatformConfig::Opencart { site, .. } => format!("{} at {site}", self.name()),
            PlatformConfig::Shopify {
                shop,
                uninstalled_at,
                ..
            } => format!(
                "shopify at {shop}{}",
                if uninstalled_at.is_some() {
                    " (app uninstalled: connect the shop anew)"
                } else {
                    ""
                }
            ),
        }
    }

    /// The platform's name, for logs and listings.
    pub fn name(&self) -> &'static str {
        match self {
            PlatformConfig::Woocommerce { .. } => "woocommerce",
            PlatformConfig::Prestashop { .. } => "prestashop",
            PlatformConfig::Opencart { .. } => "opencart",
            PlatformConfig::Shopify { .. } => "shopify",
        }
    }

    /// How the shim gets into a Shopify shop's Admin API; `None` for the other platforms.
    pub fn shopify_access(&self) -> Option<Access> {
        let PlatformConfig::Shopify {
            client_id,
            access_token,
            api_secret,
            ..
        } = self
        else {
            return None;
        };
        Some(match (access_token, client_id) {
            (Some(token), _) => Access::Token(token.clone().into()),
            (None, client_id) => Access::ClientCredentials {
                client_id: client_id.clone().unwrap_or_default(),
                client_secret: api_secret.clone().into(),
            },
        })
    }

    /// The Shopify adapter, for a Shopify shop.
    pub fn shopify(&self, egress: &Egress) -> Result<Option<Shopify>, AdapterError> {
        match self.adapter(egress)? {
            Adapter::Shopify(shopify) => Ok(Some(shopify)),
            _ => Ok(None),
        }
    }

    /// The Shopify adapter with the payments app's access, for a Shopify shop that has one.
    pub fn shopify_payments(&self, egress: &Egress) -> Result<Option<Shopify>, AdapterError> {
        let PlatformConfig::Shopify {
            shop,
            api_version,
            admin_url,
            payments_app: Some(app),
            ..
        } = self
        else {
            return Ok(None);
        };
        Shopify::new(
            &shopify_admin(shop, admin_url.as_deref()),
            api_version,
            Access::Token(app.access_token.clone().into()),
            egress,
        )
        .map(Some)
    }

    /// The secrets that may sign a Shopify shop's webhooks: its app's, and its payments app's.
    pub fn shopify_secrets(&self) -> Vec<&str> {
        match self {
            PlatformConfig::Shopify {
                api_secret,
                payments_app,
                ..
            } => std::iter::once(api_secret.as_str())
                .chain(payments_app.as_ref().map(|app| app.api_secret.as_str()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The adapter that talks to it, only where `egress` allows.
    pub fn adapter(&self, egress: &Egress) -> Result<Adapter, AdapterError> {
        match self {
            PlatformConfig::Woocommerce {
                site,
                secret: Some(secret),
                ..
            } => Ok(Adapter::Plugin(PluginRoute::woocommerce(
                site,
                secret.clone().into(),
                egress,
            )?)),
            PlatformConfig::Woocommerce {
                site,
                consumer_key,
                consumer_secret,
                statuses,
                ..
            } => Ok(Adapter::WooCommerce(WooCommerce::new(
                site,
                consumer_key.as_deref().unwrap_or_default(),
                consumer_secret.clone().unwrap_or_default().into(),
                statuses.clone(),
                egress,
            )?)),
            PlatformConfig::Prestashop {
                site,
                secret: Some(secret),
                ..
            } => Ok(Adapter::Plugin(PluginRoute::prestashop(
                site,
                secret.clone().into(),
                egress,
            )?)),
            PlatformConfig::Prestashop {
                site, key, states, ..
            } => Ok(Adapter::PrestaShop(PrestaShop::new(
                site,
                key.clone().unwrap_or_default().into(),
                states.clone(),
                egress,
            )?)),
            PlatformConfig::Opencart {
                site,
                version,
                secret,
                statuses,
            } => Ok(Adapter::OpenCart(OpenCart::new(
                site,
                *version,
                secret.clone().into(),
                statuses.clone(),
                egress,
            )?)),
            PlatformConfig::Shopify {
                shop,
                uninstalled_at: Some(_),
                ..
            } => Err(AdapterError::Refused(format!(
                "the app was uninstalled from {shop}: install it again, then connect the shop anew \
                 with `server-shim shops set-platform` (and `outbox replay` what failed meanwhile)"
            ))),
            PlatformConfig::Shopify {
                shop,
                api_version,
                admin_url,
                ..
            } => Ok(Adapter::Shopify(Shopify::new(
                &shopify_admin(shop, admin_url.as_deref()),
                api_version,
                self.shopify_access()
                    .ok_or_else(|| AdapterError::Refused("no Shopify access configured".into()))?,
                egress,
            )?)),
        }
    }
}

/// Where a Shopify shop's APIs are: at its myshopify.com domain, unless an emulator stands in.
fn shopify_admin(shop: &str, admin_url: Option<&str>) -> String {
    admin_url.map_or_else(|| format!("https://{shop}"), str::to_owned)
}

/// A connected platform's adapter.
#[derive(Debug, Clone)]
pub enum Adapter {
    /// WooCommerce or PrestaShop, through our plugin's own route.
    Plugin(PluginRoute),
    /// WooCommerce, through the REST API.
    WooCommerce(WooCommerce),
    /// PrestaShop.
    PrestaShop(PrestaShop),
    /// OpenCart.
    OpenCart(OpenCart),
    /// Shopify.
    Shopify(Shopify),
}

impl Adapter {
    /// The shop's order `reference`.
    pub async fn order(&self, reference: &str) -> Result<ShopOrder, AdapterError> {
        match self {
            Adapter::Plugin(plugin) => plugin.order(reference).await,
            Adapter::WooCommerce(woo) => woo.order(reference).await,
            Adapter::PrestaShop(presta) => presta.order(reference).await,
            Adapter::OpenCart(opencart) => opencart.order(reference).await,
            Adapter::Shopify(shopify) => shopify.order(reference).await,
        }
    }

    /// Brings order `reference` in line with the invoice (read, compare, write what is missing).
    pub async fn sync(
        &self,
        reference: &str,
        facts: &PaymentFacts,
    ) -> Result<Synced, AdapterError> {
        match self {
            Adapter::Plugin(plugin) => sync(plugin, reference, facts).await,
            Adapter::WooCommerce(woo) => sync(woo, reference, facts).await,
            Adapter::PrestaShop(presta) => sync(presta, reference, facts).await,
            Adapter::OpenCart(opencart) => sync(opencart, reference, facts).await,
            Adapter::Shopify(shopify) => sync(shopify, reference, facts).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_round_trip_and_hide_their_secret() {
        let json = r#"{"platform":"woocommerce","site":"https://s.example","consumer_key":"ck_1","consumer_secret":"cs_2"}"#;
        let config: PlatformConfig = serde_json::from_str(json).unwrap();
        assert!(config.validate().is_ok());
        assert!(!format!("{config:?}").contains("cs_2"));
        let bad: PlatformConfig = serde_json::from_str(
            r#"{"platform":"woocommerce","site":"shop","consumer_key":"ck","consumer_secret":"cs"}"#,
        )
        .unwrap();
        assert!(bad.validate().unwrap_err().contains("http(s) URL"));
        assert!(serde_json::from_str::<PlatformConfig>(r#"{"platform":"magento"}"#).is_err());

        let plugin: PlatformConfig = serde_json::from_str(
            r#"{"platform":"woocommerce","site":"http://s.example","secret":"0123456789abcdef-shared"}"#,
        )
        .unwrap();
        assert!(plugin.validate().is_ok());
        assert!(!format!("{plugin:?}").contains("-shared"));
        assert!(matches!(
            plugin.adapter(&Egress::public_only()),
            Ok(Adapter::Plugin(_))
        ));
        let both: PlatformConfig = serde_json::from_str(
            r#"{"platform":"woocommerce","site":"http://s.example","secret":"0123456789abcdef-shared","consumer_key":"ck_1","consumer_secret":"cs_2"}"#,
        )
        .unwrap();
        assert!(both.validate().unwrap_err().contains("not both"));
        let neither: PlatformConfig =
            serde_json::from_str(r#"{"platform":"woocommerce","site":"http://s.example"}"#)
                .unwrap();
        assert!(neither.validate().unwrap_err().contains("shared secret"));

        let shopify: PlatformConfig = serde_json::from_str(
            r#"{"platform":"shopify","shop":"my-shop.myshopify.com","access_token":"shpat_0123456789abcdef0123","api_secret":"0123456789abcdef-secret"}"#,
        )
        .unwrap();
        assert!(shopify.validate().is_ok());
        let shown = format!("{shopify:?}");
        assert!(
            !shown.contains("shpat_") && !shown.contains("-secret"),
            "{shown}"
        );
        assert!(
            shown.contains("2025-10"),
            "the default API version: {shown}"
        );
        let other_host = serde_json::to_string(&shopify)
            .unwrap()
            .replace("my-shop.myshopify.com", "my-shop.example");
        let other_host: PlatformConfig = serde_json::from_str(&other_host).unwrap();
        assert!(other_host.validate().unwrap_err().contains("myshopify.com"));
    }
}

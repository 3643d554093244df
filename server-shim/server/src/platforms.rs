//! The shop platform a shop may be connected to: stored with the shop (credentials included,
//! never logged), turned into an adapter that the outbox uses to move the shop's orders.

use serde::{Deserialize, Serialize};
use shop_adapters::opencart::OpenCart;
use shop_adapters::opencart::transformers::{StatusMap as OpenCartStatuses, Version};
use shop_adapters::platform::{AdapterError, PaymentFacts, Platform as _, ShopOrder, Synced, sync};
use shop_adapters::prestashop::PrestaShop;
use shop_adapters::prestashop::transformers::StateMap;
use shop_adapters::woocommerce::WooCommerce;
use shop_adapters::woocommerce::transformers::StatusMap;

/// A shop's platform and how to reach it. `Debug` hides the credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "platform", rename_all = "lowercase", deny_unknown_fields)]
pub enum PlatformConfig {
    /// WooCommerce's REST API v3 with a read/write key pair.
    Woocommerce {
        /// The site (`https://shop.example`).
        site: String,
        /// `ck_...`.
        consumer_key: String,
        /// `cs_...`.
        consumer_secret: String,
        /// The shop's own status names, if it renamed any.
        #[serde(default)]
        statuses: StatusMap,
    },
    /// PrestaShop's Webservice with a key allowed orders, currencies, order histories, messages.
    Prestashop {
        /// The shop (`https://shop.example`).
        site: String,
        /// The Webservice key (32 letters and digits).
        key: String,
        /// The shop's order state ids (the module's own "awaiting" and "confirming" included).
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
                .field("consumer_key", consumer_key)
                .field("consumer_secret", &"[redacted]")
                .field("statuses", statuses)
                .finish(),
            PlatformConfig::Prestashop { site, states, .. } => f
                .debug_struct("Prestashop")
                .field("site", site)
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
        }
    }
}

impl PlatformConfig {
    /// Checks what a merchant typed, with a message that says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            PlatformConfig::Woocommerce {
                site,
                consumer_key,
                consumer_secret,
                ..
            } => {
                if !(site.starts_with("https://") || site.starts_with("http://")) {
                    return Err(format!(
                        "the WooCommerce site must be an http(s) URL like https://shop.example, got {site:?}"
                    ));
                }
                if consumer_key.trim().is_empty() || consumer_secret.trim().is_empty() {
                    return Err(
                        "a WooCommerce REST key needs both its consumer key (ck_...) and secret (cs_...)"
                            .into(),
                    );
                }
                Ok(())
            }
            PlatformConfig::Prestashop { site, key, .. } => {
                if !(site.starts_with("https://") || site.starts_with("http://")) {
                    return Err(format!(
                        "the PrestaShop site must be an http(s) URL like https://shop.example, got {site:?}"
                    ));
                }
                if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(
                        "a PrestaShop Webservice key is 32 letters and digits (Advanced Parameters > Webservice)"
                            .into(),
                    );
                }
                Ok(())
            }
            PlatformConfig::Opencart { site, secret, .. } => {
                if !(site.starts_with("https://") || site.starts_with("http://")) {
                    return Err(format!(
                        "the OpenCart site must be an http(s) URL like https://shop.example, got {site:?}"
                    ));
                }
                if secret.trim().chars().count() < 16 {
                    return Err(
                        "the OpenCart secret must be the extension's shared secret, at least 16 characters"
                            .into(),
                    );
                }
                Ok(())
            }
        }
    }

    /// The platform's name, for logs and listings.
    pub fn name(&self) -> &'static str {
        match self {
            PlatformConfig::Woocommerce { .. } => "woocommerce",
            PlatformConfig::Prestashop { .. } => "prestashop",
            PlatformConfig::Opencart { .. } => "opencart",
        }
    }

    /// The adapter that talks to it.
    pub fn adapter(&self) -> Result<Adapter, AdapterError> {
        match self {
            PlatformConfig::Woocommerce {
                site,
                consumer_key,
                consumer_secret,
                statuses,
            } => Ok(Adapter::WooCommerce(WooCommerce::new(
                site,
                consumer_key,
                consumer_secret.clone().into(),
                statuses.clone(),
            )?)),
            PlatformConfig::Prestashop { site, key, states } => Ok(Adapter::PrestaShop(
                PrestaShop::new(site, key.clone().into(), states.clone())?,
            )),
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
            )?)),
        }
    }
}

/// A connected platform's adapter.
#[derive(Debug, Clone)]
pub enum Adapter {
    /// WooCommerce.
    WooCommerce(WooCommerce),
    /// PrestaShop.
    PrestaShop(PrestaShop),
    /// OpenCart.
    OpenCart(OpenCart),
}

impl Adapter {
    /// The shop's order `reference`.
    pub async fn order(&self, reference: &str) -> Result<ShopOrder, AdapterError> {
        match self {
            Adapter::WooCommerce(woo) => woo.order(reference).await,
            Adapter::PrestaShop(presta) => presta.order(reference).await,
            Adapter::OpenCart(opencart) => opencart.order(reference).await,
        }
    }

    /// Brings order `reference` in line with the invoice (read, compare, write what is missing).
    pub async fn sync(
        &self,
        reference: &str,
        facts: &PaymentFacts,
    ) -> Result<Synced, AdapterError> {
        match self {
            Adapter::WooCommerce(woo) => sync(woo, reference, facts).await,
            Adapter::PrestaShop(presta) => sync(presta, reference, facts).await,
            Adapter::OpenCart(opencart) => sync(opencart, reference, facts).await,
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
    }
}

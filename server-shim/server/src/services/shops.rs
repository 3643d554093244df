//! Shops and their platform connections: who a bearer token is, connecting a shop's platform
//! (through its plugin, or a WooCommerce REST key), the Shopify shops and their payment sessions,
//! and the platforms' webhooks (each taken once).

use super::{Shops, now};
use crate::domain::{Shop, ShopId, ShopToken};
use crate::platforms::PlatformConfig;
use crate::store::{PaymentSession, SessionKey, ShopPlatform, StoreError};

impl Shops {
    /// Whether the database answers (`/readyz`).
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }

    /// The shop whose token was presented, if any.
    pub async fn authenticate(&self, presented: &str) -> Result<Option<Shop>, StoreError> {
        let hash = ShopToken::from_presented(presented).hash();
        self.store.shop_by_token_hash(&hash).await
    }

    /// Shop `id`.
    pub async fn shop(&self, id: &ShopId) -> Result<Option<Shop>, StoreError> {
        self.store.shop(id).await
    }

    /// Connects shop `name` to its platform (`None`: disconnects it); `false` if there is no
    /// such shop.
    pub async fn set_platform(
        &self,
        name: &str,
        config: Option<&PlatformConfig>,
    ) -> Result<bool, StoreError> {
        self.store.set_shop_platform(name, config).await
    }

    /// Replaces a connection read before with `config`, unless the merchant connected the shop
    /// anew meanwhile (which stands); whether it was replaced.
    pub async fn replace_platform(
        &self,
        read: &ShopPlatform,
        config: &PlatformConfig,
    ) -> Result<bool, StoreError> {
        self.store
            .replace_shop_platform(&read.shop_id, &read.stored, config)
            .await
    }

    /// Remembers a one-time code for connecting `shop` to the WooCommerce site `site` by a REST
    /// key the merchant approves there.
    pub async fn start_key_connect(
        &self,
        code: &str,
        shop: &ShopId,
        site: &str,
    ) -> Result<(), StoreError> {
        self.store.insert_connect(code, shop, site, now()).await
    }

    /// The shop's name and site a connect code was made for, if it was made in the last `ttl`
    /// seconds; the code is used up either way.
    pub async fn take_key_connect(
        &self,
        code: &str,
        ttl: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        self.store.take_connect(code, now() - ttl).await
    }

    /// The shop connected to the Shopify shop `domain` (`my-shop.myshopify.com`).
    pub async fn shopify_shop(&self, domain: &str) -> Result<Option<ShopPlatform>, StoreError> {
        Ok(self
            .store
            .platform_configs()
            .await?
            .into_iter()
            .find(|stored| {
                matches!(&stored.config, PlatformConfig::Shopify { shop, .. } if shop == domain)
            }))
    }

    /// Records webhook `id` of `platform` for `shop`: `false` when it came before (a redelivery).
    /// Webhooks older than `memory` seconds are forgotten.
    pub async fn first_delivery(
        &self,
        platform: &str,
        id: &str,
        shop: &ShopId,
        topic: &str,
        memory: i64,
    ) -> Result<bool, StoreError> {
        let now = now();
        self.store
            .record_platform_webhook(platform, id, shop, topic, now, now - memory)
            .await
    }

    /// A payment session of Shopify's payments app.
    pub async fn payment_session(
        &self,
        by: SessionKey<'_>,
    ) -> Result<Option<PaymentSession>, StoreError> {
        self.store.payment_session(by).await
    }
}

/// The operator's management of shops, over the store alone (the CLI and the console share it).
/// Secrets it makes (tokens, callback secrets) are returned once, to be shown once, and only
/// their hashes or the secrets themselves are stored as the store keeps them.
#[derive(Debug, Clone, Copy)]
pub struct ShopAdmin<'a>(pub &'a crate::store::Store);

/// Why a shop could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum ShopAdminError {
    /// The input is not right; what to fix.
    #[error("{0}")]
    Invalid(String),
    /// No shop by that name.
    #[error("no shop named {0:?}")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The system's random source failed.
    #[error("random source failed")]
    Random(#[from] getrandom::Error),
}

impl ShopAdmin<'_> {
    /// Adds shop `name`: the shop and its token (shown once).
    pub async fn add(&self, name: &str) -> Result<(Shop, ShopToken), ShopAdminError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(ShopAdminError::Invalid(
                "the name must be 1 to 100 characters without control characters".into(),
            ));
        }
        if self.0.list_shops().await?.iter().any(|s| s.name == name) {
            return Err(ShopAdminError::Invalid(format!(
                "a shop named {name:?} already exists"
            )));
        }
        let token = ShopToken::generate()?;
        let shop = Shop {
            id: ShopId(format!(
                "shop_{}",
                hex::encode(crate::domain::random_bytes::<8>()?)
            )),
            name: name.to_owned(),
        };
        self.0.create_shop(&shop, &token.hash(), now()).await?;
        Ok((shop, token))
    }

    /// Gives shop `name` a new token (shown once); the old one stops working at once.
    pub async fn rotate_token(&self, name: &str) -> Result<ShopToken, ShopAdminError> {
        let token = ShopToken::generate()?;
        if !self.0.rotate_shop_token(name, &token.hash()).await? {
            return Err(ShopAdminError::NotFound(name.to_owned()));
        }
        Ok(token)
    }

    /// Sends shop `name`'s callbacks to `url`, signed with a new secret: the secret (shown once).
    pub async fn set_callback(&self, name: &str, url: &str) -> Result<String, ShopAdminError> {
        let url = url.trim();
        let parsed = reqwest::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some());
        if parsed.is_none() || url.len() > 500 || url.chars().any(char::is_whitespace) {
            return Err(ShopAdminError::Invalid(format!(
                "the callback URL must be an http(s) URL without spaces, got {url:?}"
            )));
        }
        let secret = format!(
            "whsec_{}",
            hex::encode(crate::domain::random_bytes::<24>()?)
        );
        if !self.0.set_shop_callback(name, Some((url, &secret))).await? {
            return Err(ShopAdminError::NotFound(name.to_owned()));
        }
        Ok(secret)
    }
}

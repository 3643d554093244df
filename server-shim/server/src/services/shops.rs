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

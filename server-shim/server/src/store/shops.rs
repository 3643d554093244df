//! Shops: their tokens, callback URLs, platform connections and the platform webhooks they sent.

use super::{Store, StoreError};
use crate::domain::{Shop, ShopId};
use crate::platforms::PlatformConfig;
use sqlx::Row;

/// A shop's platform connection as stored.
#[derive(Debug, Clone)]
pub struct ShopPlatform {
    /// The shop.
    pub shop_id: ShopId,
    /// Its settings.
    pub config: PlatformConfig,
    /// The settings as stored, which [`Store::replace_shop_platform`] expects unchanged.
    pub stored: String,
}

/// Reads stored platform settings.
fn platform_config(json: &str) -> Result<PlatformConfig, StoreError> {
    serde_json::from_str(json).map_err(|_| StoreError::Corrupt("platform settings".into()))
}

impl Store {
    /// Registers a shop with the hash of its token.
    pub async fn create_shop(
        &self,
        shop: &Shop,
        token_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let result = with_pool!(self, pool => {
            sqlx::query("INSERT INTO shops (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&shop.id.0)
                .bind(&shop.name)
                .bind(token_hash)
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::DuplicateShop(shop.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Gives the shop named `name` a new token hash, creating the shop if needed.
    pub async fn upsert_shop_token(
        &self,
        shop: &Shop,
        token_hash: &str,
        now: i64,
    ) -> Result<Shop, StoreError> {
        let row = with_pool!(self, pool => {
            let row = sqlx::query(
                "INSERT INTO shops (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash RETURNING id, name",
            )
            .bind(&shop.id.0)
            .bind(&shop.name)
            .bind(token_hash)
            .bind(now)
            .fetch_one(pool)
            .await?;
            Shop { id: ShopId(row.try_get("id")?), name: row.try_get("name")? }
        });
        Ok(row)
    }

    /// The shop whose token hashes to `token_hash`.
    pub async fn shop_by_token_hash(&self, token_hash: &str) -> Result<Option<Shop>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT id, name FROM shops WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(pool)
                .await?;
            row.map(|row| Ok(Shop { id: ShopId(row.try_get("id")?), name: row.try_get("name")? })).transpose()
        })
    }

    /// Replaces the token of the shop named `name`; `false` if there is no such shop. The old
    /// token stops working at once.
    pub async fn rotate_shop_token(
        &self,
        name: &str,
        token_hash: &str,
    ) -> Result<bool, StoreError> {
        let affected = with_pool!(self, pool => {
            sqlx::query("UPDATE shops SET token_hash = $2 WHERE name = $1")
                .bind(name)
                .bind(token_hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Removes the shop named `name` if it never created an invoice (invoices keep their shop for
    /// the record). `Ok(None)` when there is no such shop, `Ok(Some(n))` with the number of
    /// invoices that keep it when it was not removed, `Ok(Some(0))` when it was.
    pub async fn remove_shop(&self, name: &str) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT s.id, (SELECT COUNT(*) FROM invoices i WHERE i.shop_id = s.id) AS invoices \
                 FROM shops s WHERE s.name = $1",
            )
            .bind(name)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let (id, invoices): (String, i64) = (row.try_get("id")?, row.try_get("invoices")?);
            if invoices > 0 {
                return Ok(Some(invoices));
            }
            sqlx::query("DELETE FROM shops WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM invoices WHERE shop_id = $1)")
                .bind(&id)
                .execute(pool)
                .await?;
            Ok(Some(0))
        })
    }

    /// Every shop, by name.
    pub async fn list_shops(&self) -> Result<Vec<Shop>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, name FROM shops ORDER BY name").fetch_all(pool).await?;
            rows.iter()
                .map(|row| Ok(Shop { id: ShopId(row.try_get("id")?), name: row.try_get("name")? }))
                .collect()
        })
    }

    /// Sets (or, with `None`, clears) where a shop is told of changes, and the secret that signs
    /// the callbacks; `false` if there is no such shop.
    pub async fn set_shop_callback(
        &self,
        name: &str,
        callback: Option<(&str, &str)>,
    ) -> Result<bool, StoreError> {
        let (url, secret) = callback.unzip();
        let affected = with_pool!(self, pool => {
            sqlx::query("UPDATE shops SET callback_url = $2, callback_secret = $3 WHERE name = $1")
                .bind(name)
                .bind(url)
                .bind(secret)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// A shop's callback URL and signing secret, if it has one.
    pub async fn shop_callback(
        &self,
        shop: &ShopId,
    ) -> Result<Option<(String, String)>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT callback_url, callback_secret FROM shops WHERE id = $1")
                .bind(&shop.0)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else { return Ok(None) };
            let url: Option<String> = row.try_get("callback_url")?;
            let secret: Option<String> = row.try_get("callback_secret")?;
            Ok(url.zip(secret))
        })
    }

    /// Connects (or with `None` disconnects) a shop's platform; `false` if there is no such shop.
    pub async fn set_shop_platform(
        &self,
        name: &str,
        config: Option<&PlatformConfig>,
    ) -> Result<bool, StoreError> {
        let config = config.map(serde_json::to_string).transpose().map_err(|e| {
            StoreError::Corrupt(format!("platform settings cannot be written: {e}"))
        })?;
        let affected = with_pool!(self, pool => {
            sqlx::query("UPDATE shops SET platform_config = $2 WHERE name = $1")
                .bind(name)
                .bind(config)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Replaces shop `shop`'s platform settings (JSON) with `config`, as long as they are still
    /// `expected` (a merchant connecting the shop anew meanwhile wins); whether they were.
    pub async fn replace_shop_platform(
        &self,
        shop: &ShopId,
        expected: &str,
        config: &PlatformConfig,
    ) -> Result<bool, StoreError> {
        let config = serde_json::to_string(config).map_err(|e| {
            StoreError::Corrupt(format!("platform settings cannot be written: {e}"))
        })?;
        let affected = with_pool!(self, pool => {
            sqlx::query("UPDATE shops SET platform_config = $3 WHERE id = $1 AND platform_config = $2")
                .bind(&shop.0)
                .bind(expected)
                .bind(config)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Every connected shop's platform settings, oldest shop first; settings this build cannot
    /// read are left out.
    pub async fn platform_configs(&self) -> Result<Vec<ShopPlatform>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, platform_config FROM shops WHERE platform_config IS NOT NULL ORDER BY created_at",
            )
            .fetch_all(pool)
            .await?;
            let mut shops = Vec::with_capacity(rows.len());
            for row in rows {
                let shop_id = ShopId(row.try_get("id")?);
                let stored: String = row.try_get("platform_config")?;
                match platform_config(&stored) {
                    Ok(config) => shops.push(ShopPlatform { shop_id, config, stored }),
                    Err(_) => tracing::warn!(shop = %shop_id.0, "platform settings cannot be read"),
                }
            }
            Ok(shops)
        })
    }

    /// Records webhook `id` from `platform`: `false` when it was already recorded (a redelivery).
    /// Forgets those older than `forget_before`.
    pub async fn record_platform_webhook(
        &self,
        platform: &str,
        id: &str,
        shop: &ShopId,
        topic: &str,
        now: i64,
        forget_before: i64,
    ) -> Result<bool, StoreError> {
        let inserted = with_pool!(self, pool => {
            sqlx::query("DELETE FROM platform_webhooks WHERE received_at < $1")
                .bind(forget_before)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO platform_webhooks (platform, id, shop_id, topic, received_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform, id) DO NOTHING",
            )
            .bind(platform)
            .bind(id)
            .bind(&shop.0)
            .bind(topic)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Remembers a one-time code for connecting `shop` to the site `site`.
    pub async fn insert_connect(
        &self,
        code: &str,
        shop: &ShopId,
        site: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO platform_connects (code, shop_id, site, created_at) VALUES ($1, $2, $3, $4)")
                .bind(code)
                .bind(&shop.0)
                .bind(site)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Uses up a connect code made after `not_before`: the shop's name and the site, once.
    pub async fn take_connect(
        &self,
        code: &str,
        not_before: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "DELETE FROM platform_connects WHERE code = $1 RETURNING shop_id, site, created_at",
            )
            .bind(code)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let created: i64 = row.try_get("created_at")?;
            if created < not_before {
                return Ok(None);
            }
            let shop: String = row.try_get("shop_id")?;
            let site: String = row.try_get("site")?;
            let name = sqlx::query("SELECT name FROM shops WHERE id = $1")
                .bind(&shop)
                .fetch_one(pool)
                .await?;
            Ok(Some((name.try_get("name")?, site)))
        })
    }

    /// The shop `id`.
    pub async fn shop(&self, id: &ShopId) -> Result<Option<Shop>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT id, name FROM shops WHERE id = $1")
                .bind(&id.0)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else { return Ok(None) };
            Ok(Some(Shop { id: ShopId(row.try_get("id")?), name: row.try_get("name")? }))
        })
    }

    /// A shop's platform connection, if it has one; [`StoreError::Corrupt`] if this build cannot
    /// read it.
    pub async fn shop_platform(&self, shop: &ShopId) -> Result<Option<PlatformConfig>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT platform_config FROM shops WHERE id = $1")
                .bind(&shop.0)
                .fetch_optional(pool)
                .await?;
            let stored: Option<String> = match row {
                Some(row) => row.try_get("platform_config")?,
                None => None,
            };
            stored.as_deref().map(platform_config).transpose()
        })
    }
}

//! What payers see of a shop: its display name, logo and accent colour.

use super::{Store, StoreError};
use crate::domain::ShopId;
use sqlx::Row;

/// A shop's brand as stored. Each part is optional: without one, the pages show the shop's name
/// and the widget's own colours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Brand {
    /// The name payers see (the shop's unique name when unset).
    pub display_name: Option<String>,
    /// `#rrggbb`, checked for contrast when set.
    pub accent_color: Option<String>,
    /// The logo's media type (`image/png`...), when it has one.
    pub logo_type: Option<String>,
    /// A digest of the logo, which its address carries so that a new logo is a new address.
    pub logo_version: Option<String>,
}

/// A logo as served.
#[derive(Debug, Clone)]
pub struct Logo {
    /// Its media type.
    pub media_type: String,
    /// The image.
    pub bytes: Vec<u8>,
}

impl Logo {
    /// The first 16 hex digits of its SHA-256.
    pub fn version(&self) -> String {
        use sha2::Digest as _;
        hex::encode(&sha2::Sha256::digest(&self.bytes)[..8])
    }
}

/// A change of brand: `None` leaves that part as it is; `Some(None)` removes it.
#[derive(Debug, Clone, Default)]
pub struct BrandChange {
    /// The display name.
    pub display_name: Option<Option<String>>,
    /// The accent colour.
    pub accent_color: Option<Option<String>>,
    /// The logo.
    pub logo: Option<Option<Logo>>,
}

impl Store {
    /// Applies `change` to the brand of the shop named `name`; `false` if there is none.
    pub async fn set_shop_brand(
        &self,
        name: &str,
        change: &BrandChange,
    ) -> Result<bool, StoreError> {
        let logo = change.logo.as_ref();
        let affected = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE shops SET \
                 display_name = CASE WHEN $2 THEN $3 ELSE display_name END, \
                 accent_color = CASE WHEN $4 THEN $5 ELSE accent_color END, \
                 logo = CASE WHEN $6 THEN $7 ELSE logo END, \
                 logo_type = CASE WHEN $6 THEN $8 ELSE logo_type END, \
                 logo_version = CASE WHEN $6 THEN $9 ELSE logo_version END \
                 WHERE name = $1",
            )
            .bind(name)
            .bind(change.display_name.is_some())
            .bind(change.display_name.clone().flatten())
            .bind(change.accent_color.is_some())
            .bind(change.accent_color.clone().flatten())
            .bind(logo.is_some())
            .bind(logo.and_then(Option::as_ref).map(|l| l.bytes.clone()))
            .bind(logo.and_then(Option::as_ref).map(|l| l.media_type.clone()))
            .bind(logo.and_then(Option::as_ref).map(Logo::version))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Shop `id`'s name and brand; `None` if there is no such shop.
    pub async fn shop_brand(&self, id: &ShopId) -> Result<Option<(String, Brand)>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT name, display_name, accent_color, logo_type, logo_version FROM shops WHERE id = $1",
            )
            .bind(&id.0)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let brand = Brand {
                display_name: row.try_get("display_name")?,
                accent_color: row.try_get("accent_color")?,
                logo_type: row.try_get("logo_type")?,
                logo_version: row.try_get("logo_version")?,
            };
            Ok(Some((row.try_get("name")?, brand)))
        })
    }

    /// Shop `id`'s logo, if it has one.
    pub async fn shop_logo(&self, id: &ShopId) -> Result<Option<Logo>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT logo, logo_type FROM shops WHERE id = $1 AND logo IS NOT NULL")
                .bind(&id.0)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else { return Ok(None) };
            Ok(Some(Logo { bytes: row.try_get("logo")?, media_type: row.try_get("logo_type")? }))
        })
    }
}

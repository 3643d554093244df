//! Shops and their platform connections: who a bearer token is, connecting a shop's platform
//! (through its plugin, or a WooCommerce REST key), the Shopify shops and their payment sessions,
//! and the platforms' webhooks (each taken once).

use super::{Shops, now};
use crate::domain::{Shop, ShopId, ShopToken};
use crate::platforms::PlatformConfig;
use crate::store::{
    Brand, BrandChange, Logo, PaymentSession, SessionKey, ShopPlatform, StoreError,
};

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

    /// Shop `id`'s name and brand (display name, accent colour, whether it has a logo).
    pub async fn brand(&self, id: &ShopId) -> Result<Option<(String, Brand)>, StoreError> {
        self.store.shop_brand(id).await
    }

    /// Shop `id`'s logo, if it has one.
    pub async fn logo(&self, id: &ShopId) -> Result<Option<Logo>, StoreError> {
        self.store.shop_logo(id).await
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

/// The largest logo the shim keeps: a logo is shown at most 48 px high.
pub const LOGO_MAX_BYTES: usize = 256 * 1024;

/// The least contrast an accent colour must have against white: the widget draws white text on
/// it and draws it as text on white (WCAG 2.1 AA for normal text).
pub const MIN_ACCENT_CONTRAST: f64 = 4.5;

/// `#rgb` or `#rrggbb` as `[r, g, b]`.
fn parse_color(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#')?;
    let digit = |i: usize| u8::from_str_radix(hex.get(i..i + 1)?, 16).ok();
    match hex.len() {
        3 => Some([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17]),
        6 => {
            let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
            Some([byte(0)?, byte(2)?, byte(4)?])
        }
        _ => None,
    }
}

/// WCAG 2.1's relative luminance of an sRGB colour.
fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// WCAG 2.1's contrast ratio of two colours (1 to 21).
pub fn contrast_ratio(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (a, b) = (luminance(a), luminance(b));
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// An accent colour as stored (`#rrggbb`, lower case), if it is a colour with enough contrast.
pub fn accent_color(text: &str) -> Result<String, String> {
    let text = text.trim();
    let rgb = parse_color(text).ok_or_else(|| {
        format!("the accent colour must be #rgb or #rrggbb in hex digits, got {text:?}")
    })?;
    let ratio = contrast_ratio(rgb, [255, 255, 255]);
    if ratio < MIN_ACCENT_CONTRAST {
        return Err(format!(
            "the accent colour {text} has a contrast ratio of {:.2}:1 against white; buttons and \
             links need at least {MIN_ACCENT_CONTRAST}:1 (WCAG 2.1 AA): pick a darker colour",
            (ratio * 100.0).floor() / 100.0
        ));
    }
    Ok(format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]))
}

/// A logo's media type, from its first bytes: PNG, JPEG or WebP. Images only as pixels: an SVG
/// could carry script, served from the shim's own origin.
pub fn logo_type(bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.len() > LOGO_MAX_BYTES {
        return Err(format!(
            "the logo is {} KB; at most {} KB (it is shown 48 px high)",
            bytes.len().div_ceil(1024),
            LOGO_MAX_BYTES / 1024
        ));
    }
    match bytes {
        [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, ..] => Ok("image/png"),
        [0xff, 0xd8, 0xff, ..] => Ok("image/jpeg"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Ok("image/webp"),
        _ => Err(
            "the logo must be a PNG, JPEG or WebP image (SVG is not taken: it can carry script)"
                .into(),
        ),
    }
}

/// What `shops brand` asks for, before it is checked: `None` leaves a part as it is, an empty
/// text or image removes it.
#[derive(Debug, Clone, Default)]
pub struct BrandRequest {
    /// The name payers see.
    pub display_name: Option<String>,
    /// `#rrggbb` or `#rgb`.
    pub accent_color: Option<String>,
    /// The logo's bytes.
    pub logo: Option<Vec<u8>>,
}

impl BrandRequest {
    /// The change it asks for, checked.
    fn check(self) -> Result<BrandChange, String> {
        let display_name = match self.display_name.map(|n| n.trim().to_owned()) {
            Some(name) if name.is_empty() => Some(None),
            Some(name) if name.chars().count() > 80 || name.chars().any(char::is_control) => {
                return Err(
                    "the display name must be at most 80 characters without control characters"
                        .into(),
                );
            }
            other => other.map(Some),
        };
        let accent_color = match self.accent_color {
            Some(color) if color.trim().is_empty() => Some(None),
            Some(color) => Some(Some(accent_color(&color)?)),
            None => None,
        };
        let logo = match self.logo {
            Some(bytes) if bytes.is_empty() => Some(None),
            Some(bytes) => Some(Some(Logo {
                media_type: logo_type(&bytes)?.to_owned(),
                bytes,
            })),
            None => None,
        };
        Ok(BrandChange {
            display_name,
            accent_color,
            logo,
        })
    }
}

impl ShopAdmin<'_> {
    /// Changes shop `name`'s brand as `request` asks, after checking every part of it; nothing
    /// changes when a part is refused.
    pub async fn set_brand(&self, name: &str, request: BrandRequest) -> Result<(), ShopAdminError> {
        let change = request.check().map_err(ShopAdminError::Invalid)?;
        if !self.0.set_shop_brand(name, &change).await? {
            return Err(ShopAdminError::NotFound(name.to_owned()));
        }
        Ok(())
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_is_wcags() {
        let white = [255, 255, 255];
        assert!((contrast_ratio([0, 0, 0], white) - 21.0).abs() < 1e-9);
        assert!((contrast_ratio(white, white) - 1.0).abs() < 1e-9);
        // WCAG's own example threshold: #767676 on white passes 4.5:1, #777777 does not.
        assert!(contrast_ratio([0x76, 0x76, 0x76], white) >= 4.5);
        assert!(contrast_ratio([0x77, 0x77, 0x77], white) < 4.5);
    }

    #[test]
    fn accents_are_checked_and_named_by_their_contrast() {
        assert_eq!(accent_color("#1A73E8").as_deref(), Ok("#1a73e8"));
        assert_eq!(accent_color(" #036 ").as_deref(), Ok("#003366"));
        let refused = accent_color("#ffcc00").unwrap_err();
        assert!(
            refused.contains("1.51:1") && refused.contains("4.5:1"),
            "{refused}"
        );
        for bad in ["1a73e8", "#12345", "#gggggg", "red", "#1a73e8ff", ""] {
            assert!(accent_color(bad).unwrap_err().contains("#rrggbb"), "{bad}");
        }
    }

    #[test]
    fn logos_are_pixels_of_a_known_kind() {
        let png = [
            &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..],
            &[0; 16],
        ]
        .concat();
        assert_eq!(logo_type(&png), Ok("image/png"));
        assert_eq!(logo_type(&[0xff, 0xd8, 0xff, 0xe0, 0, 0]), Ok("image/jpeg"));
        assert_eq!(logo_type(b"RIFF\x10\0\0\0WEBPVP8 "), Ok("image/webp"));
        assert!(
            logo_type(b"<svg onload=alert(1)>")
                .unwrap_err()
                .contains("SVG")
        );
        let huge = [png.clone(), vec![0; LOGO_MAX_BYTES]].concat();
        assert!(logo_type(&huge).unwrap_err().contains("at most 256 KB"));
    }
}

//! Connecting a shop's platform without copying keys by hand. WooCommerce and PrestaShop: the
//! plugin's "connect this shop" sends its shared secret with the shop token; the shim checks that
//! it reaches the plugin's signed route with it (a `ping`) and stores the connection. WooCommerce
//! plugins before that route ask instead for the shop's `/wc-auth/v1/authorize` with a one-time
//! code; once the merchant approves, WooCommerce posts a new REST key to the shim, which stores it.

use super::answers::Connection;
use super::{ApiError, AppState};
use super::{AuthShop, JsonBody};
use crate::platforms::{Adapter, PlatformConfig};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use shop_adapters::platform::AdapterError;

/// How long a connect code waits for WooCommerce's callback, seconds.
const CONNECT_TTL: i64 = 900;

/// `POST /v1/platforms/woocommerce/connect`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ConnectRequest {
    /// The shop's site: WordPress's home URL (`https://shop.example`).
    site: String,
    /// The plugin's shared secret (16 characters or more): the shim moves orders through the
    /// plugin's own signed route, and checks now that it answers.
    #[serde(default)]
    secret: Option<String>,
    /// Without `secret`: where WooCommerce sends the merchant back after approving a REST key
    /// (the plugin's settings page).
    #[serde(default)]
    return_url: Option<String>,
}

/// Connects the shop to its WooCommerce site. With the plugin's `secret`: checks the plugin's
/// route answers with it, stores the connection and answers `{"connected": true, "plugin",
/// "platform"}`. Without: answers the URL to send the merchant to, to approve a REST key.
#[utoipa::path(
    post, path = "/v1/platforms/woocommerce/connect", tag = "platforms",
    request_body = ConnectRequest,
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "`{\"connected\": true, \"plugin\", \"platform\"}` (with `secret`), or `{\"authorize_url\", \"expires_in\"}`: send the merchant there", body = Connection),
        (status = 400, description = "The site or return URL is not an http(s) URL, or the secret is too short", body = shim_api::ErrorBody),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
        (status = 422, description = "The plugin's route refused the shim, or answered something else (the message says what)", body = shim_api::ErrorBody),
        (status = 503, description = "The shop could not be reached from the shim", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn connect(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    JsonBody(request): JsonBody<ConnectRequest>,
) -> Result<Json<Connection>, ApiError> {
    let site = shop_site(&request.site)?;
    if let Some(secret) = request.secret {
        let config = PlatformConfig::Woocommerce {
            site: site.clone(),
            secret: Some(secret),
            consumer_key: None,
            consumer_secret: None,
            statuses: Default::default(),
        };
        return connect_plugin(&state, &shop.name, &site, config).await;
    }
    let return_url = request.return_url.unwrap_or_else(|| {
        format!("{site}/wp-admin/admin.php?page=wc-settings&tab=checkout&section=crypto_checkout")
    });
    if !http_url(&return_url) {
        return Err(ApiError::invalid("return_url must be an http(s) URL"));
    }
    let code =
        hex::encode(crate::domain::random_bytes::<16>().map_err(|e| ApiError::internal(&e))?);
    state
        .services
        .shops
        .start_key_connect(&code, &shop.id, &site)
        .await?;
    let mut authorize = reqwest::Url::parse(&format!("{site}/wc-auth/v1/authorize"))
        .map_err(|_| ApiError::invalid("site is not a URL"))?;
    authorize
        .query_pairs_mut()
        .append_pair("app_name", "Crypto Checkout")
        .append_pair("scope", "read_write")
        .append_pair("user_id", &code)
        .append_pair("return_url", &return_url)
        .append_pair(
            "callback_url",
            &format!(
                "{}/v1/platforms/woocommerce/keys",
                state.services.public_url()
            ),
        );
    Ok(Json(Connection::Authorize {
        authorize_url: authorize.to_string(),
        expires_in: CONNECT_TTL,
    }))
}

/// What WooCommerce posts once the merchant approved the key.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct WooKeys {
    /// The code the shim passed as `user_id`.
    #[schema(value_type = String)]
    user_id: Value,
    /// `ck_...`.
    consumer_key: String,
    /// `cs_...`.
    consumer_secret: String,
    /// `read_write` is what the shim asked for.
    key_permissions: String,
}

/// WooCommerce's callback with the new REST key; stores it as the shop's connection (once).
#[utoipa::path(
    post, path = "/v1/platforms/woocommerce/keys", tag = "platforms",
    request_body = WooKeys,
    responses(
        (status = 200, description = "Stored: the shop is connected (`{\"ok\": true}`)", body = Connection),
        (status = 400, description = "Not the read/write key asked for", body = shim_api::ErrorBody),
        (status = 404, description = "Unknown, used or expired connect code", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn woo_keys(
    State(state): State<AppState>,
    JsonBody(keys): JsonBody<WooKeys>,
) -> Result<Json<Connection>, ApiError> {
    let code = match &keys.user_id {
        Value::String(code) => code.clone(),
        other => other.to_string(),
    };
    if keys.key_permissions != "read_write" {
        return Err(ApiError::invalid(
            "the key must be read_write: approve the access the shim asked for",
        ));
    }
    if keys.consumer_key.trim().is_empty() || keys.consumer_secret.trim().is_empty() {
        return Err(ApiError::invalid(
            "consumer_key and consumer_secret are required",
        ));
    }
    let Some((shop, site)) = state
        .services
        .shops
        .take_key_connect(&code, CONNECT_TTL)
        .await?
    else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            shim_api::ErrorCode::NotFound,
            "unknown, used or expired connect code: start connecting again from the plugin",
        ));
    };
    let config = PlatformConfig::Woocommerce {
        site,
        secret: None,
        consumer_key: Some(keys.consumer_key),
        consumer_secret: Some(keys.consumer_secret),
        statuses: Default::default(),
    };
    state
        .services
        .shops
        .set_platform(&shop, Some(&config))
        .await?;
    tracing::info!(shop = %shop, "shop connected to WooCommerce");
    Ok(Json(Connection::Stored { ok: true }))
}

/// The shop's site as given (`https://shop.example`), without a trailing slash.
fn shop_site(given: &str) -> Result<String, ApiError> {
    let site = given.trim().trim_end_matches('/').to_owned();
    if !http_url(&site) {
        return Err(ApiError::invalid(
            "site must be the shop's http(s) URL, like https://shop.example",
        ));
    }
    Ok(site)
}

/// Whether `url` is an absolute http(s) URL with a host, of a sensible length.
fn http_url(url: &str) -> bool {
    url.len() <= 300
        && reqwest::Url::parse(url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// `POST /v1/platforms/prestashop/connect`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PrestaConnectRequest {
    /// The shop: where its `index.php` is (`https://shop.example`).
    site: String,
    /// The module's shared secret (16 characters or more).
    secret: String,
}

/// Connects the shop to its PrestaShop module: checks the module's route answers with the
/// secret, stores the connection and answers `{"connected": true, "plugin", "platform"}`.
#[utoipa::path(
    post, path = "/v1/platforms/prestashop/connect", tag = "platforms",
    request_body = PrestaConnectRequest,
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "`{\"connected\": true, \"plugin\", \"platform\"}`: the shop is connected", body = Connection),
        (status = 400, description = "The site is not an http(s) URL, or the secret is too short", body = shim_api::ErrorBody),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
        (status = 422, description = "The module's route refused the shim, or answered something else (the message says what)", body = shim_api::ErrorBody),
        (status = 503, description = "The shop could not be reached from the shim", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn connect_prestashop(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    JsonBody(request): JsonBody<PrestaConnectRequest>,
) -> Result<Json<Connection>, ApiError> {
    let site = shop_site(&request.site)?;
    let config = PlatformConfig::Prestashop {
        site: site.clone(),
        secret: Some(request.secret),
        key: None,
        states: Default::default(),
    };
    connect_plugin(&state, &shop.name, &site, config).await
}

/// Connects `shop` through its plugin's route at `site` (`config`), once a signed `ping` is
/// answered; nothing is stored otherwise.
async fn connect_plugin(
    state: &AppState,
    shop: &str,
    site: &str,
    config: PlatformConfig,
) -> Result<Json<Connection>, ApiError> {
    config.validate().map_err(ApiError::invalid)?;
    let Ok(Adapter::Plugin(plugin)) = config.adapter(state.services.egress()) else {
        return Err(ApiError::invalid("not a plugin connection"));
    };
    let ping = plugin.ping().await.map_err(|e| {
        let message = format!("the shim could not connect to the plugin at {site}: {e}");
        match e {
            AdapterError::Unavailable(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                shim_api::ErrorCode::ShopUnavailable,
                message,
            ),
            AdapterError::Refused(_) | AdapterError::Unreadable(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                shim_api::ErrorCode::InvalidRequest,
                message,
            ),
        }
    })?;
    state
        .services
        .shops
        .set_platform(shop, Some(&config))
        .await?;
    tracing::info!(shop = %shop, plugin = %ping.plugin, platform = %ping.platform,
        "shop connected through the plugin's route");
    Ok(Json(Connection::Connected {
        connected: true,
        plugin: ping.plugin,
        platform: ping.platform,
    }))
}

//! The small JSON answers of the routes, typed: lists of the shop's things, the webhook
//! receipt, the platform connection answers. The views themselves live in `shim-api` and the
//! services.

use crate::services::buttons::ButtonView;
use crate::services::links::LinkView;
use serde::Serialize;
use shim_api::{PayoutView, WalletView};

/// `GET /v1/buttons`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ButtonList {
    /// Newest first.
    pub buttons: Vec<ButtonView>,
}

/// `GET /v1/links`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct LinkList {
    /// Newest first.
    pub links: Vec<LinkView>,
}

/// `GET /v1/payouts`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct PayoutList {
    /// Newest first.
    pub payouts: Vec<PayoutView>,
}

/// A wallet as its shop sees it: the public view and the shop's reference for its customer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ShopWallet {
    #[serde(flatten)]
    pub wallet: WalletView,
    /// The shop's reference for its customer.
    pub customer: String,
}

/// `GET /v1/wallets`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct WalletList {
    /// Newest first.
    pub wallets: Vec<ShopWallet>,
}

/// `POST /v1/wallets/{id}/refund`: what goes back, and the gateway's commission for it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Refund {
    /// What the customer gets back, decimal string.
    pub amount: String,
    /// The gateway's commission, decimal string.
    pub commission: String,
}

/// `POST /v1/ipn/cryptomus`: the webhook is stored (`webhook`, its inbox id) and what became of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct WebhookReceipt {
    /// Always `true`: the gateway need not send it again.
    pub ok: bool,
    /// Its id in the inbox.
    pub webhook: i64,
    /// `applied: paid`, `duplicate`, `queued`, ...
    pub outcome: String,
}

impl WebhookReceipt {
    /// Webhook `webhook` is stored, and `outcome` became of it.
    pub fn new(webhook: i64, outcome: impl Into<String>) -> Self {
        Self {
            ok: true,
            webhook,
            outcome: outcome.into(),
        }
    }
}

/// The answer to connecting a shop's platform.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub(super) enum Connection {
    /// Connected through the plugin's route, which answered as `plugin` on `platform`.
    Connected {
        /// Always `true`.
        connected: bool,
        /// The plugin's name and version, as it said.
        plugin: String,
        /// The platform's name and version, as the plugin said.
        platform: String,
    },
    /// Send the merchant to `authorize_url` (within `expires_in` seconds) to approve a REST key.
    Authorize {
        /// WooCommerce's page that approves the key.
        authorize_url: String,
        /// Seconds the connect code stays valid.
        expires_in: i64,
    },
    /// Stored.
    Stored {
        /// Always `true`.
        ok: bool,
    },
}

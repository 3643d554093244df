//! Our plugins' own route inside the shop, for WooCommerce and PrestaShop: the shim reads an order
//! and asks the plugin to move it; the plugin does it with its platform's own PHP API, as the
//! platform's own payment modules do (WooCommerce's `payment_complete()`, PrestaShop's order
//! histories and private customer messages), whatever the site's URL settings and with or
//! without HTTPS. Every call is signed with the secret shared with the plugin (see
//! [`crate::signed`]); each update carries a key, so a repeat writes nothing twice. The
//! plugin's "connect this shop" button gives the shim the route and the secret.

pub mod transformers;

use crate::OrderAction;
use crate::egress::Egress;
use crate::platform::{
    AdapterError, EXPIRED_NOTE, FAILED_NOTE, PaymentFacts, Platform, REFUNDED_NOTE, ShopOrder,
    order_number,
};
use crate::signed::SignedRoute;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use transformers::{PluginCall, PluginOrder, PluginPing, PluginStep, PluginUpdate, PluginUpdated};

/// A shop with our plugin, reached through the plugin's signed route.
#[derive(Debug, Clone)]
pub struct PluginRoute {
    platform: &'static str,
    url: String,
    query: &'static [(&'static str, &'static str)],
    route: SignedRoute,
}

impl PluginRoute {
    /// A WooCommerce shop at `site`, called only where `egress` allows (WordPress's home URL, `https://shop.example`): the route is
    /// WooCommerce's API endpoint, `/?wc-api=crypto_checkout`, which works whatever the
    /// permalinks.
    pub fn woocommerce(
        site: &str,
        secret: SecretString,
        egress: &Egress,
    ) -> Result<Self, AdapterError> {
        Ok(Self {
            platform: "WooCommerce",
            url: format!("{}/", site.trim_end_matches('/')),
            query: &[("wc-api", "crypto_checkout")],
            route: SignedRoute::new(secret, egress)?,
        })
    }

    /// A PrestaShop shop at `site` (where its `index.php` is): the route is the module's front
    /// controller `shim`, addressed without friendly URLs so that it works with or without them.
    pub fn prestashop(
        site: &str,
        secret: SecretString,
        egress: &Egress,
    ) -> Result<Self, AdapterError> {
        Ok(Self {
            platform: "PrestaShop",
            url: format!("{}/index.php", site.trim_end_matches('/')),
            query: &[
                ("fc", "module"),
                ("module", "cryptocheckout"),
                ("controller", "shim"),
            ],
            route: SignedRoute::new(secret, egress)?,
        })
    }

    async fn call<T: DeserializeOwned>(&self, call: &PluginCall) -> Result<T, AdapterError> {
        self.route
            .call(
                &self.url,
                self.query,
                &format!("the {} plugin", self.platform),
                call,
                "connect the shop again from the plugin's settings: the secret it holds is not the shim's",
            )
            .await
    }

    /// Checks that the plugin answers and shares the secret; its and its platform's versions.
    pub async fn ping(&self) -> Result<PluginPing, AdapterError> {
        self.call(&PluginCall::Ping).await
    }
}

fn plugin_order(order: PluginOrder) -> Result<ShopOrder, AdapterError> {
    let state = transformers::plugin_state(&order.state).ok_or_else(|| {
        AdapterError::Unreadable(format!("the plugin's order state {:?}", order.state))
    })?;
    Ok(ShopOrder {
        reference: order.order_id.to_string(),
        status: order.status,
        state,
        total: order.total,
        currency: order.currency,
    })
}

impl Platform for PluginRoute {
    async fn order(&self, reference: &str) -> Result<ShopOrder, AdapterError> {
        let order_id = order_number(self.platform, reference)?;
        plugin_order(self.call(&PluginCall::Order { order_id }).await?)
    }

    async fn apply(
        &self,
        order: &ShopOrder,
        action: &OrderAction,
        facts: &PaymentFacts,
    ) -> Result<(), AdapterError> {
        let (step, notes) = match action {
            OrderAction::Nothing => return Ok(()),
            OrderAction::MarkPaid { note } => {
                let paid = facts.paid_sentence();
                let mut notes = vec![facts.note(&paid)];
                notes.extend(note.as_deref().map(|note| facts.note(note)));
                (PluginStep::Paid, notes)
            }
            OrderAction::Hold { note } => (PluginStep::Hold, vec![facts.note(note)]),
            OrderAction::Cancel => (PluginStep::Cancel, vec![facts.note(EXPIRED_NOTE)]),
            OrderAction::Fail => (PluginStep::Fail, vec![facts.note(FAILED_NOTE)]),
            OrderAction::Refund => (PluginStep::Refund, vec![facts.note(REFUNDED_NOTE)]),
            OrderAction::NoteOnly { note } => (PluginStep::Note, vec![facts.note(note)]),
        };
        let step_name = serde_json::to_value(step)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let update = PluginUpdate {
            order_id: order_number(self.platform, &order.reference)?,
            invoice_id: facts.invoice_id.clone(),
            invoice_status: facts.status.to_string(),
            step,
            transaction_id: facts.txid.clone(),
            notes,
            key: format!("{}:{}:{step_name}", facts.invoice_id, facts.status),
        };
        // `applied: false` is a repeat, or an order that moved on meanwhile: done either way.
        let _: PluginUpdated = self.call(&PluginCall::Update(update)).await?;
        Ok(())
    }
}

//! Payouts from the merchant's balance at the gateway, for shops the operator allowed
//! (`server-shim shops allow-payouts`), signed with the payout key.
//!
//! A payout is idempotent on the shop's `order_id`; it is checked against the gateway's balance
//! first, with a clear error when the balance is short; its webhooks (signed with the payout key)
//! are only hints: the shim re-reads the payout from the gateway and moves it to its final status,
//! telling the shop by signed callback.

use crate::checkout::{Checkout, CheckoutError, IpnError, IpnOutcome, now};
use crate::domain::{Shop, ShopId, currency_code, network_code, parse_amount, text_field};
use crate::store::{NewWebhook, PayoutRecord};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shim_gateway::{BalanceOwner, CreatePayout, GatewayError, GatewayPayout, PaymentRef};

/// `POST /v1/payouts`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPayoutRequest {
    /// The shop's id for it (1 to 128 characters); asking again with it returns the same payout.
    pub order_id: String,
    /// How much, a decimal string.
    pub amount: String,
    /// The coin (`USDT`...).
    pub currency: String,
    /// Its network (`tron`...).
    pub network: String,
    /// Where it goes.
    pub address: String,
    /// Who bears the gateway's fee: `true`, the balance (the recipient gets `amount`); `false`,
    /// the recipient (it is taken from `amount`).
    pub is_subtract: bool,
}

/// A payout as the shop sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PayoutView {
    /// `pay_…`.
    pub id: String,
    /// The shop's id for it.
    pub order_id: String,
    /// How much.
    pub amount: String,
    /// The coin.
    pub currency: String,
    /// Its network.
    pub network: String,
    /// Where it goes.
    pub address: String,
    /// Who bears the fee (see [`NewPayoutRequest::is_subtract`]).
    pub is_subtract: bool,
    /// `process`, `check`, `paid`, `fail`, `cancel`, `system_fail` (the gateway's).
    pub status: String,
    /// The chain transaction, once sent.
    pub txid: Option<String>,
    /// The status will not change any more.
    pub is_final: bool,
    /// When it was asked for (unix seconds).
    pub created_at: i64,
}

/// Why a payout was not made.
#[derive(Debug, thiserror::Error)]
pub enum PayoutError {
    /// The operator did not allow this shop to pay out.
    #[error(
        "this shop may not make payouts: the operator allows it with `server-shim shops allow-payouts`"
    )]
    NotAllowed,
    /// The shim has no payout key.
    #[error("payouts need the gateway's payout key: set SHIM_PAYOUT_KEY")]
    NoPayoutKey,
    /// The balance does not cover it.
    #[error("{0}")]
    BalanceShort(String),
    /// No such payout (of this shop).
    #[error("no such payout")]
    NotFound,
    /// The rest.
    #[error(transparent)]
    Checkout(#[from] CheckoutError),
}

impl From<crate::store::StoreError> for PayoutError {
    fn from(e: crate::store::StoreError) -> Self {
        PayoutError::Checkout(e.into())
    }
}

impl From<GatewayError> for PayoutError {
    fn from(e: GatewayError) -> Self {
        PayoutError::Checkout(e.into())
    }
}

/// The view of `payout`.
pub fn payout_view(payout: &PayoutRecord) -> PayoutView {
    PayoutView {
        id: payout.id.clone(),
        order_id: payout.order_id.clone(),
        amount: payout.amount.normalize().to_string(),
        currency: payout.currency.clone(),
        network: payout.network.clone(),
        address: payout.address.clone(),
        is_subtract: payout.is_subtract,
        status: payout.status.clone(),
        txid: payout.txid.clone(),
        is_final: payout.is_final,
        created_at: payout.created_at,
    }
}

impl Checkout {
    /// Pays out from the merchant's balance, once per order id. Returns the payout and whether
    /// this call made it.
    pub async fn create_payout(
        &self,
        shop: &Shop,
        request: NewPayoutRequest,
    ) -> Result<(PayoutRecord, bool), PayoutError> {
        let store = self.store();
        if !store.payouts_allowed(&shop.id).await? {
            return Err(PayoutError::NotAllowed);
        }
        if self.gateway().payout_webhook_key().is_none() {
            return Err(PayoutError::NoPayoutKey);
        }
        let invalid = |m: String| PayoutError::Checkout(CheckoutError::Invalid(m));
        let order_id = text_field("order_id", &request.order_id, 128).map_err(invalid)?;
        let amount = parse_amount(&request.amount).map_err(invalid)?;
        let currency = currency_code("currency", &request.currency).map_err(invalid)?;
        let network = network_code(&request.network).map_err(invalid)?;
        let address = request.address.trim();
        if address.is_empty()
            || address.len() > 128
            || !address
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b':' || b == b'_' || b == b'-')
        {
            return Err(invalid(
                "address must be the recipient's address, like TQrZ9wBzNaBxD…".into(),
            ));
        }
        if let Some(existing) = store.payout_by_order(&shop.id, &order_id).await? {
            let same = existing.amount == amount
                && existing.currency == currency
                && existing.network == network
                && existing.address == address
                && existing.is_subtract == request.is_subtract;
            if !same {
                return Err(PayoutError::Checkout(CheckoutError::Conflict(format!(
                    "order {order_id} already has a payout of {} {} to {}; use a new order_id for another",
                    existing.amount, existing.currency, existing.address
                ))));
            }
            if existing.gateway_uuid.is_some() {
                return Ok((existing, false));
            }
            // An earlier attempt stored it but did not reach the gateway: carry on below (the
            // gateway returns the same payout for the same order id).
            return self.send_payout(existing, false).await;
        }
        // The balance first: a payout it cannot cover is refused here, with the figures.
        let balance: Decimal = self
            .gateway()
            .balance()
            .await?
            .iter()
            .filter(|b| {
                b.owner == BalanceOwner::Merchant && b.currency.eq_ignore_ascii_case(&currency)
            })
            .map(|b| b.balance)
            .sum();
        // With the fee from the balance, the whole balance is not enough.
        if amount > balance || (request.is_subtract && amount == balance) {
            return Err(PayoutError::BalanceShort(format!(
                "the balance holds {} {currency}; this payout needs {}{}",
                balance.normalize(),
                amount.normalize(),
                if request.is_subtract {
                    " and the network fee"
                } else {
                    ""
                }
            )));
        }
        let payout = PayoutRecord {
            id: crate::links::new_offer_id("pay").map_err(PayoutError::Checkout)?,
            shop_id: shop.id.clone(),
            order_id: order_id.clone(),
            amount,
            currency,
            network,
            address: address.to_owned(),
            is_subtract: request.is_subtract,
            gateway_uuid: None,
            status: "new".into(),
            txid: None,
            is_final: false,
            created_at: now(),
            updated_at: now(),
        };
        if !store.insert_payout(&payout).await? {
            // The same order id a moment ago, in another request: that one's answer.
            let existing = store
                .payout_by_order(&shop.id, &order_id)
                .await?
                .ok_or(PayoutError::NotFound)?;
            return Ok((existing, false));
        }
        self.send_payout(payout, true).await
    }

    async fn send_payout(
        &self,
        payout: PayoutRecord,
        created: bool,
    ) -> Result<(PayoutRecord, bool), PayoutError> {
        let store = self.store();
        let sent = self
            .gateway()
            .create_payout(&CreatePayout {
                amount: payout.amount,
                currency: payout.currency.clone(),
                order_id: payout.id.clone(),
                address: payout.address.clone(),
                is_subtract: payout.is_subtract,
                network: Some(payout.network.clone()),
                url_callback: Some(format!("{}/v1/ipn/cryptomus", self.public_url())),
            })
            .await;
        let sent = match sent {
            Ok(sent) => sent,
            Err(
                e @ (GatewayError::InvalidRequest(_)
                | GatewayError::Validation(_)
                | GatewayError::Rejected(_)),
            ) => {
                // Refused. But an earlier attempt (a retry's first try, or this payout's first
                // request) may have reached the gateway: if the gateway knows the payout, keep
                // it; only a payout it never took is forgotten, so that a corrected request with
                // the same order id starts afresh.
                match self.ask_gateway(&payout).await {
                    Ok(known) => known,
                    Err(GatewayError::NotFound(_)) => {
                        store.delete_unsent_payout(&payout.id).await?;
                        return Err(e.into());
                    }
                    Err(other) => return Err(other.into()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        self.record(&payout.id, &sent, None, now()).await?;
        tracing::info!(payout = %payout.id, status = sent.status.as_str(), "payout sent to the gateway");
        let payout = store
            .payout(&payout.id)
            .await?
            .ok_or(PayoutError::NotFound)?;
        Ok((payout, created))
    }

    /// The gateway's word on `payout`.
    async fn ask_gateway(&self, payout: &PayoutRecord) -> Result<GatewayPayout, GatewayError> {
        self.gateway()
            .payout_info(&PaymentRef::OrderId(payout.id.clone()))
            .await
    }

    /// Records what the gateway says of payout `id` (see [`crate::store::Store::update_payout`]):
    /// `true` if it changed.
    async fn record(
        &self,
        id: &str,
        fetched: &GatewayPayout,
        inbox: Option<(i64, &str)>,
        now: i64,
    ) -> Result<bool, crate::store::StoreError> {
        self.store()
            .update_payout(
                id,
                &fetched.uuid,
                fetched.status.as_str(),
                fetched.txid.as_deref(),
                fetched.is_final,
                inbox,
                now,
            )
            .await
    }

    /// Payout `id` of `shop`.
    pub async fn payout(&self, id: &str, shop: &ShopId) -> Result<PayoutRecord, PayoutError> {
        self.store()
            .payout(id)
            .await?
            .filter(|p| p.shop_id == *shop)
            .ok_or(PayoutError::NotFound)
    }

    /// One pass of the payout reconciler: asks the gateway about payouts that are not final and
    /// quiet for `quiet` seconds (their webhook may have been lost); returns how many it asked.
    pub async fn reconcile_payouts(&self, now: i64, quiet: i64) -> Result<usize, PayoutError> {
        if self.gateway().payout_webhook_key().is_none() {
            return Ok(0);
        }
        let stale = self.store().stale_payouts(now - quiet, 20).await?;
        for payout in &stale {
            match self.ask_gateway(payout).await {
                Ok(fetched) => {
                    if self.record(&payout.id, &fetched, None, now).await? {
                        tracing::info!(payout = %payout.id, status = fetched.status.as_str(), "payout reconciled");
                    }
                }
                Err(GatewayError::Unavailable(e)) => {
                    tracing::warn!(error = %e, "payout reconciliation: the gateway is unavailable");
                    break;
                }
                Err(e) => tracing::warn!(payout = %payout.id, error = %e, "payout not reconciled"),
            }
        }
        Ok(stale.len())
    }

    /// Payout `id` of `shop`, asked of the gateway again while it is not final (its webhook may
    /// have been lost); what is stored when the gateway cannot be asked.
    pub async fn fresh_payout(&self, id: &str, shop: &ShopId) -> Result<PayoutRecord, PayoutError> {
        let payout = self.payout(id, shop).await?;
        if payout.is_final || self.gateway().payout_webhook_key().is_none() {
            return Ok(payout);
        }
        match self.ask_gateway(&payout).await {
            Ok(fetched) => {
                self.record(&payout.id, &fetched, None, now()).await?;
                self.payout(id, shop).await
            }
            Err(e) => {
                tracing::info!(payout = %payout.id, error = %e, "payout not re-read from the gateway");
                Ok(payout)
            }
        }
    }

    /// Applies a payout webhook (verified with the payout key): re-reads the payout from the
    /// gateway and records where it stands.
    pub(crate) async fn apply_payout(
        &self,
        hook: &NewWebhook,
        inbox: i64,
    ) -> Result<(IpnOutcome, bool), IpnError> {
        let Some(payout) = self.store().payout(&hook.order_id).await? else {
            tracing::warn!(order_id = %hook.order_id, "webhook for a payout the shim never made");
            return Ok((IpnOutcome::UnknownInvoice, false));
        };
        let fetched = match self.ask_gateway(&payout).await {
            Ok(fetched) => fetched,
            Err(e @ GatewayError::Unavailable(_)) => return Err(IpnError::GatewayUnavailable(e)),
            Err(e) => return Err(IpnError::Gateway(e)),
        };
        let status = fetched.status.as_str().to_owned();
        let outcome = format!("payout {status}");
        let changed = self
            .record(&payout.id, &fetched, Some((inbox, &outcome)), now())
            .await?;
        tracing::info!(payout = %payout.id, %status, changed, "payout webhook");
        let outcome = if changed {
            IpnOutcome::Payout(status)
        } else {
            IpnOutcome::Unchanged
        };
        Ok((outcome, true))
    }
}

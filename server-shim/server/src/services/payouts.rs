//! Payouts from the merchant's balance at the gateway, for shops the operator allowed
//! (`server-shim shops allow-payouts`), signed with the payout key.
//!
//! A payout is idempotent on the shop's `order_id`; it is checked against the gateway's balance
//! first, with a clear error when the balance is short; its webhooks (signed with the payout key)
//! are only hints: the shim re-reads the payout from the gateway and moves it to its final status,
//! telling the shop by signed callback.

use super::{IpnError, IpnOutcome, Payouts, ServiceError, now};
use crate::domain::{Shop, ShopId, currency_code, network_code, parse_amount, text_field};
use crate::store::{NewWebhook, PayoutRecord, REJECTED, REQUESTED, Reservation, StoreError};
use rust_decimal::Decimal;
use serde::Deserialize;
use shim_api::PayoutView;
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
    /// The balance, the shop's ledger or its daily cap does not cover it: the figures.
    #[error("{0}")]
    BalanceShort(String),
    /// The operator's allowlist for this shop does not name the address.
    #[error(
        "this shop may only pay out to the addresses the operator listed (`server-shim shops allow-payouts --address`), and {0} is not one of them"
    )]
    AddressNotAllowed(String),
    /// The gateway refused it (and does not have it): final; a corrected payout needs a new
    /// order id.
    #[error("the gateway refused this payout: {0}; a corrected payout needs a new order_id")]
    Rejected(String),
    /// No such payout (of this shop).
    #[error("no such payout")]
    NotFound,
    /// The rest.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::store::StoreError> for PayoutError {
    fn from(e: crate::store::StoreError) -> Self {
        PayoutError::Service(e.into())
    }
}

impl From<GatewayError> for PayoutError {
    fn from(e: GatewayError) -> Self {
        PayoutError::Service(e.into())
    }
}

/// A payout before it is made: what it takes, and the balance it takes it from.
#[derive(Debug, Clone)]
pub struct PayoutPreview {
    /// The payout, its fee reckoned.
    pub payout: PayoutRecord,
    /// What leaves the balance: the amount, and the fee when the balance bears it.
    pub debit: Decimal,
    /// The merchant's balance at the gateway in its coin now, all shops together.
    pub balance: Decimal,
}

/// Refuses an address the operator's list for the shop does not name (an empty list allows any).
fn allowed_address(policy: &crate::store::PayoutPolicy, address: &str) -> Result<(), PayoutError> {
    if policy.addresses.is_empty() || policy.addresses.iter().any(|a| a == address) {
        Ok(())
    } else {
        Err(PayoutError::AddressNotAllowed(address.to_owned()))
    }
}

/// What a payout takes from the balance, in words.
fn needs(payout: &PayoutRecord) -> String {
    if payout.is_subtract {
        format!(
            "{} and its fee {}",
            payout.amount.normalize(),
            payout.fee.normalize()
        )
    } else {
        payout.amount.normalize().to_string()
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

/// How long a payout sent to the gateway without an answer waits before it may be sent again
/// (with the same gateway order id, so the gateway makes it once at most): longer than any call
/// with its retries.
const RESEND_AFTER: i64 = 120;

impl Payouts {
    /// The shop's payouts, newest first.
    pub async fn list(&self, shop: &ShopId) -> Result<Vec<PayoutRecord>, StoreError> {
        self.store().payouts(shop).await
    }

    /// Pays out from the merchant's balance, once per order id. Returns the payout and whether
    /// this call made it.
    pub async fn create_payout(
        &self,
        shop: &Shop,
        request: NewPayoutRequest,
    ) -> Result<(PayoutRecord, bool), PayoutError> {
        let store = self.store();
        let (asked, policy) = self.checked(shop, request).await?;
        // The same order id again: that payout's answer, whatever the ledger says now.
        if let Some(existing) = store.payout_by_order(&shop.id, &asked.order_id).await? {
            return self.resume(existing, &asked).await;
        }
        allowed_address(&policy, &asked.address)?;
        let fee = self.payout_fee(&asked).await?;
        let asked = PayoutRecord { fee, ..asked };
        let debit = asked.debit();
        let balance = self.merchant_balance(&asked.currency).await?;
        if debit > balance {
            return Err(PayoutError::BalanceShort(format!(
                "the balance holds {} {}; this payout needs {}",
                balance.normalize(),
                asked.currency,
                needs(&asked),
            )));
        }
        self.reserve_and_send(asked, &policy, debit).await
    }

    /// What a payout would take, before it is made: its fee, what leaves the balance, and the
    /// balance now (for a confirmation step). Checks what `create_payout` checks first.
    pub async fn preview(
        &self,
        shop: &Shop,
        request: NewPayoutRequest,
    ) -> Result<PayoutPreview, PayoutError> {
        let (asked, policy) = self.checked(shop, request).await?;
        allowed_address(&policy, &asked.address)?;
        let fee = self.payout_fee(&asked).await?;
        let asked = PayoutRecord { fee, ..asked };
        Ok(PayoutPreview {
            debit: asked.debit(),
            balance: self.merchant_balance(&asked.currency).await?,
            payout: asked,
        })
    }

    /// The merchant's balance at the gateway in `currency`, all shops together.
    async fn merchant_balance(&self, currency: &str) -> Result<Decimal, PayoutError> {
        Ok(self
            .gateway()
            .balance()
            .await?
            .iter()
            .filter(|b| {
                b.owner == BalanceOwner::Merchant && b.currency.eq_ignore_ascii_case(currency)
            })
            .map(|b| b.balance)
            .sum())
    }

    /// Request `request` of `shop`, checked: the payout it asks for (no fee yet), and what the
    /// operator allows the shop.
    async fn checked(
        &self,
        shop: &Shop,
        request: NewPayoutRequest,
    ) -> Result<(PayoutRecord, crate::store::PayoutPolicy), PayoutError> {
        let store = self.store();
        let Some(policy) = store.payout_permission(&shop.id).await? else {
            return Err(PayoutError::NotAllowed);
        };
        if self.gateway().payout_webhook_key().is_none() {
            return Err(PayoutError::NoPayoutKey);
        }
        let invalid = |m: String| PayoutError::Service(ServiceError::Invalid(m));
        let order_id = text_field("order_id", &request.order_id, 128).map_err(invalid)?;
        let amount = parse_amount(&request.amount).map_err(invalid)?;
        let currency = currency_code("currency", &request.currency).map_err(invalid)?;
        let network = network_code(&request.network).map_err(invalid)?;
        let Some(address) = crate::domain::address(&request.address) else {
            return Err(invalid(
                "address must be the recipient's address, like TQrZ9wBzNaBxD…".into(),
            ));
        };
        let asked = PayoutRecord {
            id: crate::services::links::new_offer_id("pay").map_err(PayoutError::Service)?,
            shop_id: shop.id.clone(),
            order_id,
            amount,
            currency,
            network,
            address: address.to_owned(),
            is_subtract: request.is_subtract,
            gateway_uuid: None,
            status: REQUESTED.into(),
            fee: Decimal::ZERO,
            error: None,
            submitted_at: None,
            txid: None,
            is_final: false,
            created_at: now(),
            updated_at: now(),
        };
        Ok((asked, policy))
    }

    /// Reserves `asked` (taking `debit` from the balance) in the shop's ledger and sends it.
    async fn reserve_and_send(
        &self,
        asked: PayoutRecord,
        policy: &crate::store::PayoutPolicy,
        debit: Decimal,
    ) -> Result<(PayoutRecord, bool), PayoutError> {
        let store = self.store();
        // This shop's own share of it, and the operator's cap; checked and stored in one
        // transaction per shop, so that concurrent payouts cannot both spend the same money.
        let currency = asked.currency.clone();
        let reservation = store
            .reserve_payout(&asked, |ledger| {
                let available = ledger.available();
                if debit > available {
                    return Err(format!(
                        "this shop's ledger holds {} {currency} (its payments {} and deposits {} \
                         after the gateway's commission, less its payouts {}); this payout needs {}",
                        available.normalize(),
                        ledger.invoices.normalize(),
                        ledger.deposits.normalize(),
                        ledger.payouts.normalize(),
                        needs(&asked),
                    ));
                }
                if let Some(cap) = policy.daily_cap(&currency)
                    && ledger.paid_out_today + asked.amount > cap
                {
                    return Err(format!(
                        "this shop may pay out {} {currency} in 24 hours; {} went out in the last \
                         24 hours and this payout asks {}",
                        cap.normalize(),
                        ledger.paid_out_today.normalize(),
                        asked.amount.normalize(),
                    ));
                }
                Ok(())
            })
            .await?;
        match reservation {
            Reservation::Stored(payout) => self.send_payout(payout, None, true).await,
            Reservation::Existing(existing) => self.resume(existing, &asked).await,
            Reservation::Refused(message) => Err(PayoutError::BalanceShort(message)),
        }
    }

    /// The gateway's fee the balance bears for `payout` (with `is_subtract`), from its payout
    /// services; refuses a coin, network or amount the gateway does not pay out.
    async fn payout_fee(&self, payout: &PayoutRecord) -> Result<Decimal, PayoutError> {
        let services = self.gateway().payout_services().await?;
        let invalid = |m: String| PayoutError::Service(ServiceError::Invalid(m));
        let Some(service) = services.iter().find(|s| {
            s.currency.eq_ignore_ascii_case(&payout.currency)
                && s.network.eq_ignore_ascii_case(&payout.network)
        }) else {
            return Err(invalid(format!(
                "the gateway does not pay out {} on the {} network",
                payout.currency, payout.network
            )));
        };
        if !service.available {
            return Err(invalid(format!(
                "the gateway's payouts of {} on {} are paused; try later",
                payout.currency, payout.network
            )));
        }
        if payout.amount < service.min_amount || payout.amount > service.max_amount {
            return Err(invalid(format!(
                "a payout of {} on {} must be between {} and {}",
                payout.currency,
                payout.network,
                service.min_amount.normalize(),
                service.max_amount.normalize()
            )));
        }
        if !payout.is_subtract {
            return Ok(Decimal::ZERO);
        }
        Ok(service.fee_amount + payout.amount * service.fee_percent / Decimal::ONE_HUNDRED)
    }

    /// A payout asked for again (`asked`, the same order id): the same one if it asks the same,
    /// carried on where it stopped.
    async fn resume(
        &self,
        existing: PayoutRecord,
        asked: &PayoutRecord,
    ) -> Result<(PayoutRecord, bool), PayoutError> {
        let same = existing.amount == asked.amount
            && existing.currency == asked.currency
            && existing.network == asked.network
            && existing.address == asked.address
            && existing.is_subtract == asked.is_subtract;
        if !same {
            return Err(PayoutError::Service(ServiceError::Conflict(format!(
                "order {} already has a payout of {} {} to {}; use a new order_id for another",
                existing.order_id,
                existing.amount.normalize(),
                existing.currency,
                existing.address
            ))));
        }
        if existing.status == REJECTED {
            return Err(PayoutError::Rejected(
                existing.error.unwrap_or_else(|| "refused".into()),
            ));
        }
        Ok((self.carry_on(existing).await?, false))
    }

    /// Moves a payout the gateway may not have on: sends one that was only stored, asks the
    /// gateway about one sent without an answer (and sends it again, with the same gateway
    /// order id, once the gateway says it never got it). Others are returned as they are.
    async fn carry_on(&self, payout: PayoutRecord) -> Result<PayoutRecord, PayoutError> {
        if payout.is_final || payout.gateway_uuid.is_some() {
            return Ok(payout);
        }
        if payout.status == REQUESTED {
            return Ok(self.send_payout(payout, None, false).await?.0);
        }
        match self.ask_gateway(&payout).await {
            Ok(known) => {
                self.record(&payout.id, &known, None, now()).await?;
                self.stored(&payout.id).await
            }
            Err(GatewayError::NotFound(_))
                if payout.submitted_at.unwrap_or(0) + RESEND_AFTER <= now() =>
            {
                let last_sent = payout.submitted_at;
                Ok(self.send_payout(payout, last_sent, false).await?.0)
            }
            Err(e) => {
                tracing::info!(payout = %payout.id, error = %e, "payout still unconfirmed");
                Ok(payout)
            }
        }
    }

    /// Sends `payout` to the gateway if this caller wins the right to (see
    /// [`crate::store::Store::claim_payout`]); records the answer. A refusal leaves the payout
    /// `rejected` only once the gateway confirms it does not have it; no answer leaves it
    /// `submitted`, for a later request or the reconciler.
    async fn send_payout(
        &self,
        payout: PayoutRecord,
        last_sent: Option<i64>,
        created: bool,
    ) -> Result<(PayoutRecord, bool), PayoutError> {
        let store = self.store();
        if !store.claim_payout(&payout.id, last_sent, now()).await? {
            // Another request or process is sending it: where it stands now.
            return Ok((self.stored(&payout.id).await?, created));
        }
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
                to_currency: None,
            })
            .await;
        let sent = match sent {
            Ok(sent) => sent,
            Err(
                e @ (GatewayError::InvalidRequest(_)
                | GatewayError::Validation(_)
                | GatewayError::Rejected(_)),
            ) => match self.ask_gateway(&payout).await {
                // An earlier send may have reached the gateway after all: keep that payout.
                Ok(known) => known,
                Err(GatewayError::NotFound(_)) => {
                    store
                        .reject_payout(&payout.id, &e.to_string(), now())
                        .await?;
                    tracing::info!(payout = %payout.id, error = %e, "payout refused by the gateway");
                    return Err(PayoutError::Rejected(e.to_string()));
                }
                Err(other) => return Err(other.into()),
            },
            Err(e) => {
                tracing::warn!(payout = %payout.id, error = %e, "payout sent without an answer; it will be asked about");
                return Ok((self.stored(&payout.id).await?, created));
            }
        };
        self.record(&payout.id, &sent, None, now()).await?;
        tracing::info!(payout = %payout.id, status = sent.status.as_str(), "payout sent to the gateway");
        Ok((self.stored(&payout.id).await?, created))
    }

    /// Payout `id` as stored.
    async fn stored(&self, id: &str) -> Result<PayoutRecord, PayoutError> {
        self.store().payout(id).await?.ok_or(PayoutError::NotFound)
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
        for payout in stale.iter().cloned() {
            let id = payout.id.clone();
            if payout.gateway_uuid.is_none() {
                // Stored or sent without an answer: sent now, or asked about.
                match self.carry_on(payout).await {
                    Ok(moved) => {
                        tracing::info!(payout = %id, status = %moved.status, "payout carried on")
                    }
                    Err(e) => tracing::warn!(payout = %id, error = %e, "payout not carried on"),
                }
                continue;
            }
            match self.ask_gateway(&payout).await {
                Ok(fetched) => {
                    if self.record(&id, &fetched, None, now).await? {
                        tracing::info!(payout = %id, status = fetched.status.as_str(), "payout reconciled");
                    }
                }
                Err(GatewayError::Unavailable(e)) => {
                    tracing::warn!(error = %e, "payout reconciliation: the gateway is unavailable");
                    break;
                }
                Err(e) => tracing::warn!(payout = %id, error = %e, "payout not reconciled"),
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
        if payout.gateway_uuid.is_none() {
            return self.carry_on(payout).await;
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

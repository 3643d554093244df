//! Bringing an invoice up to date with the gateway's record of its payment: for a webhook (after
//! it is in the inbox) or for the reconciler. The payment is re-read from the gateway, checked to
//! be one of the invoice's, and applied under the invoice's lock with a versioned update.

use super::decide::decide;
use super::{Invoices, IpnError, IpnOutcome, ServiceError, now};
use crate::domain::{InvoiceRecord, ReviewReason, ShopId};
use crate::store::{
    GatewayDetails, InvoiceEvent, InvoicePayment, InvoiceUpdate, StoreError, WithChange,
};
use rust_decimal::Decimal;
use shim_api::InvoiceStatus;
use shim_gateway::{GatewayError, GatewayInvoice, PaymentRef, PaymentStatus};

impl Invoices {
    /// Keeps the shop's ledger: what the gateway says payment `fetched` brought to the merchant's
    /// balance once it is over (nothing once refunded), whatever the invoice does with it.
    pub(crate) async fn record_credit(
        &self,
        shop: &ShopId,
        fetched: &GatewayInvoice,
    ) -> Result<(), StoreError> {
        let credited = match fetched.status {
            PaymentStatus::Paid
            | PaymentStatus::PaidOver
            | PaymentStatus::WrongAmount
            | PaymentStatus::RefundFail => fetched.merchant_amount,
            PaymentStatus::RefundProcess | PaymentStatus::RefundPaid => Some(Decimal::ZERO),
            _ => None,
        };
        if let (Some(amount), Some(currency)) = (credited, fetched.payer_currency.as_deref()) {
            self.store
                .record_credit(shop, &fetched.uuid, currency, amount, now())
                .await?;
        }
        Ok(())
    }

    /// Re-fetches the gateway's payment `uuid` for invoice `known` and applies what changed.
    /// `why` goes into the event log. Shared by webhooks and the reconciler.
    pub(crate) async fn refresh(
        &self,
        known: &InvoiceRecord,
        uuid: &str,
        why: Refresh<'_>,
    ) -> Result<(IpnOutcome, bool), IpnError> {
        let id = &known.id;
        // One refresh per invoice at a time: fetching and applying under the same lock means an
        // older snapshot of the payment can never be applied after a newer one.
        let lock = self.invoice_lock(id);
        // When nobody held the lock, the first decision uses the caller's read of the invoice
        // rather than reading it again: should it be stale after all (a change made just before,
        // or by another process), the versioned update fails and the loop below reads afresh.
        let (_guard, mut latest) = match lock.clone().try_lock_owned() {
            Ok(guard) => (guard, Some(known.clone())),
            Err(_) => (lock.lock_owned().await, None),
        };
        let Some(fetched) = self.fetch_own_payment(known, uuid, &why).await? else {
            return Ok((IpnOutcome::Ignored, false));
        };
        self.record_credit(&known.shop_id, &fetched).await?;

        // A concurrent writer (another process) may win the version race; decide again.
        for _ in 0..5 {
            let current = match latest.take() {
                Some(current) => current,
                None => self
                    .store
                    .invoice(id)
                    .await?
                    .ok_or(StoreError::Corrupt("invoice vanished".into()))?,
            };
            let now = now();
            // A payment for a coin the payer picked earlier.
            if current
                .gateway_uuid
                .as_deref()
                .is_some_and(|uuid| uuid != fetched.uuid)
            {
                match self.earlier_coin(&current, &fetched, &why, now).await? {
                    Some(done) => return Ok(done),
                    None => continue,
                }
            }
            let (outcome, update) = decide(&current, &fetched);
            let event = InvoiceEvent {
                source: why.source().into(),
                gateway_status: Some(fetched.status.as_str().to_owned()),
                outcome: format!("{outcome} ({why})"),
                version: current.version + i64::from(update.is_some()),
            };
            if let Some(update) = &update {
                // The change, its line in the history and its callback: one transaction.
                let with = WithChange {
                    notify_shop: update.status != current.status,
                    event: Some(&event),
                    webhook: why.inbox().map(|id| (id, outcome.to_string())),
                };
                if !self
                    .store
                    .apply_update(id, current.version, update, now, with)
                    .await?
                {
                    continue;
                }
                self.forget(id);
                self.changes.publish(id).await;
            } else if why == Refresh::Reconciler {
                // A reconciler check that found nothing new is not worth a line in the history.
                return Ok((outcome, false));
            } else {
                self.store.record_event(id, &event, now).await?;
            }
            tracing::info!(invoice = %id, %outcome, source = why.source(), "payment refreshed");
            return Ok((outcome, update.is_some() && why.inbox().is_some()));
        }
        Err(IpnError::Store(StoreError::Corrupt(
            "too many concurrent updates".into(),
        )))
    }

    /// Reads shop `shop`'s invoice `id` at the gateway now, as the reconciler would, for someone
    /// in the console (`who`): what it made of it.
    pub async fn recheck(
        &self,
        shop: &ShopId,
        id: &shim_api::InvoiceId,
        who: &str,
    ) -> Result<IpnOutcome, ServiceError> {
        let record = self.shop_invoice(shop, id).await?;
        let Some(uuid) = record.gateway_uuid.clone() else {
            return Err(ServiceError::Conflict(
                "the invoice has no payment at the gateway yet".into(),
            ));
        };
        match self.refresh(&record, &uuid, Refresh::Recheck(who)).await {
            Ok((outcome, _)) => Ok(outcome),
            Err(IpnError::GatewayUnavailable(e) | IpnError::Gateway(e)) => Err(e.into()),
            Err(IpnError::Store(e)) => Err(e.into()),
            Err(IpnError::Rejected(e)) => Err(ServiceError::Conflict(e.to_string())),
        }
    }

    /// The gateway's record of payment `uuid`, if it is one of the payments made for `known`: the
    /// first one (the common case, no query), or one made for a coin the payer picked later.
    /// `None` (with a line in the history) when the gateway does not know it or it is another's.
    async fn fetch_own_payment(
        &self,
        known: &InvoiceRecord,
        uuid: &str,
        why: &Refresh<'_>,
    ) -> Result<Option<GatewayInvoice>, IpnError> {
        let id = &known.id;
        let ignore = |outcome: &str, gateway_status: Option<String>| InvoiceEvent {
            source: why.source().into(),
            gateway_status,
            outcome: outcome.into(),
            version: known.version,
        };
        let fetched = match self
            .gateway
            .payment_info(&PaymentRef::Uuid(uuid.to_owned()))
            .await
        {
            Ok(fetched) => fetched,
            Err(GatewayError::NotFound(_)) => {
                // A test webhook (`/v1/test-webhook/payment` stores nothing) or a forged uuid.
                tracing::warn!(invoice = %id, "the gateway does not know the payment");
                let event = ignore("ignored: the gateway does not know the payment", None);
                self.store.record_event(id, &event, now()).await?;
                return Ok(None);
            }
            Err(e) if e.is_transient() => return Err(IpnError::GatewayUnavailable(e)),
            Err(e) => return Err(IpnError::Gateway(e)),
        };
        let first = fetched.order_id == id.as_str()
            && known
                .gateway_uuid
                .as_deref()
                .is_none_or(|uuid| uuid == fetched.uuid);
        let ours =
            first
                || self.store.payments(id).await?.iter().any(|p| {
                    p.details.uuid == fetched.uuid && p.gateway_order_id == fetched.order_id
                });
        if !ours {
            tracing::warn!(invoice = %id, "a webhook names a payment that is not this invoice's");
            let event = ignore(
                "ignored: the payment belongs to another order",
                Some(fetched.status.as_str().to_owned()),
            );
            self.store.record_event(id, &event, now()).await?;
            return Ok(None);
        }
        Ok(Some(fetched))
    }

    /// News of a payment for a coin the payer picked earlier: money sent there counts (the invoice
    /// follows that payment from now on, or goes to review when it was over already); anything
    /// else (its expiry) is noise. `None`: the invoice changed meanwhile, decide again.
    async fn earlier_coin(
        &self,
        current: &InvoiceRecord,
        fetched: &GatewayInvoice,
        why: &Refresh<'_>,
        now: i64,
    ) -> Result<Option<(IpnOutcome, bool)>, IpnError> {
        let id = &current.id;
        let event = |outcome: String, version: i64| InvoiceEvent {
            source: why.source().into(),
            gateway_status: Some(fetched.status.as_str().to_owned()),
            outcome,
            version,
        };
        let money = fetched.payment_amount.is_some_and(|p| p > Decimal::ZERO)
            || matches!(
                InvoiceStatus::from(&fetched.status),
                InvoiceStatus::Confirming
                    | InvoiceStatus::PartiallyPaid
                    | InvoiceStatus::Paid
                    | InvoiceStatus::Overpaid
                    | InvoiceStatus::Underpaid
            );
        if !money {
            if *why != Refresh::Reconciler {
                let ignored = "ignored: a payment for a coin the payer no longer uses";
                let event = event(ignored.into(), current.version);
                self.store.record_event(id, &event, now).await?;
            }
            return Ok(Some((IpnOutcome::Ignored, false)));
        }
        let late = ReviewReason::MoneyAfterFinal.as_str();
        if current.review_reason.as_deref() == Some(late) {
            // In review for such money already: the invoice keeps its coin.
            let unchanged =
                "unchanged: more money on an earlier coin; the invoice is in review for it";
            let event = event(unchanged.into(), current.version);
            self.store.record_event(id, &event, now).await?;
            return Ok(Some((IpnOutcome::Unchanged, false)));
        }
        if current.status.is_final() && current.status != InvoiceStatus::Expired {
            // Over already: the invoice keeps its coin, and the money goes to review, the shop
            // told, for the merchant to refund or keep.
            let outcome = IpnOutcome::Applied(InvoiceStatus::Review);
            let update = InvoiceUpdate {
                status: InvoiceStatus::Review,
                gateway_status: current
                    .gateway_status
                    .clone()
                    .unwrap_or_else(|| fetched.status.as_str().to_owned()),
                paid_amount: current.paid_amount,
                payer_amount: None,
                address: None,
                review_reason: Some(late.to_owned()),
                txid: None,
            };
            let event = event(
                format!(
                    "{outcome} (money reached the address of a coin used earlier, after the invoice was {}; {why})",
                    current.status
                ),
                current.version + 1,
            );
            let with = WithChange {
                notify_shop: true,
                event: Some(&event),
                webhook: why.inbox().map(|id| (id, outcome.to_string())),
            };
            if !self
                .store
                .apply_update(id, current.version, &update, now, with)
                .await?
            {
                return Ok(None);
            }
            tracing::warn!(invoice = %id, "money on an earlier coin after the invoice was over: review");
            self.forget(id);
            self.changes.publish(id).await;
            return Ok(Some((outcome, why.inbox().is_some())));
        }
        let payment = InvoicePayment {
            gateway_order_id: fetched.order_id.clone(),
            details: GatewayDetails {
                uuid: fetched.uuid.clone(),
                status: fetched.status.as_str().to_owned(),
                payer_amount: fetched.payer_amount,
                payer_currency: fetched.payer_currency.clone(),
                network: fetched.network.clone(),
                address: fetched.address.clone(),
                expires_at: fetched.expires_at,
            },
        };
        tracing::info!(invoice = %id, "money arrived on an earlier coin's payment; following it");
        self.store
            .switch_payment(id, current.version, &payment, now)
            .await?;
        Ok(None)
    }
}

/// Why an invoice is brought up to date with the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refresh<'a> {
    /// A webhook in the inbox (its id) reported this status.
    Webhook { said: &'a str, inbox: i64 },
    /// The reconciler's periodic check.
    Reconciler,
    /// The gateway took a refund the shim asked for.
    Refund,
    /// Someone asked from the console (their email).
    Recheck(&'a str),
}

impl Refresh<'_> {
    /// The source its history lines carry.
    fn source(&self) -> &'static str {
        match self {
            Refresh::Webhook { .. } => "ipn",
            Refresh::Reconciler => "reconcile",
            Refresh::Refund => "refund",
            Refresh::Recheck(_) => "console",
        }
    }

    /// The inbox webhook the change settles, if any.
    fn inbox(&self) -> Option<i64> {
        match self {
            Refresh::Webhook { inbox, .. } => Some(*inbox),
            Refresh::Reconciler | Refresh::Refund | Refresh::Recheck(_) => None,
        }
    }
}

impl std::fmt::Display for Refresh<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refresh::Webhook { said, .. } => write!(f, "webhook said {said}"),
            Refresh::Reconciler => f.write_str("reconciled"),
            Refresh::Refund => f.write_str("after the refund was asked for"),
            Refresh::Recheck(who) => write!(f, "re-checked at the gateway by {who}"),
        }
    }
}

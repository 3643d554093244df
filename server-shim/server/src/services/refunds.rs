//! Refunds: a paid invoice's money sent back to the payer through the gateway's refund endpoint,
//! once per invoice unless the refund failed. The gateway's record of the payment then moves the
//! invoice (`refunding`, then `refunded` or `refund_failed`), telling the shop's platform and its
//! callback as for any status.

use super::refresh::Refresh;
use super::{Invoices, IpnError, ServiceError, now, rfc3339};
use crate::domain::{InvoiceRecord, ShopId};
use crate::store::{InvoiceEvent, InvoiceUpdate, RefundRecord, RefundState, WithChange};
use shim_api::{InvoiceId, InvoiceStatus, RefundRequest, RefundView};
use shim_gateway::{GatewayError, PaymentRef};

/// The view of a refund attempt.
pub fn refund_view(refund: &RefundRecord) -> RefundView {
    RefundView {
        attempt: refund.attempt,
        address: refund.address.clone(),
        amount: refund.amount.normalize().to_string(),
        currency: refund.currency.clone(),
        state: refund.state.as_str().to_owned(),
        error: refund.error.clone(),
        requested_by: refund.requested_by.clone(),
        requested_at: rfc3339(refund.requested_at),
    }
}

impl Invoices {
    /// Invoice `id`, if it is `shop`'s.
    pub async fn shop_invoice(
        &self,
        shop: &ShopId,
        id: &InvoiceId,
    ) -> Result<InvoiceRecord, ServiceError> {
        self.store
            .invoice(id)
            .await?
            .filter(|record| &record.shop_id == shop)
            .ok_or(ServiceError::NotFound)
    }

    /// Refunds `shop`'s invoice `id` to `request.address`, asked for by `by` (`api` or a console
    /// user). Idempotent: asking again for the same address returns the refund already asked for
    /// (and sends it again if the gateway's answer was lost); another is refused until a refund
    /// fails. Returns the invoice as it now stands, the refund, and whether this call asked for it.
    #[tracing::instrument(skip_all, fields(invoice = %id))]
    pub async fn refund(
        &self,
        shop: &ShopId,
        id: &InvoiceId,
        request: &RefundRequest,
        by: &str,
    ) -> Result<(InvoiceRecord, RefundRecord, bool), ServiceError> {
        let record = self.shop_invoice(shop, id).await?;
        let address = crate::domain::address(&request.address).ok_or_else(|| {
            ServiceError::Invalid(
                "address must be the payer's address: 1 to 128 letters, digits, ':', '_' or '-'"
                    .into(),
            )
        })?;
        let attempts = self.store.refunds(id).await?;
        if let Some(last) = attempts.last()
            && last.state != RefundState::Refused
            && record.status != InvoiceStatus::RefundFailed
        {
            return self.repeat(record, last.clone(), address).await;
        }
        if !matches!(
            record.status,
            InvoiceStatus::Paid | InvoiceStatus::Overpaid | InvoiceStatus::RefundFailed
        ) {
            return Err(ServiceError::Conflict(format!(
                "only a paid or overpaid invoice can be refunded, and this one is {}",
                record.status
            )));
        }
        let (Some(uuid), Some(coin)) = (&record.gateway_uuid, &record.payer_currency) else {
            return Err(ServiceError::Conflict(
                "the invoice has no payment at the gateway to refund".into(),
            ));
        };
        let paid = record.paid_amount.normalize();
        if let Some(amount) = &request.amount {
            let asked = crate::domain::parse_amount(amount).map_err(ServiceError::Invalid)?;
            if asked != paid {
                return Err(ServiceError::Invalid(format!(
                    "amount: the gateway refunds a payment whole, so the amount must be the {paid} {coin} paid, or left out"
                )));
            }
        }
        let refund = RefundRecord {
            invoice_id: id.clone(),
            attempt: attempts.last().map_or(1, |last| last.attempt + 1),
            gateway_uuid: uuid.clone(),
            address: address.to_owned(),
            amount: paid,
            currency: coin.clone(),
            requested_by: by.to_owned(),
            requested_at: now(),
            state: RefundState::Requested,
            error: None,
        };
        if !self.store.insert_refund(&refund).await? {
            return Err(ServiceError::Conflict(
                "another refund of this invoice was asked for at the same moment; read the invoice again"
                    .into(),
            ));
        }
        let event = InvoiceEvent {
            source: "refund".into(),
            gateway_status: None,
            outcome: format!(
                "refund {} of {paid} {coin} to {address} asked for by {by}",
                refund.attempt
            ),
            version: record.version,
        };
        self.store
            .record_event(id, &event, refund.requested_at)
            .await?;
        self.send(record, refund, true).await
    }

    /// A refund asked for again: the same one is answered; one whose gateway answer was lost is
    /// sent again (the gateway refunds a payment only once, so this cannot pay twice).
    async fn repeat(
        &self,
        record: InvoiceRecord,
        last: RefundRecord,
        address: &str,
    ) -> Result<(InvoiceRecord, RefundRecord, bool), ServiceError> {
        if last.address != address {
            return Err(ServiceError::Conflict(format!(
                "this invoice's refund to {} was asked for at {}; an invoice is refunded once, unless the refund fails",
                last.address,
                rfc3339(last.requested_at)
            )));
        }
        if last.state == RefundState::Requested && record.status.is_settled_paid() {
            return self.send(record, last, false).await;
        }
        Ok((record, last, false))
    }

    /// Sends refund `refund` to the gateway and records its answer; once taken, the gateway's
    /// record of the payment is read at once, as a webhook would have it.
    async fn send(
        &self,
        record: InvoiceRecord,
        mut refund: RefundRecord,
        created: bool,
    ) -> Result<(InvoiceRecord, RefundRecord, bool), ServiceError> {
        let id = &record.id;
        let payment = PaymentRef::Uuid(refund.gateway_uuid.clone());
        // The payer gets back all they paid: the commission comes from the merchant's balance.
        match self.gateway.refund(&payment, &refund.address, true).await {
            Ok(()) => {}
            // No answer: it may have been made. It stays `requested`; asking again sends it again.
            Err(e) if e.is_transient() => return Err(e.into()),
            Err(e) => {
                let reason = e.to_string();
                self.store
                    .settle_refund(id, refund.attempt, RefundState::Refused, Some(&reason))
                    .await?;
                let event = InvoiceEvent {
                    source: "refund".into(),
                    gateway_status: None,
                    outcome: format!("refund {} refused by the gateway: {reason}", refund.attempt),
                    version: record.version,
                };
                self.store.record_event(id, &event, now()).await?;
                tracing::warn!(error = %e, "the gateway refused a refund");
                return Err(match e {
                    GatewayError::InvalidRequest(_) | GatewayError::Validation(_) => e.into(),
                    _ => {
                        ServiceError::Conflict(format!("the gateway refused the refund: {reason}"))
                    }
                });
            }
        }
        self.store
            .settle_refund(id, refund.attempt, RefundState::Accepted, None)
            .await?;
        refund.state = RefundState::Accepted;
        tracing::info!(attempt = refund.attempt, "refund accepted by the gateway");
        if record.status == InvoiceStatus::RefundFailed {
            // A second refund: the shim moves the invoice itself, since the gateway's word alone
            // never reopens a failed refund.
            self.reopen_for_refund(&record, refund.attempt).await?;
        } else {
            match self
                .refresh(&record, &refund.gateway_uuid, Refresh::Refund)
                .await
            {
                Ok(_) => {}
                // The refund is made; its webhook (or the reconciler) will move the invoice.
                Err(IpnError::GatewayUnavailable(e) | IpnError::Gateway(e)) => {
                    tracing::warn!(error = %e, "could not re-read the payment after its refund");
                }
                Err(IpnError::Store(e)) => return Err(e.into()),
                Err(IpnError::Rejected(e)) => {
                    tracing::warn!(error = %e, "could not re-read the payment after its refund");
                }
            }
        }
        let record = self
            .store
            .invoice(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok((record, refund, created))
    }
}

impl Invoices {
    /// Moves `record`, whose refund failed, to `refunding`: the gateway took refund `attempt`.
    async fn reopen_for_refund(
        &self,
        record: &InvoiceRecord,
        attempt: i64,
    ) -> Result<(), ServiceError> {
        let id = &record.id;
        let _guard = self.invoice_lock(id).lock_owned().await;
        let Some(current) = self.store.invoice(id).await? else {
            return Err(ServiceError::NotFound);
        };
        if current.status != InvoiceStatus::RefundFailed {
            // The gateway's news came first.
            return Ok(());
        }
        let update = InvoiceUpdate {
            status: InvoiceStatus::Refunding,
            gateway_status: "refund_process".into(),
            paid_amount: current.paid_amount,
            payer_amount: None,
            address: None,
            review_reason: None,
            txid: None,
        };
        let event = InvoiceEvent {
            source: "refund".into(),
            gateway_status: Some("refund_process".into()),
            outcome: format!("applied: refunding (the gateway took refund {attempt})"),
            version: current.version + 1,
        };
        let with = WithChange {
            notify_shop: true,
            event: Some(&event),
            webhook: None,
        };
        if self
            .store
            .apply_update(id, current.version, &update, now(), with)
            .await?
        {
            self.forget(id);
            self.changes.publish(id).await;
        }
        Ok(())
    }
}

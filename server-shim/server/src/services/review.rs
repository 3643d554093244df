//! What the merchant does to an invoice after the fact, besides refunds: settling one in review,
//! and telling the shop of it again.

use super::{Invoices, ServiceError, now};
use crate::domain::{InvoiceRecord, ShopId};
use crate::store::InvoiceEvent;
use shim_api::{InvoiceId, InvoiceStatus};

/// How someone in the console settles an invoice in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The payment is accepted: the order may ship.
    Paid,
    /// It is not: the order is cancelled (money that arrived is refunded at the gateway).
    NotPaid,
}

impl Invoices {
    /// Settles shop `shop`'s invoice `id`, in review, as `resolution`, with `note`, for `who`:
    /// the invoice moves to `paid` or `expired`, its history keeps the note, and the shop hears
    /// of it as of any status.
    pub async fn resolve_review(
        &self,
        shop: &ShopId,
        id: &InvoiceId,
        resolution: Resolution,
        note: &str,
        who: &str,
    ) -> Result<InvoiceRecord, ServiceError> {
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 500 || note.chars().any(char::is_control) {
            return Err(ServiceError::Invalid(
                "note: say in 1 to 500 characters why (it stays in the invoice's history)".into(),
            ));
        }
        let record = self.shop_invoice(shop, id).await?;
        if record.status != InvoiceStatus::Review {
            return Err(ServiceError::Conflict(format!(
                "only an invoice in review can be resolved, and this one is {}",
                record.status
            )));
        }
        let status = match resolution {
            Resolution::Paid => InvoiceStatus::Paid,
            Resolution::NotPaid => InvoiceStatus::Expired,
        };
        let update = crate::store::InvoiceUpdate {
            status,
            gateway_status: record.gateway_status.clone().unwrap_or_default(),
            paid_amount: record.paid_amount,
            payer_amount: None,
            address: None,
            review_reason: None,
            txid: None,
        };
        let event = InvoiceEvent {
            source: "console".into(),
            gateway_status: None,
            outcome: format!("review resolved as {status} by {who}: {note}"),
            version: record.version + 1,
        };
        let with = crate::store::WithChange {
            notify_shop: true,
            event: Some(&event),
            webhook: None,
        };
        // Under the invoice's lock, as every change; a change meanwhile makes the update miss.
        let _guard = self.invoice_lock(id).lock_owned().await;
        if !self
            .store
            .apply_update(id, record.version, &update, now(), with)
            .await?
        {
            return Err(ServiceError::Conflict(
                "the invoice changed meanwhile; read it again".into(),
            ));
        }
        self.forget(id);
        self.changes.publish(id).await;
        tracing::info!(invoice = %id, %status, "review resolved from the console");
        self.store.invoice(id).await?.ok_or(ServiceError::NotFound)
    }

    /// Sends shop `shop`'s latest news of invoice `id` again (its callback and its platform's
    /// order update); `false` when nothing was ever queued for it.
    pub async fn redeliver(&self, shop: &ShopId, id: &InvoiceId) -> Result<bool, ServiceError> {
        self.shop_invoice(shop, id).await?;
        let Some((latest, _, _)) = self.store.invoice_jobs(id).await?.pop() else {
            return Ok(false);
        };
        Ok(self.store.replay_job(latest.id, now()).await?)
    }
}

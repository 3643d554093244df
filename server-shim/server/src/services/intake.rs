//! Webhook intake: verify the gateway's webhook, keep it in the inbox, and apply it (to an
//! invoice, a wallet's deposit or a payout) after re-reading the gateway; and the reconciler, which
//! asks the gateway about quiet open invoices.

use super::refresh::Refresh;
use super::{Intake, Invoices, Payouts, Service as _, Wallets, now};
use crate::domain::InvoiceRecord;
use crate::store::{InboxWebhook, NewWebhook, StoreError};
use shim_api::{InvoiceId, InvoiceStatus};
use shim_gateway::{GatewayError, WebhookError, WebhookKind};

/// Seconds a webhook's receiver holds it before the inbox worker may take it over (the receiver
/// died, or the gateway is slow).
pub const WEBHOOK_LEASE: i64 = 15;

/// Processing attempts before a webhook is given up (the reconciler still watches its invoice).
const WEBHOOK_ATTEMPTS: i64 = 40;

/// Processed webhooks are kept this long, for audit.
const WEBHOOK_RETENTION: i64 = 30 * 24 * 3600;

/// Why a webhook was not taken.
#[derive(Debug, thiserror::Error)]
pub enum IpnError {
    /// Not signed by the gateway (or not a webhook at all); nothing was written.
    #[error(transparent)]
    Rejected(#[from] WebhookError),
    /// The gateway could not be asked for the payment's state; the webhook should be sent again.
    #[error("could not confirm the payment with the gateway")]
    GatewayUnavailable(#[source] GatewayError),
    /// The gateway refused our re-fetch (credentials, or an answer we cannot read); the webhook
    /// should be sent again once the merchant fixes the configuration.
    #[error("the gateway refused to confirm the payment")]
    Gateway(#[source] GatewayError),
    /// The store failed; the webhook should be sent again.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a webhook led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpnOutcome {
    /// The invoice moved; its new status.
    Applied(InvoiceStatus),
    /// Nothing new (a duplicate or a stale webhook).
    Unchanged,
    /// The invoice is final and the gateway reports something else; kept, logged.
    Refused(InvoiceStatus),
    /// No invoice of ours has that id; acknowledged and logged.
    UnknownInvoice,
    /// A deposit to a static wallet was recorded or moved on; its status.
    Deposit(String),
    /// A payout moved on; its status.
    Payout(String),
    /// Not a webhook the shim acts on; acknowledged.
    Ignored,
}

impl std::fmt::Display for IpnOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IpnOutcome::Applied(status) => write!(f, "applied: {status}"),
            IpnOutcome::Unchanged => f.write_str("unchanged"),
            IpnOutcome::Refused(status) => write!(f, "refused: invoice is final ({status})"),
            IpnOutcome::UnknownInvoice => f.write_str("unknown invoice"),
            IpnOutcome::Deposit(status) => write!(f, "deposit: {status}"),
            IpnOutcome::Payout(status) => write!(f, "payout: {status}"),
            IpnOutcome::Ignored => f.write_str("ignored"),
        }
    }
}

/// Open invoices looked at per reconciliation pass.
const RECONCILE_BATCH: i64 = 200;

/// How often the reconciler runs, and how often it may ask about one invoice.
#[derive(Debug, Clone, Copy)]
pub struct ReconcilePolicy {
    /// Between two passes.
    pub every: std::time::Duration,
    /// The shortest wait between two checks of one invoice, seconds.
    pub min_recheck: i64,
    /// The longest wait between two checks of one invoice, seconds.
    pub max_recheck: i64,
}

impl Default for ReconcilePolicy {
    fn default() -> Self {
        Self {
            every: std::time::Duration::from_secs(30),
            min_recheck: 30,
            max_recheck: 1800,
        }
    }
}

/// Whether an open invoice is due a check with the gateway: a quarter of its quiet time since the
/// last change, within the policy's bounds, after the last check. Past expiry it is due once more,
/// so the gateway's final word arrives even when its webhook did not.
pub fn reconcile_due(invoice: &InvoiceRecord, now: i64, policy: &ReconcilePolicy) -> bool {
    let Some(checked_at) = invoice.checked_at else {
        return true;
    };
    if invoice
        .expires_at
        .is_some_and(|expiry| now >= expiry && checked_at < expiry)
    {
        return true;
    }
    let quiet = (now - invoice.updated_at).max(0);
    let interval = (quiet / 4).clamp(
        policy.min_recheck,
        policy.max_recheck.max(policy.min_recheck),
    );
    now - checked_at >= interval
}

impl Intake {
    /// Hands webhook `id`, stored but not applied, to the inbox worker now.
    pub async fn hand_to_inbox(&self, id: i64) -> Result<(), StoreError> {
        self.store.release_webhook(id, now()).await
    }

    /// Takes a webhook in: verifies it over the raw body and writes it to the inbox, leased to the
    /// caller for [`WEBHOOK_LEASE`] seconds. Once this returns, the webhook is durable and may be
    /// acknowledged; [`Intake::process_webhook`] then applies it (or the inbox worker does, if the
    /// caller dies first). `true` with it: the same body was taken in before, and that row is
    /// applied (or will be) instead; there is nothing more to do.
    pub async fn receive_webhook(&self, raw: &[u8]) -> Result<(InboxWebhook, bool), IpnError> {
        let body = String::from_utf8_lossy(raw).into_owned();
        let webhook = match shim_gateway::verify_webhook(raw, &self.payment_key) {
            // A payout's is signed with the payout key, and says so.
            Ok(hook) if hook.kind == WebhookKind::Payout => {
                return Err(WebhookError::BadSignature.into());
            }
            Ok(hook) => NewWebhook {
                kind: hook.kind,
                order_id: hook.order_id,
                gateway_uuid: hook.uuid,
                gateway_status: hook.status.as_str().to_owned(),
                // Verified, so it parsed as JSON, so it is UTF-8.
                body,
            },
            Err(payment_error) => {
                let Some(payout_key) = self.gateway.payout_webhook_key() else {
                    return Err(payment_error.into());
                };
                let hook = shim_gateway::verify_payout_webhook(raw, payout_key)
                    .map_err(|_| payment_error)?;
                NewWebhook {
                    kind: WebhookKind::Payout,
                    order_id: hook.order_id,
                    gateway_uuid: hook.uuid,
                    gateway_status: hook.status.as_str().to_owned(),
                    body,
                }
            }
        };
        let now = now();
        let (id, duplicate) = self
            .store
            .insert_webhook(&webhook, now, now + WEBHOOK_LEASE)
            .await?;
        let received = InboxWebhook {
            id,
            webhook,
            attempts: 0,
            received_at: now,
            processed_at: None,
            outcome: None,
        };
        Ok((received, duplicate))
    }

    /// Applies a webhook from the inbox and records the outcome there: done, or retried later with
    /// backoff when the gateway or the store failed.
    #[tracing::instrument(skip_all, fields(webhook = webhook.id))]
    pub async fn process_webhook(&self, webhook: &InboxWebhook) -> Result<IpnOutcome, IpnError> {
        let result = self.apply_webhook(&webhook.webhook, webhook.id).await;
        let now = now();
        let (outcome, retry_at) = match &result {
            // Marked processed in the same transaction as the change it made.
            Ok((outcome, true)) => return Ok(outcome.clone()),
            Ok((outcome, false)) => (outcome.to_string(), None),
            Err(e) => {
                let attempts = webhook.attempts + 1;
                let retry_at = (attempts < WEBHOOK_ATTEMPTS)
                    .then(|| now + (5 * 2i64.pow(attempts.clamp(1, 9) as u32 - 1)).min(900));
                tracing::warn!(error = %e, attempts, given_up = retry_at.is_none(), "webhook not applied yet");
                let verb = if retry_at.is_some() {
                    "retrying"
                } else {
                    "given up"
                };
                (format!("{verb}: {e}"), retry_at)
            }
        };
        self.store
            .finish_webhook(webhook.id, &outcome, retry_at, now)
            .await?;
        result.map(|(outcome, _)| outcome)
    }

    /// Re-fetches the payment a webhook names from the gateway (the webhook is only a hint) and
    /// applies what changed. Duplicates and stale webhooks change nothing but the event log.
    async fn apply_webhook(
        &self,
        hook: &NewWebhook,
        inbox: i64,
    ) -> Result<(IpnOutcome, bool), IpnError> {
        match &hook.kind {
            WebhookKind::Payment => {}
            WebhookKind::Wallet => return self.peer::<Wallets>().apply_deposit(hook, inbox).await,
            WebhookKind::Payout => return self.peer::<Payouts>().apply_payout(hook, inbox).await,
            WebhookKind::Other(kind) => {
                tracing::info!(%kind, "ignoring a webhook neither of a payment, a deposit nor a payout");
                return Ok((IpnOutcome::Ignored, false));
            }
        }
        // `<invoice id>-<n>` names the payment for the n-th coin the payer picked.
        let invoice = hook
            .order_id
            .split_once('-')
            .map_or(hook.order_id.as_str(), |(invoice, _)| invoice);
        let Some(id) = InvoiceId::parse(invoice) else {
            tracing::warn!(order_id = %hook.order_id, "webhook for an order id the shim never issued");
            return Ok((IpnOutcome::UnknownInvoice, false));
        };
        let Some(known) = self.store.invoice(&id).await? else {
            tracing::warn!(invoice = %id, "webhook for an unknown invoice");
            return Ok((IpnOutcome::UnknownInvoice, false));
        };
        self.peer::<Invoices>()
            .refresh(
                &known,
                &hook.gateway_uuid,
                Refresh::Webhook {
                    said: &hook.gateway_status,
                    inbox,
                },
            )
            .await
    }

    /// One pass of the inbox worker: applies webhooks whose receiver did not finish them (it died,
    /// or the gateway was unavailable), and forgets old processed ones. Returns how many it tried.
    pub async fn process_inbox(&self) -> Result<usize, StoreError> {
        let now = now();
        let due = self.store.claim_webhooks(now, now + 60, 50).await?;
        for webhook in &due {
            match self.process_webhook(webhook).await {
                Ok(outcome) => {
                    tracing::info!(webhook = webhook.id, %outcome, "webhook applied from the inbox")
                }
                Err(IpnError::GatewayUnavailable(_)) => break,
                Err(_) => {}
            }
        }
        self.store.prune_webhooks(now - WEBHOOK_RETENTION).await?;
        Ok(due.len())
    }

    /// One reconciliation pass: asks the gateway about open invoices that are due a check (webhooks
    /// can be lost), and applies what changed. Invoices that changed recently are checked often,
    /// quiet ones less and less. Returns how many invoices it checked.
    pub async fn reconcile(&self, now: i64, policy: &ReconcilePolicy) -> Result<usize, StoreError> {
        let mut checked = 0;
        for invoice in self.store.open_invoices(RECONCILE_BATCH).await? {
            let Some(uuid) = invoice.gateway_uuid.clone() else {
                continue;
            };
            if !reconcile_due(&invoice, now, policy) {
                continue;
            }
            // Another process may be checking it right now; only one asks the gateway.
            if !self
                .store
                .claim_check(&invoice.id, invoice.checked_at, now)
                .await?
            {
                continue;
            }
            // Payments for coins the payer picked earlier first: money may have gone there.
            let mut uuids: Vec<String> = self
                .store
                .payments(&invoice.id)
                .await?
                .into_iter()
                .map(|p| p.details.uuid)
                .filter(|u| *u != uuid)
                .collect();
            uuids.push(uuid);
            for uuid in &uuids {
                match self
                    .peer::<Invoices>()
                    .refresh(&invoice, uuid, Refresh::Reconciler)
                    .await
                {
                    Ok(_) => {}
                    Err(IpnError::GatewayUnavailable(e)) => {
                        tracing::warn!(error = %e, "gateway unavailable; reconciling later");
                        return Ok(checked);
                    }
                    Err(e) => {
                        tracing::warn!(invoice = %invoice.id, error = %e, "could not reconcile an invoice")
                    }
                }
            }
            checked += 1;
        }
        Ok(checked)
    }
}

/// A queue an operator may replay an entry of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayQueue {
    /// The gateway's webhooks as received: processed again (each processing re-reads the
    /// gateway, so a second one changes only what the gateway says changed).
    Webhook,
    /// The news to a shop about an invoice (callback and platform update): sent again.
    Invoice,
    /// A deposit's or payout's callback: sent again.
    Event,
}

impl Intake {
    /// Puts entry `id` of `queue` back to be handled now; `false` if there is no such entry.
    pub async fn replay(&self, queue: ReplayQueue, id: i64) -> Result<bool, StoreError> {
        let now = super::now();
        match queue {
            ReplayQueue::Webhook => self.store.replay_webhook(id, now).await,
            ReplayQueue::Invoice => self.store.replay_job(id, now).await,
            ReplayQueue::Event => self.store.replay_event_callback(id, now).await,
        }
    }
}

//! Signed IPN delivery with retries and backoff, and the log the `/sandbox/webhooks` control shows.

use crate::ledger::Payment;
use crate::{Sandbox, lock};
use serde::Serialize;

/// One webhook the sandbox sent (or is still trying to send).
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// Sequence number, from 1.
    pub id: u64,
    /// The payment's uuid.
    pub uuid: String,
    /// The payment's order id.
    pub order_id: String,
    /// The status the webhook reports.
    pub status: String,
    /// Where it goes.
    pub url: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// Whether the receiver answered 2xx.
    pub delivered: bool,
    /// The receiver's last HTTP status.
    pub last_response: Option<u16>,
    /// The last transport error.
    pub last_error: Option<String>,
}

/// The most recent deliveries, for `/sandbox/webhooks`; older ones fall off so that a long-running
/// demo does not grow without bound.
#[derive(Debug, Default)]
pub(crate) struct DeliveryLog {
    entries: std::collections::VecDeque<Delivery>,
    next_id: u64,
}

impl DeliveryLog {
    /// How many deliveries the log keeps.
    const KEEP: usize = 1000;

    /// Records a delivery and returns its id.
    fn push(&mut self, mut delivery: Delivery) -> u64 {
        self.next_id += 1;
        delivery.id = self.next_id;
        if self.entries.len() == Self::KEEP {
            self.entries.pop_front();
        }
        self.entries.push_back(delivery);
        self.next_id
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut Delivery> {
        let first = self.entries.front()?.id;
        let index = usize::try_from(id.checked_sub(first)?).ok()?;
        self.entries.get_mut(index)
    }

    /// The kept deliveries, oldest first.
    pub(crate) fn to_vec(&self) -> Vec<Delivery> {
        self.entries.iter().cloned().collect()
    }
}

/// A signed webhook waiting for its turn.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    id: u64,
    url: String,
    body: Vec<u8>,
}

/// The payload, in the field order the real service uses.
#[derive(Serialize)]
struct CryptomusWebhookBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    uuid: &'a str,
    order_id: &'a str,
    amount: String,
    payment_amount: String,
    payment_amount_usd: String,
    merchant_amount: String,
    commission: String,
    is_final: bool,
    status: &'a str,
    from: Option<&'a str>,
    wallet_address_uuid: Option<&'a str>,
    network: Option<&'a str>,
    currency: &'a str,
    payer_currency: Option<&'a str>,
    payer_amount: Option<String>,
    additional_data: Option<&'a str>,
    txid: Option<&'a str>,
}

fn body(payment: &Payment) -> Result<Vec<u8>, serde_json::Error> {
    let wire = payment.to_wire();
    let commission = payment.paid - payment.merchant_share();
    let usd = payment
        .payer_currency()
        .and_then(|coin| crate::coins::convert(payment.paid, coin, &USD))
        .unwrap_or_default();
    serde_json::to_vec(&CryptomusWebhookBody {
        kind: "payment",
        uuid: &payment.uuid,
        order_id: &payment.order_id,
        amount: wire.amount,
        payment_amount: payment.paid_text(),
        payment_amount_usd: crate::coins::fixed(usd, 2),
        merchant_amount: crate::coins::fixed(payment.paid - commission, 8),
        commission: crate::coins::fixed(commission, 8),
        is_final: payment.is_final,
        status: payment.status.as_str(),
        from: payment.from.as_deref(),
        wallet_address_uuid: None,
        network: payment.network.as_deref(),
        currency: &payment.currency,
        payer_currency: payment.payer_currency(),
        payer_amount: wire.payer_amount,
        additional_data: payment.additional_data.as_deref(),
        txid: payment.txid.as_deref(),
    })
}

static USD: crate::coins::Coin = crate::coins::Coin::usd();

impl Sandbox {
    /// Sends the webhook for `payment`'s current state, if it has a callback URL, in the background.
    pub(crate) fn send_webhook(&self, payment: &Payment) {
        let Some(url) = payment.url_callback.clone() else {
            return;
        };
        match body(payment) {
            Ok(body) => {
                let about = (
                    payment.uuid.as_str(),
                    payment.order_id.as_str(),
                    payment.status.as_str(),
                );
                self.send_signed(about, url, &body, &self.config().payment_key);
            }
            Err(e) => {
                tracing::error!(uuid = %payment.uuid, error = %e, "could not encode a webhook")
            }
        }
    }

    /// Signs `body` (a JSON object without `sign`) with `key` and queues it for `url`. `about` is
    /// the (uuid, order id, status) the delivery log shows; webhooks of one uuid go out in order.
    pub(crate) fn send_signed(
        &self,
        about: (&str, &str, &str),
        url: String,
        body: &[u8],
        key: &shim_gateway::ApiKey,
    ) {
        let (uuid, order_id, status) = about;
        let Ok(signed) = shim_gateway::sign_webhook(body, key) else {
            tracing::error!(uuid, "could not sign a webhook");
            return;
        };
        let id = {
            let mut log = lock(&self.inner.deliveries);
            log.push(Delivery {
                id: 0,
                uuid: uuid.to_owned(),
                order_id: order_id.to_owned(),
                status: status.to_owned(),
                url: url.clone(),
                attempts: 0,
                delivered: false,
                last_response: None,
                last_error: None,
            })
        };
        // One payment's webhooks go out in order, as its statuses changed; a drainer task per
        // payment runs while its queue is not empty.
        let start_drainer = {
            let mut queues = lock(&self.inner.queues);
            let queue = queues.entry(uuid.to_owned()).or_default();
            queue.push_back(Pending {
                id,
                url,
                body: signed,
            });
            queue.len() == 1
        };
        if start_drainer {
            let (sandbox, uuid) = (self.clone(), uuid.to_owned());
            tokio::spawn(async move { sandbox.drain(uuid).await });
        }
    }

    async fn drain(&self, uuid: String) {
        loop {
            let next = lock(&self.inner.queues)
                .get(&uuid)
                .and_then(|q| q.front().cloned());
            let Some(pending) = next else {
                return;
            };
            self.deliver(pending.id, &pending.url, pending.body).await;
            let mut queues = lock(&self.inner.queues);
            if let Some(queue) = queues.get_mut(&uuid) {
                queue.pop_front();
                if queue.is_empty() {
                    queues.remove(&uuid);
                    return;
                }
            }
        }
    }

    async fn deliver(&self, id: u64, url: &str, body: Vec<u8>) {
        if self
            .inner
            .webhooks_lost
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            if let Some(record) = lock(&self.inner.deliveries).get_mut(id) {
                record.last_error = Some("lost: /sandbox/webhooks/outage is on".into());
            }
            return;
        }
        let config = self.config();
        let mut delay = config.webhook_retry_base;
        for attempt in 1..=config.webhook_attempts {
            let result = self
                .inner
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            let delivered = matches!(&result, Ok(r) if r.status().is_success());
            if let Some(record) = lock(&self.inner.deliveries).get_mut(id) {
                record.attempts = attempt;
                record.delivered = delivered;
                match &result {
                    Ok(r) => record.last_response = Some(r.status().as_u16()),
                    Err(e) => record.last_error = Some(e.to_string()),
                }
            }
            if delivered {
                return;
            }
            if attempt == config.webhook_attempts {
                break;
            }
            tracing::debug!(id, attempt, "webhook not accepted, retrying");
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        tracing::warn!(
            id,
            "webhook given up after {} attempts",
            config.webhook_attempts
        );
    }
}

/// A deposit to a static wallet, as the gateway reports it (`"type":"wallet"`).
#[derive(Serialize)]
struct CryptomusWalletWebhookBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    uuid: &'a str,
    order_id: &'a str,
    amount: String,
    payment_amount: String,
    payment_amount_usd: String,
    merchant_amount: String,
    commission: String,
    is_final: bool,
    status: &'a str,
    from: &'a str,
    wallet_address_uuid: &'a str,
    network: &'a str,
    currency: &'a str,
    payer_currency: &'a str,
    additional_data: Option<&'a str>,
    txid: &'a str,
}

/// A payout's status, as the gateway reports it (`"type":"payout"`), signed with the payout key.
#[derive(Serialize)]
struct CryptomusPayoutWebhookBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    uuid: &'a str,
    order_id: &'a str,
    amount: String,
    merchant_amount: String,
    commission: String,
    is_final: bool,
    status: &'a str,
    txid: Option<&'a str>,
    currency: &'a str,
    network: &'a str,
    payer_currency: &'a str,
    payer_amount: String,
}

impl Sandbox {
    /// [`Self::send_deposit_webhook`] for a deposit, to its wallet's callback.
    pub(crate) fn send_deposit_webhook_for(&self, deposit: &crate::wallets::Deposit) {
        let wallet = self
            .wallets()
            .get(&crate::ledger::Reference::Uuid(deposit.wallet_uuid.clone()))
            .cloned();
        if let Some(wallet) = wallet {
            self.send_deposit_webhook(&wallet, deposit);
        }
    }

    /// Reports a deposit to its wallet's callback URL.
    pub(crate) fn send_deposit_webhook(
        &self,
        wallet: &crate::wallets::Wallet,
        deposit: &crate::wallets::Deposit,
    ) {
        let Some(url) = wallet.url_callback.clone() else {
            return;
        };
        let scale = wallet.coin.scale;
        let usd = crate::coins::convert(deposit.amount, wallet.coin.code, &USD).unwrap_or_default();
        let body = serde_json::to_vec(&CryptomusWalletWebhookBody {
            kind: "wallet",
            uuid: &deposit.uuid,
            order_id: &wallet.order_id,
            amount: crate::coins::fixed(deposit.amount, scale),
            payment_amount: crate::coins::fixed(deposit.amount, scale),
            payment_amount_usd: crate::coins::fixed(usd, 2),
            merchant_amount: crate::coins::fixed(deposit.merchant_share(), scale),
            commission: crate::coins::fixed(deposit.commission(), scale),
            is_final: deposit.is_final,
            status: deposit.status.as_str(),
            from: &deposit.from,
            wallet_address_uuid: &wallet.uuid,
            network: &wallet.network,
            currency: wallet.coin.code,
            payer_currency: wallet.coin.code,
            additional_data: None,
            txid: &deposit.txid,
        });
        match body {
            Ok(body) => self.send_signed(
                (&deposit.uuid, &wallet.order_id, deposit.status.as_str()),
                url,
                &body,
                &self.config().payment_key,
            ),
            Err(e) => tracing::error!(error = %e, "could not encode a deposit webhook"),
        }
    }

    /// Reports a payout's status to its callback URL, signed with the payout key.
    pub(crate) fn send_payout_webhook(&self, payout: &crate::payouts::Payout) {
        let Some(url) = payout.url_callback.clone() else {
            return;
        };
        let body = serde_json::to_vec(&CryptomusPayoutWebhookBody {
            kind: "payout",
            uuid: &payout.uuid,
            order_id: &payout.order_id,
            amount: payout.asked_amount(),
            merchant_amount: crate::payouts::fixed(payout, payout.debit()),
            commission: crate::payouts::fixed(payout, payout.commission()),
            is_final: payout.is_final,
            status: payout.status.as_str(),
            txid: payout.txid.as_deref(),
            currency: payout.asked_currency(),
            network: &payout.network,
            payer_currency: payout.coin.code,
            payer_amount: crate::payouts::fixed(payout, payout.sent()),
        });
        match body {
            Ok(body) => {
                let about = (
                    payout.uuid.as_str(),
                    payout.order_id.as_str(),
                    payout.status.as_str(),
                );
                self.send_signed(about, url, &body, &self.config().payout_key);
            }
            Err(e) => tracing::error!(error = %e, "could not encode a payout webhook"),
        }
    }
}

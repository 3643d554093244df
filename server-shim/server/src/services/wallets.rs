//! Static deposit addresses: a shop with customer accounts gives each customer a permanent address
//! per coin (the gateway's `/v1/wallet`), credits what arrives, and is told of every deposit.
//!
//! - One wallet per shop, customer and coin: asking again returns the same address.
//! - Deposits arrive as webhooks of `type` `wallet` (signed with the payment key, like invoices').
//!   Each becomes exactly one ledger entry, keyed by the gateway's payment uuid (and its
//!   transaction: the same coins reported under two uuids are one deposit), whatever the order and
//!   number of webhooks; a deposit only moves forward, and counts in the customer's credit once it
//!   is final and paid.
//! - The shop is told through a durable outbox of its own: a signed callback per deposit and
//!   status (see [`crate::outbox`]).

use super::{IpnError, IpnOutcome, ServiceError, Wallets, now};
use crate::domain::{Shop, ShopId, currency_code, network_code, text_field};
use crate::store::{DepositChange, DepositRecord, NewWebhook, StoreError, WalletRecord};
use rust_decimal::Decimal;
use serde::Deserialize;
use shim_api::{DepositView, WalletView};
use shim_gateway::{CreateWallet, PaymentRef, PaymentStatus};

/// `POST /v1/wallets`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWalletRequest {
    /// The shop's reference for its customer (1 to 128 characters).
    pub customer: String,
    /// The coin (`USDT`, `BTC`...).
    pub currency: String,
    /// Its network (`tron`, `bsc`, `btc`...).
    pub network: String,
}

/// Why a wallet request failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// No such wallet (of this shop).
    #[error("no such wallet")]
    NotFound,
    /// The wallet is blocked.
    #[error("the wallet is blocked")]
    Blocked,
    /// The rest.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::store::StoreError> for WalletError {
    fn from(e: crate::store::StoreError) -> Self {
        WalletError::Service(e.into())
    }
}

impl From<shim_gateway::GatewayError> for WalletError {
    fn from(e: shim_gateway::GatewayError) -> Self {
        WalletError::Service(e.into())
    }
}

/// What a `wallet` webhook says of a deposit: which wallet and payment, and the figures checked
/// against the gateway's own record.
#[derive(Debug, Deserialize)]
struct DepositWebhook {
    uuid: String,
    order_id: String,
    amount: String,
    #[serde(default)]
    merchant_amount: Option<String>,
    currency: String,
    #[serde(default)]
    wallet_address_uuid: Option<String>,
}

impl Wallets {
    /// The shop's wallets, newest first; only `customer`'s if given.
    pub async fn list(
        &self,
        shop: &ShopId,
        customer: Option<&str>,
    ) -> Result<Vec<WalletRecord>, StoreError> {
        self.store().wallets(shop, customer).await
    }

    /// The shop's wallet for a customer and coin: made at the gateway the first time, the same
    /// one after. Returns it and whether this call made it.
    pub async fn create_wallet(
        &self,
        shop: &Shop,
        request: NewWalletRequest,
    ) -> Result<(WalletRecord, bool), ServiceError> {
        let customer =
            text_field("customer", request.customer.trim(), 128).map_err(ServiceError::Invalid)?;
        let currency =
            currency_code("currency", &request.currency).map_err(ServiceError::Invalid)?;
        let network = network_code(&request.network).map_err(ServiceError::Invalid)?;
        let store = self.store();
        let fresh = WalletRecord {
            id: crate::services::links::new_offer_id("wal")?,
            shop_id: shop.id.clone(),
            customer: customer.clone(),
            currency: currency.clone(),
            network: network.clone(),
            gateway_uuid: None,
            address: None,
            blocked: false,
            created_at: now(),
        };
        let created = store.insert_wallet(&fresh).await?;
        let wallet = store
            .wallet_for(&shop.id, &customer, &currency, &network)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if wallet.address.is_some() {
            return Ok((wallet, created));
        }
        // Also after an earlier attempt whose gateway call failed: the gateway returns the same
        // wallet for the same order id.
        let made = self
            .gateway()
            .create_wallet(&CreateWallet {
                currency,
                network,
                order_id: wallet.id.clone(),
                url_callback: Some(format!("{}/v1/ipn/cryptomus", self.public_url())),
            })
            .await;
        let made = match made {
            Ok(made) => made,
            Err(
                e @ (shim_gateway::GatewayError::InvalidRequest(_)
                | shim_gateway::GatewayError::Validation(_)),
            ) => {
                // Nothing exists at the gateway (a coin it does not offer): forget it.
                store.delete_unattached_wallet(&wallet.id).await?;
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        store
            .attach_wallet(&wallet.id, &made.uuid, &made.address)
            .await?;
        tracing::info!(wallet = %wallet.id, shop = %shop.name, "wallet created");
        let wallet = store
            .wallet(&wallet.id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok((wallet, created))
    }

    /// Wallet `id`, of `shop` when given.
    pub async fn wallet(
        &self,
        id: &str,
        shop: Option<&ShopId>,
    ) -> Result<WalletRecord, WalletError> {
        let wallet = self
            .store()
            .wallet(id)
            .await?
            .filter(|w| w.address.is_some())
            .ok_or(WalletError::NotFound)?;
        if shop.is_some_and(|shop| *shop != wallet.shop_id) {
            return Err(WalletError::NotFound);
        }
        Ok(wallet)
    }

    /// What the shop and the widget see of `wallet`.
    pub async fn wallet_view(&self, wallet: &WalletRecord) -> Result<WalletView, WalletError> {
        let deposits = self.store().deposits(&wallet.id).await?;
        let credited: Decimal = deposits
            .iter()
            .filter(|d| d.credited)
            .map(|d| d.merchant_amount)
            .sum();
        let address = wallet.address.clone().unwrap_or_default();
        Ok(WalletView {
            id: wallet.id.clone(),
            currency: wallet.currency.clone(),
            network: wallet.network.clone(),
            payment_uri: crate::payment_uri::payment_uri(
                &wallet.network,
                &wallet.currency,
                &address,
                None,
            ),
            address,
            blocked: wallet.blocked,
            credited: credited.normalize().to_string(),
            deposits: deposits.iter().map(deposit_view).collect(),
            page_url: format!("{}/wallet/{}", self.public_url(), wallet.id),
        })
    }

    /// Blocks `wallet` at the gateway (with `force_refund`, later arrivals go back to their
    /// senders): it takes no more deposits.
    pub async fn block_wallet(
        &self,
        wallet: &WalletRecord,
        force_refund: bool,
    ) -> Result<(), WalletError> {
        let uuid = wallet.gateway_uuid.clone().ok_or(WalletError::NotFound)?;
        self.gateway()
            .block_wallet(&PaymentRef::Uuid(uuid), force_refund)
            .await?;
        self.store().block_wallet(&wallet.id).await?;
        self.changes.publish_wallet(&wallet.id).await;
        tracing::info!(wallet = %wallet.id, force_refund, "wallet blocked");
        Ok(())
    }

    /// The one refund of a blocked wallet's money to `address`: (commission, amount).
    pub async fn refund_blocked_wallet(
        &self,
        wallet: &WalletRecord,
        address: &str,
    ) -> Result<(Decimal, Decimal), WalletError> {
        if !wallet.blocked {
            return Err(WalletError::Service(ServiceError::Conflict(
                "only a blocked wallet's money can be refunded: block it first".into(),
            )));
        }
        let Some(address) = crate::domain::address(address) else {
            return Err(WalletError::Service(ServiceError::Invalid(
                "address must be the refund's destination address".into(),
            )));
        };
        let uuid = wallet.gateway_uuid.clone().ok_or(WalletError::NotFound)?;
        match self
            .gateway()
            .refund_blocked_wallet(&PaymentRef::Uuid(uuid), address)
            .await
        {
            Ok(refund) => Ok(refund),
            // Refunded already, or nothing to refund: the wallet's state, not the gateway's fault.
            Err(shim_gateway::GatewayError::Rejected(message)) => Err(WalletError::Service(
                ServiceError::Conflict(format!("the gateway refused the refund: {message}")),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Applies a `wallet` webhook (already verified): a hint, as for invoices. The deposit is
    /// re-read from the gateway by its uuid, and checked against the wallet the shim made (its
    /// gateway uuid, order id, address, coin and network). Only what the webhook and the
    /// gateway agree on is credited; a disagreement, or coins in another coin or network than
    /// the wallet's, puts the deposit in review, and the shop hears of it with the reason.
    pub(crate) async fn apply_deposit(
        &self,
        hook: &NewWebhook,
        inbox: i64,
    ) -> Result<(IpnOutcome, bool), IpnError> {
        let Ok(body) = serde_json::from_str::<DepositWebhook>(&hook.body) else {
            tracing::warn!(
                webhook = inbox,
                "a wallet webhook without the fields of a deposit"
            );
            return Ok((IpnOutcome::Ignored, false));
        };
        let Some(wallet) = self.store().wallet(&body.order_id).await? else {
            tracing::warn!(order_id = %body.order_id, "deposit to a wallet the shim never made");
            return Ok((IpnOutcome::UnknownInvoice, false));
        };
        if let Some(named) = &body.wallet_address_uuid
            && wallet.gateway_uuid.as_deref() != Some(named.as_str())
        {
            tracing::warn!(wallet = %wallet.id, "a deposit webhook naming another gateway wallet: ignored");
            return Ok((IpnOutcome::Ignored, false));
        }
        let fetched = match self
            .gateway()
            .payment_info(&PaymentRef::Uuid(body.uuid.clone()))
            .await
        {
            Ok(fetched) => fetched,
            Err(shim_gateway::GatewayError::NotFound(_)) => {
                // A test webhook (`/v1/test-webhook/wallet` stores nothing) or a forged uuid.
                tracing::warn!(wallet = %wallet.id, "the gateway does not know the deposit: not credited");
                return Ok((IpnOutcome::Ignored, false));
            }
            Err(e) if e.is_transient() => return Err(IpnError::GatewayUnavailable(e)),
            Err(e) => return Err(IpnError::Gateway(e)),
        };
        let ours = fetched.order_id == wallet.id
            || (fetched.address.is_some() && fetched.address == wallet.address);
        if !ours {
            tracing::warn!(wallet = %wallet.id, "a deposit webhook naming another wallet's payment: ignored");
            return Ok((IpnOutcome::Ignored, false));
        }
        let coin = fetched
            .payer_currency
            .clone()
            .unwrap_or_else(|| fetched.currency.clone());
        let received = fetched.payment_amount.unwrap_or(fetched.amount);
        let parse = |text: &str| text.parse::<Decimal>().ok();
        let mut disagreements = Vec::new();
        if !coin.eq_ignore_ascii_case(&wallet.currency) {
            disagreements.push(format!("{coin} reached a {} wallet", wallet.currency));
        }
        if let Some(network) = &fetched.network
            && !network.eq_ignore_ascii_case(&wallet.network)
        {
            disagreements.push(format!(
                "it came on {network}, the wallet is on {}",
                wallet.network
            ));
        }
        if !body.currency.eq_ignore_ascii_case(&coin) {
            disagreements.push(format!(
                "the webhook says {}, the gateway {coin}",
                body.currency
            ));
        }
        if parse(&body.amount) != Some(received) {
            disagreements.push(format!(
                "the webhook says {} arrived, the gateway {}",
                body.amount,
                received.normalize()
            ));
        }
        let review = (!disagreements.is_empty()).then(|| disagreements.join("; "));
        let paid = matches!(
            fetched.status,
            PaymentStatus::Paid | PaymentStatus::PaidOver
        );
        let credited = review.is_none() && fetched.is_final && paid;
        let merchant_amount = fetched
            .merchant_amount
            .or_else(|| body.merchant_amount.as_deref().and_then(parse))
            .unwrap_or(received);
        let deposit = DepositRecord {
            gateway_uuid: fetched.uuid.clone(),
            wallet_id: wallet.id.clone(),
            txid: fetched.txid.clone().filter(|t| !t.is_empty()),
            amount: received,
            merchant_amount,
            currency: coin.to_ascii_uppercase(),
            status: if review.is_some() {
                "review".into()
            } else {
                fetched.status.as_str().to_owned()
            },
            // In review, the operator decides: nothing the gateway says later changes it.
            is_final: fetched.is_final || review.is_some(),
            review_reason: review,
            credited,
            created_at: now(),
            updated_at: now(),
        };
        if let Some(reason) = &deposit.review_reason {
            tracing::warn!(wallet = %wallet.id, deposit = %deposit.gateway_uuid, %reason, "a deposit goes to review");
        }
        let outcome = format!("deposit {}", deposit.status);
        let change = self
            .store()
            .record_deposit(&deposit, &wallet.shop_id, Some((inbox, &outcome)), now())
            .await?;
        tracing::info!(wallet = %wallet.id, deposit = %deposit.gateway_uuid, ?change, credited, "deposit");
        let outcome = match change {
            DepositChange::Unchanged => IpnOutcome::Unchanged,
            DepositChange::New | DepositChange::Advanced => {
                self.changes.publish_wallet(&wallet.id).await;
                IpnOutcome::Deposit(deposit.status)
            }
        };
        // The inbox webhook was marked done with the deposit.
        Ok((outcome, true))
    }
}

fn deposit_view(deposit: &DepositRecord) -> DepositView {
    DepositView {
        id: deposit.gateway_uuid.clone(),
        txid: deposit.txid.clone(),
        amount: deposit.amount.normalize().to_string(),
        credited_amount: deposit.merchant_amount.normalize().to_string(),
        status: deposit.status.clone(),
        review_reason: deposit.review_reason.clone(),
        credited: deposit.credited,
        is_final: deposit.is_final,
        received_at: deposit.created_at,
    }
}

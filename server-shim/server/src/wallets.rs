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

use crate::checkout::{Checkout, CheckoutError, IpnError, IpnOutcome, now};
use crate::domain::{Shop, ShopId, currency_code, network_code, text_field};
use crate::store::{DepositChange, DepositRecord, NewWebhook, WalletRecord};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shim_gateway::{CreateWallet, PaymentRef};

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

/// A wallet as the shop and the widget see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WalletView {
    /// `wal_…`.
    pub id: String,
    /// The coin.
    pub currency: String,
    /// Its network.
    pub network: String,
    /// Where the customer sends coins.
    pub address: String,
    /// What a wallet app scans: the address, as the network's URI scheme writes it.
    pub payment_uri: String,
    /// Takes no more deposits.
    pub blocked: bool,
    /// What the customer has been credited, after the gateway's commission (final deposits only).
    pub credited: String,
    /// Every deposit, oldest first.
    pub deposits: Vec<DepositView>,
    /// The hosted page that shows this wallet to the customer (the widget's deposit mode).
    pub page_url: String,
}

/// A deposit, as shops and widgets see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DepositView {
    /// The gateway's payment uuid.
    pub id: String,
    /// The chain transaction.
    pub txid: Option<String>,
    /// What was sent.
    pub amount: String,
    /// What it credits, after the gateway's commission.
    pub credited_amount: String,
    /// The gateway's status.
    pub status: String,
    /// Final and paid: counted in `credited`.
    pub credited: bool,
    /// The gateway's status will not change any more (credited, or not at all).
    pub is_final: bool,
    /// When it was first heard of (unix seconds).
    pub received_at: i64,
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
    Checkout(#[from] CheckoutError),
}

impl From<crate::store::StoreError> for WalletError {
    fn from(e: crate::store::StoreError) -> Self {
        WalletError::Checkout(e.into())
    }
}

impl From<shim_gateway::GatewayError> for WalletError {
    fn from(e: shim_gateway::GatewayError) -> Self {
        WalletError::Checkout(e.into())
    }
}

/// What a `wallet` webhook says of a deposit.
#[derive(Debug, Deserialize)]
struct DepositWebhook {
    uuid: String,
    order_id: String,
    amount: String,
    #[serde(default)]
    merchant_amount: Option<String>,
    currency: String,
    status: String,
    #[serde(default)]
    is_final: bool,
    #[serde(default)]
    txid: Option<String>,
}

impl Checkout {
    /// The shop's wallet for a customer and coin: made at the gateway the first time, the same
    /// one after. Returns it and whether this call made it.
    pub async fn create_wallet(
        &self,
        shop: &Shop,
        request: NewWalletRequest,
    ) -> Result<(WalletRecord, bool), CheckoutError> {
        let customer =
            text_field("customer", request.customer.trim(), 128).map_err(CheckoutError::Invalid)?;
        let currency =
            currency_code("currency", &request.currency).map_err(CheckoutError::Invalid)?;
        let network = network_code(&request.network).map_err(CheckoutError::Invalid)?;
        let store = self.store();
        let fresh = WalletRecord {
            id: crate::links::new_offer_id("wal")?,
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
            .ok_or(CheckoutError::NotFound)?;
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
            .ok_or(CheckoutError::NotFound)?;
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
            return Err(WalletError::Checkout(CheckoutError::Conflict(
                "only a blocked wallet's money can be refunded: block it first".into(),
            )));
        }
        let address = address.trim();
        if address.is_empty()
            || address.len() > 128
            || !address
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-'))
        {
            return Err(WalletError::Checkout(CheckoutError::Invalid(
                "address must be the refund's destination address".into(),
            )));
        }
        let uuid = wallet.gateway_uuid.clone().ok_or(WalletError::NotFound)?;
        match self
            .gateway()
            .refund_blocked_wallet(&PaymentRef::Uuid(uuid), address)
            .await
        {
            Ok(refund) => Ok(refund),
            // Refunded already, or nothing to refund: the wallet's state, not the gateway's fault.
            Err(shim_gateway::GatewayError::Rejected(message)) => Err(WalletError::Checkout(
                CheckoutError::Conflict(format!("the gateway refused the refund: {message}")),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Applies a `wallet` webhook (already verified): records the deposit it reports, once.
    /// The webhook is signed by the gateway with the payment key, which is what makes it
    /// trustworthy: deposits have no payment to re-fetch.
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
        let parse = |text: &str| text.parse::<Decimal>().ok().filter(|d| *d >= Decimal::ZERO);
        let (Some(amount), merchant_amount) = (
            parse(&body.amount),
            body.merchant_amount.as_deref().and_then(parse),
        ) else {
            tracing::warn!(
                webhook = inbox,
                "a deposit webhook with an unreadable amount"
            );
            return Ok((IpnOutcome::Ignored, false));
        };
        if !body.currency.eq_ignore_ascii_case(&wallet.currency) {
            tracing::warn!(wallet = %wallet.id, currency = %body.currency, "a deposit in another coin than the wallet's: not credited");
        }
        let credited = body.is_final
            && matches!(body.status.as_str(), "paid" | "paid_over")
            && body.currency.eq_ignore_ascii_case(&wallet.currency);
        let deposit = DepositRecord {
            gateway_uuid: body.uuid,
            wallet_id: wallet.id.clone(),
            txid: body.txid.filter(|t| !t.is_empty()),
            amount,
            merchant_amount: merchant_amount.unwrap_or(amount),
            currency: body.currency.to_ascii_uppercase(),
            status: body.status.clone(),
            credited,
            is_final: body.is_final,
            created_at: now(),
            updated_at: now(),
        };
        let outcome = format!("deposit {}", body.status);
        let change = self
            .store()
            .record_deposit(&deposit, &wallet.shop_id, Some((inbox, &outcome)), now())
            .await?;
        tracing::info!(wallet = %wallet.id, deposit = %deposit.gateway_uuid, ?change, credited, "deposit");
        let outcome = match change {
            DepositChange::Unchanged => IpnOutcome::Unchanged,
            DepositChange::New | DepositChange::Advanced => IpnOutcome::Deposit(body.status),
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
        credited: deposit.credited,
        is_final: deposit.is_final,
        received_at: deposit.created_at,
    }
}

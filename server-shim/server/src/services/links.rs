//! Payment links: a price a merchant sends by email or messenger, for people without a website. A
//! one-time link has one invoice for good (its order id is the link's id), and shows that invoice's
//! status forever after; a reusable link starts a fresh invoice on every visit, like a donation or
//! a fixed-price product page.

use super::{Invoices, Links, Service as _, ServiceError, now};
use crate::domain::{InvoiceRecord, NewInvoice, Shop, ShopId, new_invoice_id};
use crate::store::{Link, StoreError};
use serde::{Deserialize, Serialize};
use shim_api::CreateInvoiceRequest;

/// Invoices of one reusable link that may wait for payment at once.
pub const MAX_OPEN_PER_LINK: i64 = 25;

/// Invoices of one reusable link that one client may keep waiting at once: a script opening the
/// link in a loop stops itself long before it fills the link for everyone.
pub const MAX_OPEN_PER_CLIENT: i64 = 5;

/// `POST /v1/links` and `server-shim links create`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLinkRequest {
    /// The price, a decimal string.
    pub amount: String,
    /// Its currency (`USD`, `EUR`, `USDT`...).
    pub currency: String,
    /// What is paid for, shown to the payer above the widget (1 to 200 characters).
    pub description: String,
    /// A fresh invoice on every visit (default: one invoice, once).
    #[serde(default)]
    pub reusable: bool,
    /// The link starts no invoice after this many seconds.
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
}

/// A link as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    /// `lnk_...`.
    pub id: String,
    /// Where to send payers.
    pub url: String,
    /// The price.
    pub amount: String,
    /// Its currency.
    pub currency: String,
    /// What is paid for.
    pub description: String,
    /// A fresh invoice per visit.
    pub reusable: bool,
    /// Unix seconds after which it starts no invoice.
    pub expires_at: Option<i64>,
    /// Whether it takes payments.
    pub enabled: bool,
    /// Invoices a reusable link started.
    pub uses: i64,
}

/// Why a link does not lead to a payment.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No such link.
    #[error("this payment link does not exist")]
    NotFound,
    /// The merchant disabled it.
    #[error("this payment link has been disabled by the merchant")]
    Disabled,
    /// Its time is over.
    #[error("this payment link has expired")]
    Expired,
    /// A reusable link with too many payments waiting (someone opening it in a loop).
    #[error(
        "this payment link has many payments open right now; please try again in a few minutes"
    )]
    Busy,
    /// This client already keeps several payments of the link waiting.
    #[error(
        "you already have {0} payments waiting for this link; pay one of them, or try again when they expire"
    )]
    YoursBusy(i64),
    /// Starting the invoice failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for LinkError {
    fn from(error: StoreError) -> Self {
        LinkError::Service(ServiceError::Store(error))
    }
}

impl Links {
    /// The shop's links, newest first.
    pub async fn list(&self, shop: &ShopId) -> Result<Vec<Link>, StoreError> {
        self.store().links(shop).await
    }

    /// Starts or stops the shop's link `id`; the link as it is now, `None` if the shop has no
    /// such link.
    pub async fn set_enabled(
        &self,
        shop: &ShopId,
        id: &str,
        enabled: bool,
    ) -> Result<Option<Link>, StoreError> {
        if !self.store().set_link_enabled(shop, id, enabled).await? {
            return Ok(None);
        }
        self.store().link(id, Some(shop)).await
    }

    /// The link and the merchant's name, for the pay page of an invoice link `id` started.
    pub async fn origin_of(
        &self,
        id: &str,
        record: &InvoiceRecord,
    ) -> Result<Option<(Link, String)>, StoreError> {
        let Some(link) = self.store().link(id, None).await? else {
            return Ok(None);
        };
        if !belongs_to(record, &link) {
            return Ok(None);
        }
        Ok(self
            .store()
            .shop(&link.shop_id)
            .await?
            .map(|shop| (link, shop.name)))
    }

    /// The view of `link`, with its URL.
    pub fn link_view(&self, link: &Link) -> LinkView {
        LinkView {
            id: link.id.clone(),
            url: format!("{}/l/{}", self.public_url(), link.id),
            amount: link.amount.to_string(),
            currency: link.currency.clone(),
            description: link.description.clone(),
            reusable: link.reusable,
            expires_at: link.expires_at,
            enabled: link.enabled,
            uses: link.uses,
        }
    }

    /// Makes and stores a payment link for `shop`.
    pub async fn create_link(
        &self,
        shop: &Shop,
        request: NewLinkRequest,
    ) -> Result<Link, ServiceError> {
        let link = new_link(shop, request, now())?;
        self.store().create_link(&link).await?;
        Ok(link)
    }

    /// A payer at `client` (an address, as the rate limiter names it) opens link `id`: the invoice
    /// to show (a one-time link's own, whatever became of it; a fresh one for a reusable link).
    pub async fn open_link(
        &self,
        id: &str,
        client: &str,
    ) -> Result<(Link, Shop, InvoiceRecord), LinkError> {
        let store = self.store();
        let link = store.link(id, None).await?.ok_or(LinkError::NotFound)?;
        if !link.enabled {
            return Err(LinkError::Disabled);
        }
        let shop = store
            .shop(&link.shop_id)
            .await?
            .ok_or(LinkError::NotFound)?;
        if !link.reusable
            && let Some(existing) = store.invoice_by_order(&shop.id, &link.id).await?
        {
            return Ok((link, shop, existing));
        }
        if link.expires_at.is_some_and(|at| now() >= at) {
            return Err(LinkError::Expired);
        }
        // Each visit to a reusable link makes an invoice at the gateway: a loop must not make
        // thousands.
        if link.reusable {
            let mine = store.open_link_invoices_of(&link.id, client).await?;
            if mine >= MAX_OPEN_PER_CLIENT {
                return Err(LinkError::YoursBusy(mine));
            }
            if store.open_link_invoices(&shop.id, &link.id).await? >= MAX_OPEN_PER_LINK {
                return Err(LinkError::Busy);
            }
        }
        let order_id = if link.reusable {
            format!("{}-{}", link.id, store.next_link_use(&link.id).await?)
        } else {
            link.id.clone()
        };
        let request = invoice_request(&order_id, &link.amount.to_string(), &link.currency);
        let (record, _) = self
            .peer::<Invoices>()
            .create_standalone_invoice(&shop, request)
            .await?;
        if link.reusable {
            store
                .record_link_invoice(&record.id, &link.id, client, now())
                .await?;
        }
        Ok((link, shop, record))
    }
}

/// A new payment link for `shop`, its price checked as an invoice's would be.
pub fn new_link(shop: &Shop, request: NewLinkRequest, now: i64) -> Result<Link, ServiceError> {
    let id = new_offer_id("lnk")?;
    let invoice = invoice_request(&id, &request.amount, &request.currency);
    let (checked, description) = checked_offer(shop, invoice, &request.description)?;
    let expires_in = match request.expires_in_seconds {
        Some(s) if !(300..=365 * 24 * 3600).contains(&s) => {
            return Err(ServiceError::Invalid(
                "expires_in_seconds must be between 300 and 31536000".into(),
            ));
        }
        other => other.map(|s| s as i64),
    };
    Ok(Link {
        id,
        shop_id: shop.id.clone(),
        reusable: request.reusable,
        amount: checked.amount,
        currency: checked.currency,
        description,
        expires_at: expires_in.map(|s| now + s),
        enabled: true,
        uses: 0,
        created_at: now,
    })
}

/// A fresh id for a link or a button: `prefix`, `_` and 24 hex digits (a valid order id).
pub(crate) fn new_offer_id(prefix: &str) -> Result<String, ServiceError> {
    Ok(format!(
        "{prefix}_{}",
        hex::encode(crate::domain::random_bytes::<12>()?)
    ))
}

/// The price (and the rest of `invoice`) checked by the rules of an invoice, and the description
/// shown to payers (1 to 200 characters).
pub(crate) fn checked_offer(
    shop: &Shop,
    invoice: CreateInvoiceRequest,
    description: &str,
) -> Result<(NewInvoice, String), ServiceError> {
    let checked = NewInvoice::parse(new_invoice_id()?, shop.id.clone(), invoice)
        .map_err(ServiceError::Invalid)?;
    let description = description.trim();
    if description.is_empty()
        || description.chars().count() > 200
        || description.chars().any(char::is_control)
    {
        return Err(ServiceError::Invalid(
            "description must be 1 to 200 characters without control characters".into(),
        ));
    }
    Ok((checked, description.to_owned()))
}

/// An invoice request for `amount` `currency`, the payer choosing the coin.
pub(crate) fn invoice_request(
    order_id: &str,
    amount: &str,
    currency: &str,
) -> CreateInvoiceRequest {
    CreateInvoiceRequest {
        order_id: order_id.to_owned(),
        amount: amount.to_owned(),
        currency: currency.to_owned(),
        network: None,
        to_currency: None,
        lifetime: None,
        url_return: None,
        url_success: None,
        platform_order_ref: None,
    }
}

/// Whether invoice `record` was started by link `link`.
pub fn belongs_to(record: &InvoiceRecord, link: &Link) -> bool {
    record.shop_id == link.shop_id
        && (record.order_id == link.id
            || record
                .order_id
                .strip_prefix(&link.id)
                .is_some_and(|rest| rest.starts_with('-')))
}

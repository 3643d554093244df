//! Pay buttons: a "Pay with crypto" button any page can show with one script tag (`embed.js` in
//! button mode). The price lives here, never in the page: a button is a server-side definition
//! (amount, currency, description, the origins whose pages may use it), and a click asks the
//! public endpoint for a fresh invoice of that price.
//!
//! The public endpoint is the one place where anyone on the internet makes the shim create
//! invoices at the gateway, so it is fenced three ways: the page's origin must be one the button
//! allows, each client address has its own rate ([`CREATE_RATE`]), and open invoices are bounded
//! per button and client ([`MAX_OPEN_PER_CLIENT`]) and per button ([`MAX_OPEN_PER_BUTTON`]).

use super::{Buttons, Invoices, Service as _, ServiceError, now};
use crate::domain::{InvoiceRecord, Shop, ShopId};
use crate::services::links::{checked_offer, invoice_request, new_offer_id};
use crate::store::{Button, StoreError};
use serde::{Deserialize, Serialize};

/// Invoices one client may keep waiting for payment through one button.
pub const MAX_OPEN_PER_CLIENT: i64 = 5;
/// Invoices one button may keep waiting for payment, all clients together.
pub const MAX_OPEN_PER_BUTTON: i64 = 200;
/// Invoices one client may start through buttons: a burst, then one per this many seconds.
pub const CREATE_RATE: (u32, u32) = (10, 6);
/// Origins one button may list.
const MAX_ORIGINS: usize = 20;

/// `POST /v1/buttons` and `server-shim buttons create`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewButtonRequest {
    /// The price, a decimal string.
    pub amount: String,
    /// Its currency (`USD`, `EUR`, `USDT`...).
    pub currency: String,
    /// What is paid for, shown to the payer above the widget (1 to 200 characters).
    pub description: String,
    /// Origins whose pages may show the button, like `https://shop.example` (1 to 20).
    pub allowed_origins: Vec<String>,
    /// Where the payer goes after paying (http or https); without it the payer stays on the page.
    #[serde(default)]
    pub url_success: Option<String>,
}

/// A button as the shop's API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ButtonView {
    /// `btn_...`.
    pub id: String,
    /// The price.
    pub amount: String,
    /// Its currency.
    pub currency: String,
    /// What is paid for.
    pub description: String,
    /// Origins whose pages may show it.
    pub allowed_origins: Vec<String>,
    /// Where payers go after paying.
    pub url_success: Option<String>,
    /// Whether it takes payments.
    pub enabled: bool,
    /// Invoices it started.
    pub uses: i64,
    /// The tag to paste into a page.
    pub snippet: String,
}

/// What a click on a button gets: the invoice to show, and what to show above it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ButtonPayment {
    /// The fresh invoice, for the widget's `invoiceId`.
    pub invoice_id: String,
    /// The same invoice on the hosted pay page.
    pub pay_url: String,
    /// What is paid for.
    pub description: String,
    /// The merchant's name.
    pub merchant: String,
}

/// Why a click does not lead to a payment.
#[derive(Debug, thiserror::Error)]
pub enum ButtonError {
    /// No such button.
    #[error("this pay button does not exist")]
    NotFound,
    /// The merchant disabled it.
    #[error("this pay button has been disabled by the merchant")]
    Disabled,
    /// The page is not on an origin the button allows (or sent none).
    #[error("{0}")]
    Origin(String),
    /// Too many of its invoices wait for payment.
    #[error("{0}")]
    Busy(String),
    /// Starting the invoice failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ButtonError {
    fn from(error: StoreError) -> Self {
        ButtonError::Service(ServiceError::Store(error))
    }
}

impl Buttons {
    /// The shop's buttons, newest first.
    pub async fn list(&self, shop: &ShopId) -> Result<Vec<Button>, StoreError> {
        self.store().buttons(shop).await
    }

    /// Starts or stops the shop's button `id`; the button as it is now, `None` if the shop has
    /// no such button.
    pub async fn set_enabled(
        &self,
        shop: &ShopId,
        id: &str,
        enabled: bool,
    ) -> Result<Option<Button>, StoreError> {
        if !self.store().set_button_enabled(shop, id, enabled).await? {
            return Ok(None);
        }
        self.store().button(id, Some(shop)).await
    }

    /// The view of `button`, with the tag to paste.
    pub fn button_view(&self, button: &Button) -> ButtonView {
        ButtonView {
            id: button.id.clone(),
            amount: button.amount.to_string(),
            currency: button.currency.clone(),
            description: button.description.clone(),
            allowed_origins: button.allowed_origins.clone(),
            url_success: button.url_success.clone(),
            enabled: button.enabled,
            uses: button.uses,
            snippet: snippet(self.public_url(), &button.id),
        }
    }

    /// Makes and stores a pay button for `shop`.
    pub async fn create_button(
        &self,
        shop: &Shop,
        request: NewButtonRequest,
    ) -> Result<Button, ServiceError> {
        let button = new_button(shop, request, now())?;
        self.store().create_button(&button).await?;
        Ok(button)
    }

    /// A page on `origin` asks for a payment through button `id` for `client` (an address).
    pub async fn start_button_payment(
        &self,
        id: &str,
        origin: Option<&str>,
        client: &str,
    ) -> Result<ButtonPayment, ButtonError> {
        let store = self.store();
        let button = store.button(id, None).await?.ok_or(ButtonError::NotFound)?;
        if !button.enabled {
            return Err(ButtonError::Disabled);
        }
        let Some(origin) = origin else {
            return Err(ButtonError::Origin(
                "the request has no Origin header: pay buttons start payments only from web pages"
                    .into(),
            ));
        };
        if !button.allowed_origins.iter().any(|o| o == origin) {
            return Err(ButtonError::Origin(format!(
                "this pay button does not take payments from {origin}; the merchant allows it on {}",
                button.allowed_origins.join(", ")
            )));
        }
        let shop = store
            .shop(&button.shop_id)
            .await?
            .ok_or(ButtonError::NotFound)?;
        let (mine, all) = store.open_button_invoices(&button.id, client).await?;
        if mine >= MAX_OPEN_PER_CLIENT {
            return Err(ButtonError::Busy(format!(
                "you already have {mine} payments waiting for this button; pay one of them or try again when they expire"
            )));
        }
        if all >= MAX_OPEN_PER_BUTTON {
            return Err(ButtonError::Busy(
                "this pay button has many payments open right now; please try again in a few minutes"
                    .into(),
            ));
        }
        let order_id = format!("{}-{}", button.id, store.next_button_use(&button.id).await?);
        let mut request = invoice_request(&order_id, &button.amount.to_string(), &button.currency);
        request.url_success = button.url_success.clone();
        let (record, _): (InvoiceRecord, bool) = self
            .peer::<Invoices>()
            .create_standalone_invoice(&shop, request)
            .await?;
        store
            .record_button_invoice(&record.id, &button.id, client, now())
            .await?;
        Ok(ButtonPayment {
            pay_url: format!("{}/pay/{}", self.public_url(), record.id),
            invoice_id: record.id.as_str().to_owned(),
            description: button.description,
            merchant: shop.name,
        })
    }
}

/// The script tag that shows button `id` of the shim at `public_url`.
pub fn snippet(public_url: &str, id: &str) -> String {
    format!(r#"<script src="{public_url}/widget/embed.js" data-button="{id}" async></script>"#)
}

/// A new pay button for `shop`, its price checked as an invoice's would be.
pub fn new_button(
    shop: &Shop,
    request: NewButtonRequest,
    now: i64,
) -> Result<Button, ServiceError> {
    let id = new_offer_id("btn")?;
    let mut invoice = invoice_request(&id, &request.amount, &request.currency);
    invoice.url_success = request.url_success;
    let (checked, description) = checked_offer(shop, invoice, &request.description)?;
    if request.allowed_origins.is_empty() || request.allowed_origins.len() > MAX_ORIGINS {
        return Err(ServiceError::Invalid(format!(
            "allowed_origins must list 1 to {MAX_ORIGINS} origins, like \"https://shop.example\""
        )));
    }
    let mut allowed_origins = Vec::with_capacity(request.allowed_origins.len());
    for given in &request.allowed_origins {
        let origin = parse_origin(given).map_err(ServiceError::Invalid)?;
        if !allowed_origins.contains(&origin) {
            allowed_origins.push(origin);
        }
    }
    Ok(Button {
        id,
        shop_id: shop.id.clone(),
        amount: checked.amount,
        currency: checked.currency,
        description,
        allowed_origins,
        url_success: checked.url_success,
        enabled: true,
        uses: 0,
        created_at: now,
    })
}

/// `given` as a browser writes it in the `Origin` header: `scheme://host[:port]`, lower case, the
/// default port left out.
pub fn parse_origin(given: &str) -> Result<String, String> {
    let invalid = || {
        format!(
            "allowed_origins: {given:?} is not an origin; write scheme, host and port only, like \"https://shop.example\" or \"http://localhost:8081\""
        )
    };
    let trimmed = given.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed).map_err(|_| invalid())?;
    let bare = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || !bare {
        return Err(invalid());
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_written_as_browsers_send_them() {
        assert_eq!(
            parse_origin("https://Shop.Example:443/").unwrap(),
            "https://shop.example"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:8081").unwrap(),
            "http://127.0.0.1:8081"
        );
        for bad in [
            "shop.example",
            "ftp://shop.example",
            "https://shop.example/checkout",
            "https://user@shop.example",
            "https://shop.example?x=1",
            "*",
            "",
        ] {
            let error = parse_origin(bad).unwrap_err();
            assert!(error.contains("is not an origin"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_button_checks_its_price_description_and_origins() {
        let shop = Shop {
            id: crate::domain::ShopId("shop_1".into()),
            name: "demo".into(),
        };
        let request = |amount: &str, origins: Vec<&str>| NewButtonRequest {
            amount: amount.into(),
            currency: "USD".into(),
            description: "Donation".into(),
            allowed_origins: origins.into_iter().map(str::to_owned).collect(),
            url_success: None,
        };
        let button = new_button(
            &shop,
            request(
                "5",
                vec![
                    "https://a.example",
                    "https://A.example/",
                    "http://b.example",
                ],
            ),
            1,
        )
        .unwrap();
        assert!(button.id.starts_with("btn_"));
        assert_eq!(
            button.allowed_origins,
            ["https://a.example", "http://b.example"]
        );
        let error = |r| new_button(&shop, r, 1).unwrap_err().to_string();
        assert!(error(request("-1", vec!["https://a.example"])).contains("amount"));
        assert!(error(request("5", vec![])).contains("allowed_origins must list"));
        assert!(error(request("5", vec!["nope"])).contains("\"nope\" is not an origin"));
        let mut bad_url = request("5", vec!["https://a.example"]);
        bad_url.url_success = Some("javascript:alert(1)".into());
        assert!(error(bad_url).contains("url_success"));
    }
}

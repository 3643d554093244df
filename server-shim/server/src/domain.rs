//! The shim's domain types: parsed once at the edge, trusted everywhere after.

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use shim_api::{CreateInvoiceRequest, InvoiceId, InvoiceStatus};
use shim_gateway::amount::AmountError;
use std::fmt;

/// A shop's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShopId(pub String);

/// A shop that may create invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shop {
    /// Its id.
    pub id: ShopId,
    /// Its name, unique.
    pub name: String,
}

/// A shop's bearer token. Shown once when made; only its hash is stored. `Debug` is redacted.
pub struct ShopToken(String);

impl ShopToken {
    /// A new random token: `shk_` and 40 hex digits.
    pub fn generate() -> Result<Self, getrandom::Error> {
        Ok(Self(format!("shk_{}", hex::encode(random_bytes::<20>()?))))
    }

    /// Wraps a token presented by a client.
    pub fn from_presented(token: &str) -> Self {
        Self(token.to_owned())
    }

    /// The token itself, to show the merchant once.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// What the store keeps: hex SHA-256. Tokens are long and random, so no salt or stretching.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for ShopToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShopToken([redacted])")
    }
}

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

/// A fresh invoice id: `inv_` and 32 hex digits.
pub fn new_invoice_id() -> Result<InvoiceId, getrandom::Error> {
    Ok(InvoiceId::from_random(random_bytes()?))
}

/// `text` trimmed, if it has the shape of a chain address (1 to 128 letters, digits, `:`, `_`,
/// `-`); whether it is valid for its network is the gateway's to say.
pub fn address(text: &str) -> Option<&str> {
    let address = text.trim();
    let shaped = !address.is_empty()
        && address.len() <= 128
        && address
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-'));
    shaped.then_some(address)
}

/// A positive decimal amount given as a plain decimal string.
pub fn parse_amount(text: &str) -> Result<Decimal, String> {
    shim_gateway::amount::parse_amount(text).map_err(|e| match e {
        AmountError::Format => {
            format!("amount must be a plain decimal string like \"15.00\", got {text:?}")
        }
        AmountError::TooPrecise => "amount has more than 18 decimal places".into(),
        AmountError::TooLarge => "amount is too large".into(),
        AmountError::NotPositive => "amount must be greater than zero".into(),
    })
}

pub fn currency_code(field: &str, text: &str) -> Result<String, String> {
    let ok = (2..=10).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(text.to_ascii_uppercase())
    } else {
        Err(format!(
            "{field} must be a currency code like \"USD\" or \"USDT\""
        ))
    }
}

pub(crate) fn network_code(text: &str) -> Result<String, String> {
    let ok = (2..=20).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(text.to_ascii_lowercase())
    } else {
        Err("network must be a network code like \"tron\" or \"eth\"".into())
    }
}

fn url(field: &str, text: &str) -> Result<String, String> {
    let scheme_ok = text.starts_with("https://") || text.starts_with("http://");
    let chars_ok = text
        .chars()
        .all(|c| !c.is_control() && !c.is_whitespace() && c != '"' && c != '<' && c != '>');
    if scheme_ok && chars_ok && text.len() <= 255 {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{field} must be an http(s) URL of at most 255 characters"
        ))
    }
}

pub(crate) fn text_field(field: &str, text: &str, max: usize) -> Result<String, String> {
    if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        Err(format!(
            "{field} must be 1 to {max} characters without control characters"
        ))
    } else {
        Ok(text.to_owned())
    }
}

/// Why an invoice needs a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewReason {
    /// The gateway holds the payment (AML `locked`) or reports a status the shim does not know;
    /// clears by itself when the gateway moves on.
    GatewayHold,
    /// Money arrived after the invoice expired: the order may be gone or repriced.
    PaidAfterExpiry,
    /// The gateway's payment is not for the amount or currency asked.
    AmountMismatch,
    /// Money reached the address of a coin the payer had used earlier, after the invoice was
    /// over (paid, expired, failed): the invoice keeps its coin, the merchant sorts it out.
    MoneyAfterFinal,
}

impl ReviewReason {
    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GatewayHold => "gateway_hold",
            Self::PaidAfterExpiry => "paid_after_expiry",
            Self::AmountMismatch => "amount_mismatch",
            Self::MoneyAfterFinal => "money_after_final",
        }
    }

    /// Whether the gateway's next report may take the invoice out of review. Otherwise only a
    /// refund (or an operator) ends it.
    pub fn clears_itself(code: Option<&str>) -> bool {
        matches!(code, None | Some("gateway_hold"))
    }
}

/// A validated request to create an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    /// The id the invoice gets (and the gateway's `order_id`).
    pub id: InvoiceId,
    /// The shop.
    pub shop_id: ShopId,
    /// The shop's order id.
    pub order_id: String,
    /// The price.
    pub amount: Decimal,
    /// Its currency, upper case.
    pub currency: String,
    /// Network, lower case.
    pub network: Option<String>,
    /// Payer's coin, upper case.
    pub to_currency: Option<String>,
    /// Seconds until expiry.
    pub lifetime: Option<u32>,
    /// "Return to store" link.
    pub url_return: Option<String>,
    /// After-payment link.
    pub url_success: Option<String>,
    /// The platform's order reference.
    pub platform_order_ref: Option<String>,
    /// Whether it pays an order of the shop's platform (checked there, and moved there), or
    /// stands on its own (a payment link's, a pay button's).
    pub shop_order: bool,
}

impl NewInvoice {
    /// Parses a shop's request; the error names the field and what to fix.
    pub fn parse(
        id: InvoiceId,
        shop_id: ShopId,
        req: CreateInvoiceRequest,
    ) -> Result<Self, String> {
        let lifetime = match req.lifetime {
            Some(l) if !(300..=43200).contains(&l) => {
                return Err("lifetime must be between 300 and 43200 seconds".into());
            }
            other => other,
        };
        Ok(Self {
            id,
            shop_id,
            order_id: text_field("order_id", &req.order_id, 128)?,
            amount: parse_amount(&req.amount)?,
            currency: currency_code("currency", &req.currency)?,
            network: req.network.as_deref().map(network_code).transpose()?,
            to_currency: req
                .to_currency
                .as_deref()
                .map(|c| currency_code("to_currency", c))
                .transpose()?,
            lifetime,
            url_return: req
                .url_return
                .as_deref()
                .map(|u| url("url_return", u))
                .transpose()?,
            url_success: req
                .url_success
                .as_deref()
                .map(|u| url("url_success", u))
                .transpose()?,
            platform_order_ref: req
                .platform_order_ref
                .as_deref()
                .map(|r| text_field("platform_order_ref", r, 255))
                .transpose()?,
            shop_order: true,
        })
    }

    /// Whether an existing invoice for the same order asked for the same payment.
    pub fn same_payment_as(&self, existing: &InvoiceRecord) -> bool {
        self.amount == existing.amount
            && self.currency == existing.currency
            && (self.network.is_none() || self.network == existing.network)
            && self.to_currency == existing.to_currency
    }
}

/// An invoice as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRecord {
    /// Its id.
    pub id: InvoiceId,
    /// The shop it belongs to.
    pub shop_id: ShopId,
    /// The shop's order id.
    pub order_id: String,
    /// The price.
    pub amount: Decimal,
    /// Its currency.
    pub currency: String,
    /// Network.
    pub network: Option<String>,
    /// Payer's coin as asked.
    pub to_currency: Option<String>,
    /// Lifetime as asked.
    pub lifetime: Option<u32>,
    /// "Return to store" link.
    pub url_return: Option<String>,
    /// After-payment link.
    pub url_success: Option<String>,
    /// The platform's order reference.
    pub platform_order_ref: Option<String>,
    /// Whether it pays an order of the shop's platform (see [`NewInvoice::shop_order`]).
    pub shop_order: bool,
    /// The gateway's payment uuid, once created there.
    pub gateway_uuid: Option<String>,
    /// The payer's transaction id, as the gateway last reported it.
    pub txid: Option<String>,
    /// The gateway's last reported status.
    pub gateway_status: Option<String>,
    /// What the payer must send.
    pub payer_amount: Option<Decimal>,
    /// The payer's coin.
    pub payer_currency: Option<String>,
    /// Deposit address.
    pub address: Option<String>,
    /// Received so far, in the payer's coin.
    pub paid_amount: Decimal,
    /// Where it stands.
    pub status: InvoiceStatus,
    /// Why it is in review (a [`ReviewReason`] code), when it is.
    pub review_reason: Option<String>,
    /// When the reconciler last asked the gateway about it, unix seconds.
    pub checked_at: Option<i64>,
    /// Bumped by every accepted change.
    pub version: i64,
    /// Expiry, unix seconds, once known.
    pub expires_at: Option<i64>,
    /// Created, unix seconds.
    pub created_at: i64,
    /// Last changed, unix seconds.
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CreateInvoiceRequest {
        CreateInvoiceRequest {
            order_id: "1001".into(),
            amount: "15.00".into(),
            currency: "usd".into(),
            network: Some("TRON".into()),
            to_currency: Some("usdt".into()),
            lifetime: None,
            url_return: Some("https://shop.example/cart".into()),
            url_success: None,
            platform_order_ref: None,
        }
    }

    fn parse(req: CreateInvoiceRequest) -> Result<NewInvoice, String> {
        NewInvoice::parse(InvoiceId::parse("inv_1").unwrap(), ShopId("s".into()), req)
    }

    #[test]
    fn normalises_codes() {
        let new = parse(request()).unwrap();
        assert_eq!(
            (
                new.currency.as_str(),
                new.network.as_deref(),
                new.to_currency.as_deref()
            ),
            ("USD", Some("tron"), Some("USDT"))
        );
        assert_eq!(new.amount, Decimal::new(1500, 2));
    }

    #[test]
    fn names_the_bad_field() {
        let cases: Vec<(CreateInvoiceRequest, &str)> = vec![
            (
                CreateInvoiceRequest {
                    amount: "1e3".into(),
                    ..request()
                },
                "amount",
            ),
            (
                CreateInvoiceRequest {
                    amount: "-5".into(),
                    ..request()
                },
                "amount",
            ),
            (
                CreateInvoiceRequest {
                    amount: "0".into(),
                    ..request()
                },
                "amount",
            ),
            (
                CreateInvoiceRequest {
                    amount: format!("1.{}", "0".repeat(40)),
                    ..request()
                },
                "amount",
            ),
            (
                CreateInvoiceRequest {
                    amount: "9".repeat(16),
                    ..request()
                },
                "amount",
            ),
            (
                CreateInvoiceRequest {
                    currency: "US D".into(),
                    ..request()
                },
                "currency",
            ),
            (
                CreateInvoiceRequest {
                    order_id: String::new(),
                    ..request()
                },
                "order_id",
            ),
            (
                CreateInvoiceRequest {
                    order_id: "a\nb".into(),
                    ..request()
                },
                "order_id",
            ),
            (
                CreateInvoiceRequest {
                    lifetime: Some(10),
                    ..request()
                },
                "lifetime",
            ),
            (
                CreateInvoiceRequest {
                    url_return: Some("javascript:alert(1)".into()),
                    ..request()
                },
                "url_return",
            ),
            (
                CreateInvoiceRequest {
                    network: Some("<script>".into()),
                    ..request()
                },
                "network",
            ),
        ];
        for (req, field) in cases {
            let err = parse(req.clone()).unwrap_err();
            assert!(err.contains(field), "{req:?}: {err}");
        }
    }

    #[test]
    fn tokens_hash_and_redact() {
        let token = ShopToken::generate().unwrap();
        assert!(token.reveal().starts_with("shk_"));
        assert_eq!(
            token.hash(),
            ShopToken::from_presented(token.reveal()).hash()
        );
        assert!(!format!("{token:?}").contains(token.reveal()));
    }
}

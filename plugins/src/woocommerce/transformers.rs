//! WooCommerce's REST API wire formats and rules, pure: status words, request bodies, error
//! bodies, and the one-legged OAuth 1.0a signature exactly as `WC_REST_Authentication` checks it.

use crate::OrderState;
use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};

/// The order fields the adapter reads (`GET /wp-json/wc/v3/orders/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Its id.
    pub id: u64,
    /// `pending`, `processing`, `on-hold`, `completed`, `cancelled`, `refunded`, `failed`, ...
    pub status: String,
    /// ISO currency code.
    pub currency: String,
    /// The total, a decimal string.
    pub total: String,
    /// The payment's transaction id, once paid.
    #[serde(default)]
    pub transaction_id: String,
}

/// `PUT /wp-json/wc/v3/orders/{id}`. WooCommerce sets the status first, saves, and only then runs
/// `payment_complete()` for `set_paid`, and only if the order then needs payment (pending or
/// failed): an on-hold order is paid by sending `status: pending` with `set_paid`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderUpdate {
    /// A new status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Runs `payment_complete()` (only while the order needs payment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_paid: Option<bool>,
    /// Recorded with the payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
}

/// `POST /wp-json/wc/v3/orders/{id}/notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNote {
    /// The text.
    pub note: String,
    /// Whether the customer sees it (the adapter's notes are for the merchant).
    pub customer_note: bool,
}

/// WooCommerce's error body: `{"code", "message", "data": {"status"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine code (`woocommerce_rest_shop_order_invalid_id`).
    pub code: String,
    /// For people.
    pub message: String,
}

/// Which WooCommerce status each kind of order state is written as. The defaults follow
/// PLATFORMS.md; a shop may name its own (for example a custom `awaiting-crypto` status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusMap {
    /// A payment is confirming, short, or needs review.
    pub on_hold: String,
    /// Expired with nothing paid.
    pub cancelled: String,
    /// The gateway failed it.
    pub failed: String,
    /// Refunded.
    pub refunded: String,
}

impl Default for StatusMap {
    fn default() -> Self {
        Self {
            on_hold: "on-hold".into(),
            cancelled: "cancelled".into(),
            failed: "failed".into(),
            refunded: "refunded".into(),
        }
    }
}

impl StatusMap {
    /// What a WooCommerce status means. Unknown statuses (a plugin's own) count as awaiting
    /// payment unless the map names them.
    pub fn state(&self, status: &str) -> OrderState {
        match status {
            "processing" | "completed" => OrderState::Paid,
            s if s == self.on_hold || s == "on-hold" => OrderState::OnHold,
            s if s == self.cancelled || s == "cancelled" => OrderState::Cancelled,
            s if s == self.failed || s == "failed" => OrderState::Failed,
            s if s == self.refunded || s == "refunded" => OrderState::Refunded,
            _ => OrderState::AwaitingPayment,
        }
    }
}

/// RFC 3986 percent-encoding, as PHP's `rawurlencode`.
pub fn rawurlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The string WooCommerce signs (`WC_REST_Authentication::check_oauth_signature`):
/// `METHOD&<encoded URL>&<pairs joined by %26>`. The parameters (query and `oauth_*`; a JSON body
/// is not signed) are sorted by their raw keys, each key and value is `rawurlencode`d, and each
/// `key=value` is encoded once more.
pub fn string_to_sign(
    method: &str,
    url_without_query: &str,
    params: &[(String, String)],
) -> String {
    let mut pairs: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let joined: Vec<String> = pairs
        .iter()
        .map(|(k, v)| rawurlencode(&format!("{}={}", rawurlencode(k), rawurlencode(v))))
        .collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        rawurlencode(url_without_query),
        joined.join("%26")
    )
}

/// The HMAC-SHA256 signature of `string_to_sign` under `consumer_secret&`, base64.
pub fn signature(consumer_secret: &str, string_to_sign: &str) -> String {
    let key = format!("{consumer_secret}&");
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The `oauth_*` query parameters for a request, signature included.
pub fn oauth_params(
    method: &str,
    url_without_query: &str,
    query: &[(String, String)],
    consumer_key: &str,
    consumer_secret: &str,
    timestamp: i64,
    nonce: &str,
) -> Vec<(String, String)> {
    let mut params = query.to_vec();
    let oauth = [
        ("oauth_consumer_key", consumer_key.to_owned()),
        ("oauth_nonce", nonce.to_owned()),
        ("oauth_signature_method", "HMAC-SHA256".to_owned()),
        ("oauth_timestamp", timestamp.to_string()),
    ];
    params.extend(oauth.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let signed = signature(
        consumer_secret,
        &string_to_sign(method, url_without_query, &params),
    );
    let mut out: Vec<(String, String)> = oauth
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    out.push(("oauth_signature".into(), signed));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_mean_what_woocommerce_means() {
        let map = StatusMap::default();
        assert_eq!(map.state("pending"), OrderState::AwaitingPayment);
        assert_eq!(map.state("processing"), OrderState::Paid);
        assert_eq!(map.state("completed"), OrderState::Paid);
        assert_eq!(map.state("on-hold"), OrderState::OnHold);
        assert_eq!(map.state("refunded"), OrderState::Refunded);
        let custom = StatusMap {
            on_hold: "awaiting-crypto".into(),
            ..StatusMap::default()
        };
        assert_eq!(custom.state("awaiting-crypto"), OrderState::OnHold);
    }

    #[test]
    fn updates_send_only_what_changes() {
        let paid = OrderUpdate {
            set_paid: Some(true),
            transaction_id: Some("tx".into()),
            ..OrderUpdate::default()
        };
        assert_eq!(
            serde_json::to_string(&paid).unwrap(),
            r#"{"set_paid":true,"transaction_id":"tx"}"#
        );
    }

    #[test]
    fn the_string_to_sign_sorts_and_encodes_once() {
        let params = vec![
            ("oauth_timestamp".to_owned(), "1700000000".to_owned()),
            ("per_page".to_owned(), "10".to_owned()),
            ("oauth_consumer_key".to_owned(), "ck_1".to_owned()),
            ("oauth_signature".to_owned(), "ignored".to_owned()),
        ];
        assert_eq!(
            string_to_sign("get", "http://shop.test/wp-json/wc/v3/orders/7", &params),
            "GET&http%3A%2F%2Fshop.test%2Fwp-json%2Fwc%2Fv3%2Forders%2F7&\
             oauth_consumer_key%3Dck_1%26oauth_timestamp%3D1700000000%26per_page%3D10"
        );
        assert_eq!(rawurlencode("a b/ü~"), "a%20b%2F%C3%BC~");
        // Values are encoded twice over, as WooCommerce does.
        let spaced = vec![("search".to_owned(), "a b".to_owned())];
        assert!(string_to_sign("GET", "http://s/x", &spaced).ends_with("&search%3Da%2520b"));
    }
}

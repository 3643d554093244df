//! IPN webhooks: verify and parse in one call, and sign (for the sandbox and tests).

use crate::php_json::{PhpJsonError, PhpValue};
use crate::{ApiKey, PaymentStatus, sign};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::str::FromStr;

/// What a webhook is about: its `type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookKind {
    /// An invoice's payment (`payment`).
    Payment,
    /// A deposit to a static wallet (`wallet`).
    Wallet,
    /// A payout (`payout`), signed with the payout key.
    Payout,
    /// A type this build does not act on, as the gateway wrote it.
    Other(String),
}

impl WebhookKind {
    /// The kind a webhook's `type` names.
    pub fn parse(kind: &str) -> Self {
        match kind {
            "payment" => WebhookKind::Payment,
            "wallet" => WebhookKind::Wallet,
            "payout" => WebhookKind::Payout,
            other => WebhookKind::Other(other.to_owned()),
        }
    }

    /// The `type` as the gateway writes it.
    pub fn as_str(&self) -> &str {
        match self {
            WebhookKind::Payment => "payment",
            WebhookKind::Wallet => "wallet",
            WebhookKind::Payout => "payout",
            WebhookKind::Other(other) => other,
        }
    }
}

impl std::fmt::Display for WebhookKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verified payment webhook. It is a signed hint: re-fetch the payment before acting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentWebhook {
    /// [`WebhookKind::Payment`] for invoices, [`WebhookKind::Wallet`] for static-wallet deposits.
    pub kind: WebhookKind,
    /// The gateway's payment uuid.
    pub uuid: String,
    /// The merchant's order id.
    pub order_id: String,
    /// The status the webhook reports.
    pub status: PaymentStatus,
    /// Whether the gateway considers the payment over.
    pub is_final: bool,
    /// What the payer sent in this payment, if the webhook says.
    pub payment_amount: Option<Decimal>,
    /// Transaction id, absent for internal transfers.
    pub txid: Option<String>,
    /// The static wallet a `wallet` webhook's deposit reached.
    pub wallet_address_uuid: Option<String>,
}

/// A verified payout webhook (signed with the payout key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutWebhook {
    /// The payout's uuid.
    pub uuid: String,
    /// The merchant's id for it.
    pub order_id: String,
    /// The status it reports.
    pub status: PaymentStatus,
    /// Whether the payout is over.
    pub is_final: bool,
    /// Transaction id, once sent.
    pub txid: Option<String>,
}

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The body is not UTF-8 JSON that PHP would decode into an object.
    #[error("webhook body is not a json object")]
    NotJson(#[source] Option<PhpJsonError>),
    /// No `sign` string in the body.
    #[error("webhook body has no sign field")]
    MissingSign,
    /// The signature does not match.
    #[error("webhook signature does not match")]
    BadSignature,
    /// Signed correctly but lacks fields a payment webhook has.
    #[error("webhook is missing {0}")]
    MissingField(&'static str),
}

#[derive(Deserialize)]
struct CryptomusWebhook {
    #[serde(rename = "type")]
    kind: Option<String>,
    uuid: Option<String>,
    order_id: Option<String>,
    status: Option<PaymentStatus>,
    is_final: Option<bool>,
    payment_amount: Option<serde_json::Value>,
    txid: Option<String>,
    wallet_address_uuid: Option<String>,
}

impl CryptomusWebhook {
    /// The webhook in `raw`, once its signature with `key` checks out.
    fn verified(raw: &[u8], key: &ApiKey) -> Result<Self, WebhookError> {
        let text = verify_signature(raw, key)?;
        serde_json::from_str(text).map_err(|_| WebhookError::NotJson(None))
    }

    /// The fields every webhook must have, taken out: uuid, order id, status and whether it is
    /// final (the first missing one is reported).
    fn required(&mut self) -> Result<(String, String, PaymentStatus, bool), WebhookError> {
        Ok((
            self.uuid.take().ok_or(WebhookError::MissingField("uuid"))?,
            self.order_id
                .take()
                .ok_or(WebhookError::MissingField("order_id"))?,
            self.status
                .take()
                .ok_or(WebhookError::MissingField("status"))?,
            self.is_final
                .take()
                .ok_or(WebhookError::MissingField("is_final"))?,
        ))
    }
}

/// Verifies a webhook over its raw body and parses it.
///
/// The signature covers PHP's re-encoding of the body without `sign` (see [`crate::php_json`]). The
/// variant with unescaped slashes is accepted too; both are keyed by the secret.
pub fn verify_webhook(raw: &[u8], key: &ApiKey) -> Result<PaymentWebhook, WebhookError> {
    let mut wire = CryptomusWebhook::verified(raw, key)?;
    let kind = WebhookKind::parse(&wire.kind.take().ok_or(WebhookError::MissingField("type"))?);
    let (uuid, order_id, status, is_final) = wire.required()?;
    Ok(PaymentWebhook {
        kind,
        uuid,
        order_id,
        status,
        is_final,
        payment_amount: wire.payment_amount.as_ref().and_then(decimal_of),
        txid: wire.txid,
        wallet_address_uuid: wire.wallet_address_uuid,
    })
}

/// Verifies a payout webhook with the payout key and parses it; anything but `"type":"payout"`
/// is refused.
pub fn verify_payout_webhook(
    raw: &[u8],
    payout_key: &ApiKey,
) -> Result<PayoutWebhook, WebhookError> {
    let mut wire = CryptomusWebhook::verified(raw, payout_key)?;
    if wire.kind.as_deref() != Some("payout") {
        return Err(WebhookError::MissingField("type payout"));
    }
    let (uuid, order_id, status, is_final) = wire.required()?;
    Ok(PayoutWebhook {
        uuid,
        order_id,
        status,
        is_final,
        txid: wire.txid,
    })
}

/// Checks the `sign` field over PHP's re-encoding of the rest; returns the body as text.
fn verify_signature<'a>(raw: &'a [u8], key: &ApiKey) -> Result<&'a str, WebhookError> {
    let text = std::str::from_utf8(raw).map_err(|_| WebhookError::NotJson(None))?;
    let mut value = PhpValue::decode(text).map_err(|e| WebhookError::NotJson(Some(e)))?;
    if !matches!(value, PhpValue::Map(_)) {
        return Err(WebhookError::NotJson(None));
    }
    let given = match value.remove("sign") {
        Some(PhpValue::Str(sign)) => sign,
        _ => return Err(WebhookError::MissingSign),
    };
    let mut verified = false;
    for escape_slashes in [true, false] {
        let encoded = value
            .encode(escape_slashes)
            .map_err(|e| WebhookError::NotJson(Some(e)))?;
        // Evaluate both variants: no early exit that would tell which one matched by timing.
        verified |= sign::verify(encoded.as_bytes(), &given, key);
    }
    if !verified {
        return Err(WebhookError::BadSignature);
    }
    Ok(text)
}

fn decimal_of(value: &serde_json::Value) -> Option<Decimal> {
    match value {
        serde_json::Value::String(s) => Decimal::from_str(s).ok(),
        serde_json::Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

/// Signs a webhook the way the gateway does: `body` is the JSON object to send without `sign`; the
/// result is that body with `"sign":"..."` appended as its last field.
pub fn sign_webhook(body: &[u8], key: &ApiKey) -> Result<Vec<u8>, WebhookError> {
    let text = std::str::from_utf8(body).map_err(|_| WebhookError::NotJson(None))?;
    let value = PhpValue::decode(text).map_err(|e| WebhookError::NotJson(Some(e)))?;
    let PhpValue::Map(entries) = &value else {
        return Err(WebhookError::NotJson(None));
    };
    let encoded = value
        .encode(true)
        .map_err(|e| WebhookError::NotJson(Some(e)))?;
    let signature = sign::sign(encoded.as_bytes(), key);
    let trimmed = text.trim_end();
    let open = trimmed
        .strip_suffix('}')
        .ok_or(WebhookError::NotJson(None))?;
    let separator = if entries.is_empty() { "" } else { "," };
    Ok(format!("{open}{separator}\"sign\":\"{signature}\"}}").into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEBHOOK_D: &str = r#"{"type":"payment","uuid":"62f88b36-a9d5-4fa6-aa26-e040c3dbf26d","order_id":"97a75bf8eda5cca41ba9d2e104840fcd","amount":"3.00000000","payment_amount":"3.00000000","payment_amount_usd":"0.23","merchant_amount":"2.94000000","commission":"0.06000000","is_final":true,"status":"paid","from":"THgEWubVc8tPKXLJ4VZ5zbiiAK7AgqSeGH","wallet_address_uuid":null,"network":"tron","currency":"TRX","payer_currency":"TRX","additional_data":"Заказ https://shop.example/o/1","convert":{"to_currency":"USDT","commission":null,"rate":"0.07700000","amount":"0.22638000"},"txid":"6f0d9c8374db57cac0d806251473de754f361c83a03cd805f74aa9da3193486b","sign":"x"}"#;

    fn key() -> ApiKey {
        ApiKey::new("test-key".into())
    }

    fn with_sign(body: &str, sign: &str) -> String {
        body.replace(r#""sign":"x""#, &format!(r#""sign":"{sign}""#))
    }

    #[test]
    fn webhook_d_matches_its_vector() {
        let mut value = PhpValue::decode(WEBHOOK_D).unwrap();
        value.remove("sign");
        let encoded = value.encode(true).unwrap();
        assert!(
            encoded.contains(r#"Заказ https:\/\/shop.example\/o\/1"#),
            "{encoded}"
        );
        assert_eq!(
            sign::sign(encoded.as_bytes(), &key()),
            "efbfa5cb37d904538aaf8581476edb41"
        );

        let body = with_sign(WEBHOOK_D, "efbfa5cb37d904538aaf8581476edb41");
        let hook = verify_webhook(body.as_bytes(), &key()).unwrap();
        assert_eq!(hook.status, PaymentStatus::Paid);
        assert_eq!(hook.order_id, "97a75bf8eda5cca41ba9d2e104840fcd");
        assert_eq!(hook.payment_amount, Some(Decimal::new(300_000_000, 8)));
        assert!(hook.is_final);
    }

    #[test]
    fn tampered_bodies_are_refused() {
        let good = with_sign(WEBHOOK_D, "efbfa5cb37d904538aaf8581476edb41");
        let tampered = good.replace(r#""status":"paid""#, r#""status":"paid_over""#);
        assert_eq!(
            verify_webhook(tampered.as_bytes(), &key()),
            Err(WebhookError::BadSignature)
        );
        let reordered = good.replace(
            r#""type":"payment","uuid":"62f88b36-a9d5-4fa6-aa26-e040c3dbf26d""#,
            r#""uuid":"62f88b36-a9d5-4fa6-aa26-e040c3dbf26d","type":"payment""#,
        );
        assert_eq!(
            verify_webhook(reordered.as_bytes(), &key()),
            Err(WebhookError::BadSignature)
        );
        let truncated = &good[..good.len() - 10];
        assert!(matches!(
            verify_webhook(truncated.as_bytes(), &key()),
            Err(WebhookError::NotJson(_))
        ));
        let unsigned = WEBHOOK_D.replace(r#","sign":"x""#, "");
        assert_eq!(
            verify_webhook(unsigned.as_bytes(), &key()),
            Err(WebhookError::MissingSign)
        );
        let numeric_sign = with_sign(WEBHOOK_D, "x").replace(r#""sign":"x""#, r#""sign":5"#);
        assert_eq!(
            verify_webhook(numeric_sign.as_bytes(), &key()),
            Err(WebhookError::MissingSign)
        );
        assert_eq!(
            verify_webhook(good.as_bytes(), &ApiKey::new("other".into())),
            Err(WebhookError::BadSignature)
        );
        assert!(matches!(
            verify_webhook(b"\xff\xfe", &key()),
            Err(WebhookError::NotJson(None))
        ));
        assert!(matches!(
            verify_webhook(b"[1,2]", &key()),
            Err(WebhookError::NotJson(None))
        ));
    }

    #[test]
    fn payout_webhooks_verify_only_with_the_payout_key() {
        let payout_key = ApiKey::new("payout-key".into());
        let body = br#"{"type":"payout","uuid":"p","order_id":"o","status":"paid","is_final":true,"txid":"t"}"#;
        let signed = sign_webhook(body, &payout_key).unwrap();
        let hook = verify_payout_webhook(&signed, &payout_key).unwrap();
        assert_eq!(
            (hook.status, hook.txid.as_deref()),
            (PaymentStatus::Paid, Some("t"))
        );
        assert_eq!(
            verify_payout_webhook(&signed, &key()),
            Err(WebhookError::BadSignature)
        );
        let payment = sign_webhook(
            br#"{"type":"payment","uuid":"u","order_id":"o","status":"paid","is_final":true}"#,
            &payout_key,
        )
        .unwrap();
        assert!(matches!(
            verify_payout_webhook(&payment, &payout_key),
            Err(WebhookError::MissingField(_))
        ));
    }

    #[test]
    fn signing_round_trips_and_accepts_unescaped_slash_signatures() {
        let body =
            br#"{"type":"payment","uuid":"u","order_id":"o/1","status":"check","is_final":false}"#;
        let signed = sign_webhook(body, &key()).unwrap();
        let hook = verify_webhook(&signed, &key()).unwrap();
        assert_eq!(hook.order_id, "o/1");
        assert_eq!(hook.status, PaymentStatus::Check);

        // A sender that signed the unescaped form is accepted as well.
        let unescaped_sign = sign::sign(body, &key());
        let text = std::str::from_utf8(body).unwrap();
        let alt = format!(
            "{},\"sign\":\"{unescaped_sign}\"}}",
            text.strip_suffix('}').unwrap()
        );
        assert!(verify_webhook(alt.as_bytes(), &key()).is_ok());
    }
}

//! Calls from the shim to a route of our own plugin inside the shop (the OpenCart extension's, the
//! WooCommerce plugin's): a JSON body signed with the secret shared with the plugin, with a fresh
//! nonce and the current time, so that neither a forged nor a replayed call moves an order.
//!
//! The plugin checks `X-Shim-Signature`, the lowercase hex HMAC-SHA256 of
//! `{timestamp}.{nonce}.{body}` (see [`signature`]), a timestamp within 5 minutes of its own clock
//! (`X-Shim-Timestamp`, Unix seconds) and a nonce it has not seen before (`X-Shim-Nonce`); it answers
//! JSON, and `{"error": "..."}` when it refuses.

use crate::egress::Egress;
use crate::platform::{AdapterError, PLATFORM_TIMEOUT};
use hmac::{KeyInit as _, Mac as _};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A plugin's route, and the secret shared with it.
#[derive(Debug, Clone)]
pub struct SignedRoute {
    secret: SecretString,
    egress: Egress,
    http: reqwest::Client,
}

/// An error the plugin answers: `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorAnswer {
    /// What went wrong.
    pub error: String,
}

impl SignedRoute {
    /// Calls signed with `secret`, only where `egress` allows, giving up after
    /// [`PLATFORM_TIMEOUT`]. A plugin's route answers itself: a redirect is not followed (it means
    /// the URL is wrong, or leads to a login page).
    pub fn new(secret: SecretString, egress: &Egress) -> Result<Self, AdapterError> {
        Ok(Self {
            secret,
            http: egress.client(PLATFORM_TIMEOUT)?,
            egress: egress.clone(),
        })
    }

    /// Posts `body` to `url` (with its `query`), signed, and reads the JSON answer. `what` names
    /// the call in errors (`the extension's order`); `on_401` says what to check when the plugin
    /// refuses the signature.
    pub async fn call<T: DeserializeOwned>(
        &self,
        url: &str,
        query: &[(&str, &str)],
        what: &str,
        body: &impl serde::Serialize,
        on_401: &str,
    ) -> Result<T, AdapterError> {
        self.egress.check(url).await?;
        let body = serde_json::to_vec(body).map_err(|e| AdapterError::Refused(e.to_string()))?;
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|e| AdapterError::Refused(format!("random: {e}")))?;
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let signed = signature(self.secret.expose_secret(), timestamp, &nonce, &body);
        let response = self
            .http
            .post(url)
            .query(query)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .header("x-shim-timestamp", timestamp.to_string())
            .header("x-shim-nonce", &nonce)
            .header("x-shim-signature", signed)
            .body(body)
            .send()
            .await
            .map_err(|e| AdapterError::transport(&e))?;
        let status = response.status();
        let kind = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
            .chars()
            .take(60)
            .collect::<String>();
        let text = capped_text(response, ANSWER_LIMIT).await?;
        // What is not our plugin's JSON is described, never quoted: the URL is the shop's to
        // choose, and its answer is nobody else's to read.
        let not_the_plugin = || {
            format!(
                "{what} answered HTTP {} with {} bytes of {kind}, not the plugin's JSON: is the plugin installed and active at that address?",
                status.as_u16(),
                text.len()
            )
        };
        if status.is_success() {
            return serde_json::from_str(&text)
                .map_err(|_| AdapterError::Unreadable(not_the_plugin()));
        }
        if status.is_redirection() {
            return Err(AdapterError::Refused(format!(
                "HTTP {} from {what}: it redirects (to a login page, or another address); check the shop's URL",
                status.as_u16()
            )));
        }
        let said = match serde_json::from_str::<ErrorAnswer>(&text) {
            Ok(answer) => answer.error.chars().take(300).collect(),
            Err(_) if status.is_server_error() || status.as_u16() == 429 => {
                "the shop is busy or down".to_owned()
            }
            Err(_) => return Err(AdapterError::Refused(not_the_plugin())),
        };
        let error = format!("HTTP {} from {what}: {said}", status.as_u16());
        Err(match status.as_u16() {
            401 => AdapterError::Refused(format!("{error} ({on_401})")),
            429 | 500.. => AdapterError::Unavailable(error),
            _ => AdapterError::Refused(error),
        })
    }
}

/// The most a plugin's answer may weigh: its answers are a few hundred bytes.
pub const ANSWER_LIMIT: usize = 1 << 20;

/// The body of `response`, read up to `limit` bytes (a longer one is refused, not buffered).
async fn capped_text(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<String, AdapterError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| AdapterError::transport(&e))?
    {
        if body.len() + chunk.len() > limit {
            return Err(AdapterError::Unreadable(format!(
                "the shop's answer is larger than {} KiB",
                limit / 1024
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// The `X-Shim-Signature` of `body` sent at `timestamp` with `nonce`: lowercase hex
/// HMAC-SHA256 of `{timestamp}.{nonce}.{body}` under the shared `secret`.
pub fn signature(secret: &str, timestamp: i64, nonce: &str, body: &[u8]) -> String {
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{timestamp}.{nonce}.").as_bytes());
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_time_nonce_and_body() {
        let signed = signature(
            "s3cret",
            1_700_000_000,
            "abcdefabcdefabcd",
            br#"{"order_id":42}"#,
        );
        // What PHP computes: hash_hmac('sha256', '1700000000.abcdefabcdefabcd.{"order_id":42}', 's3cret').
        assert_eq!(
            signed,
            "43c0015ce31b7ffaba76b15eb5df2ac8423e965469803f6d5e88e65c97bd9397"
        );
        assert_ne!(
            signed,
            signature(
                "s3cret",
                1_700_000_001,
                "abcdefabcdefabcd",
                br#"{"order_id":42}"#
            )
        );
        assert_ne!(
            signed,
            signature(
                "s3cret",
                1_700_000_000,
                "abcdefabcdefabcd",
                br#"{"order_id":43}"#
            )
        );
    }
}

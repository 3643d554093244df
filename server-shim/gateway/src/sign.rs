//! Request signatures: `sign = md5_hex(base64(body) + key)`.
//!
//! Not an HMAC; it is what the gateway computes, over the exact bytes sent.

use crate::ApiKey;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

/// The lowercase hex signature of `body` under `key`.
pub fn sign(body: &[u8], key: &ApiKey) -> String {
    let mut hasher = Md5::new();
    hasher.update(STANDARD.encode(body).as_bytes());
    hasher.update(key.expose().expose_secret().as_bytes());
    hex::encode(hasher.finalize())
}

/// Whether `given` is the signature of `body` under `key`, compared in constant time.
/// Upper-case hex is accepted; anything else that is not the signature is not.
pub fn verify(body: &[u8], given: &str, key: &ApiKey) -> bool {
    let expected = sign(body, key);
    let given = given.to_ascii_lowercase();
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> ApiKey {
        ApiKey::new(k.to_owned())
    }

    #[test]
    fn matches_the_documented_vectors() {
        let body = br#"{"amount":10,"currency":"usd","order_id":"OrDeRiD"}"#;
        assert_eq!(sign(body, &key("bcda")), "0f66e9e002a45d4285cc77a227dadfeb");
        assert_eq!(sign(b"", &key("bcda")), "078c4e73146ba90c3e4e9daa1facac28");
        assert_eq!(
            sign(b"{}", &key("bcda")),
            "9eca80f2316f58b4773d6f77c80f9a3b"
        );
    }

    #[test]
    fn verify_is_exact() {
        let k = key("bcda");
        assert!(verify(b"{}", "9eca80f2316f58b4773d6f77c80f9a3b", &k));
        assert!(verify(b"{}", "9ECA80F2316F58B4773D6F77C80F9A3B", &k));
        assert!(!verify(b"{}", "9eca80f2316f58b4773d6f77c80f9a3", &k));
        assert!(!verify(b"{} ", "9eca80f2316f58b4773d6f77c80f9a3b", &k));
        assert!(!verify(
            b"{}",
            "9eca80f2316f58b4773d6f77c80f9a3b",
            &key("bcdb")
        ));
        assert!(!verify(b"{}", "", &k));
    }
}

//! Deterministic identifiers derived from the sandbox seed.

use sha2::{Digest, Sha256};

/// 32 bytes derived from the seed, a label and a counter.
pub(crate) fn derive(seed: u64, label: &str, n: u64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    hasher.update(label.as_bytes());
    hasher.update(n.to_le_bytes());
    hasher.finalize().into()
}

/// A version-4-shaped uuid from 16 bytes.
pub(crate) fn uuid_from(bytes: &[u8]) -> String {
    let mut b = [0u8; 16];
    for (dst, src) in b.iter_mut().zip(bytes) {
        *dst = *src;
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_shaped_and_repeatable() {
        let a = uuid_from(&derive(7, "payment", 1));
        assert_eq!(a, uuid_from(&derive(7, "payment", 1)));
        assert_ne!(a, uuid_from(&derive(7, "payment", 2)));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }
}

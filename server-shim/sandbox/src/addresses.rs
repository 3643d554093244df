//! Deposit addresses in each network's real format, derived from 20 seed bytes: bech32 P2WPKH for
//! Bitcoin and Litecoin, EIP-55 checksummed hex for EVM chains, base58check `T...` for TRON.

use sha2::{Digest, Sha256};
use sha3::Keccak256;

/// An address for `network` from 20 bytes; `None` for a network without a known format.
pub(crate) fn address(network: &str, key: &[u8; 20]) -> Option<String> {
    match network {
        "btc" => Some(bech32_p2wpkh("bc", key)),
        "ltc" => Some(bech32_p2wpkh("ltc", key)),
        "eth" | "bsc" | "polygon" | "arbitrum" => Some(eip55(key)),
        "tron" => {
            let mut payload = vec![0x41];
            payload.extend_from_slice(key);
            Some(base58check(&payload))
        }
        _ => None,
    }
}

/// Whether `address` has `network`'s format, with its checksum where the format has one, as
/// the gateway checks the address of a payout or a refund. Networks without a known format pass.
pub(crate) fn valid(network: &str, address: &str) -> bool {
    let base58 = |first: &[char]| {
        (26..=35).contains(&address.len())
            && address.chars().next().is_some_and(|c| first.contains(&c))
            && address.bytes().all(|b| BASE58.contains(&b))
    };
    match network {
        "btc" => bech32_valid("bc", address) || base58(&['1', '3']),
        "ltc" => bech32_valid("ltc", address) || base58(&['L', 'M', '3']),
        "eth" | "bsc" | "polygon" | "arbitrum" => {
            address.len() == 42
                && address.starts_with("0x")
                && address[2..].bytes().all(|b| b.is_ascii_hexdigit())
        }
        "tron" => address.len() == 34 && base58(&['T']),
        _ => true,
    }
}

/// A bech32 or bech32m address (BIP-173, BIP-350) with human part `hrp` and a good checksum.
fn bech32_valid(hrp: &str, address: &str) -> bool {
    let lower = address.to_ascii_lowercase();
    if address != lower && address != address.to_ascii_uppercase() {
        return false;
    }
    let Some(data) = lower
        .strip_prefix(hrp)
        .and_then(|rest| rest.strip_prefix('1'))
    else {
        return false;
    };
    if !(8..=87).contains(&data.len()) {
        return false;
    }
    let Some(data) = data
        .bytes()
        .map(|b| BECH32.iter().position(|&c| c == b).map(|i| i as u8))
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    values.extend(&data);
    matches!(polymod(&values), 1 | 0x2bc8_30a3)
}

fn eip55(key: &[u8; 20]) -> String {
    let lower = hex::encode(key);
    let hash = Keccak256::digest(lower.as_bytes());
    let mut out = String::from("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
        out.push(if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn base58check(payload: &[u8]) -> String {
    let checksum = Sha256::digest(Sha256::digest(payload));
    let mut data = payload.to_vec();
    data.extend_from_slice(&checksum[..4]);
    let mut digits: Vec<u8> = Vec::new();
    for &byte in &data {
        let mut carry = byte as u32;
        for d in digits.iter_mut() {
            carry += (*d as u32) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = data.iter().take_while(|b| **b == 0).count();
    std::iter::repeat_n('1', zeros)
        .chain(digits.iter().rev().map(|d| BASE58[*d as usize] as char))
        .collect()
}

const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ *v as u32;
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// A segwit v0 address (BIP-173) for a 20-byte key hash.
fn bech32_p2wpkh(hrp: &str, program: &[u8; 20]) -> String {
    let mut data = vec![0u8]; // witness version 0
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in program {
        acc = (acc << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            data.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        data.push(((acc << (5 - bits)) & 31) as u8);
    }
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    values.extend(&data);
    values.extend([0u8; 6]);
    let pm = polymod(&values) ^ 1;
    let checksum = (0..6).map(|i| ((pm >> (5 * (5 - i))) & 31) as u8);
    let mut out = format!("{hrp}1");
    out.extend(
        data.into_iter()
            .chain(checksum)
            .map(|d| BECH32[d as usize] as char),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bech32_matches_bip173() {
        // BIP-173's example: the P2WPKH address of key hash 751e76e8199196d454941c45d1b3a323f1433bd6.
        let program: [u8; 20] = hex::decode("751e76e8199196d454941c45d1b3a323f1433bd6")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            bech32_p2wpkh("bc", &program),
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        );
    }

    #[test]
    fn payout_addresses_are_checked_against_their_network() {
        let key = [7u8; 20];
        for network in ["btc", "ltc", "eth", "bsc", "polygon", "arbitrum", "tron"] {
            let good = address(network, &key).unwrap();
            assert!(valid(network, &good), "{network} {good}");
        }
        assert!(valid("btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
        assert!(valid("btc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"));
        // One character changed: the checksum fails.
        assert!(!valid("btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
        assert!(!valid("tron", &address("eth", &key).unwrap()));
        assert!(!valid("eth", &address("tron", &key).unwrap()));
        assert!(!valid("ltc", &address("btc", &key).unwrap()));
        assert!(!valid("eth", "0x12"));
        assert!(!valid("tron", "T0OIl"));
    }

    #[test]
    fn eip55_matches_the_eip() {
        let key: [u8; 20] = hex::decode("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(eip55(&key), "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    }

    #[test]
    fn tron_addresses_are_base58check() {
        // The USDT contract on TRON: 41a614f803b6fd780986a42c78ec9c7f77e6ded13c.
        let key: [u8; 20] = hex::decode("a614f803b6fd780986a42c78ec9c7f77e6ded13c")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            address("tron", &key).unwrap(),
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
        );
        assert!(address("sol", &key).is_none());
    }
}

//! Amounts as plain decimal strings: what the gateway's fields and the shim's API accept.

use rust_decimal::Decimal;
use std::str::FromStr;

/// Why a text is not an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not digits with an optional fraction (signs, exponents, blanks and commas are refused).
    #[error("not a plain decimal like \"15.00\"")]
    Format,
    /// More than 18 decimal places.
    #[error("more than 18 decimal places")]
    TooPrecise,
    /// More than 15 digits before the point.
    #[error("too large")]
    TooLarge,
    /// Zero.
    #[error("not greater than zero")]
    NotPositive,
}

/// Parses a positive plain decimal: `15`, `15.00`, `0.00000001`.
pub fn parse_amount(text: &str) -> Result<Decimal, AmountError> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || (text.contains('.') && fraction.is_empty())
    {
        return Err(AmountError::Format);
    }
    if fraction.len() > 18 {
        return Err(AmountError::TooPrecise);
    }
    if whole.trim_start_matches('0').len() > 15 {
        return Err(AmountError::TooLarge);
    }
    let amount = Decimal::from_str(text).map_err(|_| AmountError::Format)?;
    if amount <= Decimal::ZERO {
        return Err(AmountError::NotPositive);
    }
    Ok(amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_positive_decimals_only() {
        assert_eq!(parse_amount("15").unwrap(), Decimal::new(15, 0));
        assert_eq!(parse_amount("0.00000001").unwrap(), Decimal::new(1, 8));
        assert_eq!(parse_amount("000015.5").unwrap(), Decimal::new(155, 1));
        for bad in [
            "", "1e3", "-5", "+5", " 5", "5.", ".5", "1,5", "NaN", "0x10", "１",
        ] {
            assert_eq!(parse_amount(bad), Err(AmountError::Format), "{bad:?}");
        }
        assert_eq!(
            parse_amount(&format!("1.{}", "1".repeat(40))),
            Err(AmountError::TooPrecise)
        );
        assert_eq!(parse_amount(&"9".repeat(16)), Err(AmountError::TooLarge));
        assert_eq!(parse_amount("0.000"), Err(AmountError::NotPositive));
    }
}

//! Field validation, reported the way the gateway reports it.

use super::{FieldErrors, Fields, Refusal};
use rust_decimal::Decimal;
use serde_json::Value;

/// Collects per-field problems the way the gateway reports them.
#[derive(Default)]
pub(super) struct Check {
    errors: FieldErrors,
}

impl Check {
    pub(super) fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    pub(super) fn string(
        &mut self,
        fields: &Fields,
        name: &str,
        required: bool,
        max: usize,
    ) -> Option<String> {
        match fields.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.fail(
                        name,
                        format!("The {} field is required.", name.replace('_', " ")),
                    );
                }
                None
            }
            Some(Value::String(s)) if s.chars().count() <= max => Some(s.clone()),
            Some(Value::String(_)) => {
                self.fail(
                    name,
                    format!(
                        "The {} may not be greater than {max} characters.",
                        name.replace('_', " ")
                    ),
                );
                None
            }
            Some(_) => {
                self.fail(
                    name,
                    format!("The {} must be a string.", name.replace('_', " ")),
                );
                None
            }
        }
    }

    /// A positive decimal given as a string or a JSON number: digits, an optional point and at most
    /// 18 decimals. Exponents, signs and blanks are refused.
    pub(super) fn amount(&mut self, fields: &Fields, name: &str) -> Option<Decimal> {
        let text = match fields.get(name) {
            None | Some(Value::Null) => {
                self.fail(name, format!("The {name} field is required."));
                return None;
            }
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => {
                self.fail(name, format!("The {name} must be a number."));
                return None;
            }
        };
        match parse_amount(&text) {
            Ok(amount) => Some(amount),
            Err(message) => {
                self.fail(name, message);
                None
            }
        }
    }

    /// A boolean as the gateway accepts one: `true`, `false`, `1`, `0`, `"1"`, `"0"`, `"true"`,
    /// `"false"` (the PHP SDK sends `is_subtract` as a string).
    pub(super) fn boolean(&mut self, fields: &Fields, name: &str) -> Option<bool> {
        match fields.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::Number(n)) if n.as_u64() == Some(1) => Some(true),
            Some(Value::Number(n)) if n.as_u64() == Some(0) => Some(false),
            Some(Value::String(s)) if s == "1" || s == "true" => Some(true),
            Some(Value::String(s)) if s == "0" || s == "false" => Some(false),
            Some(_) => {
                self.fail(
                    name,
                    format!(
                        "The {} field must be true or false.",
                        name.replace('_', " ")
                    ),
                );
                None
            }
        }
    }

    pub(super) fn integer(&mut self, fields: &Fields, name: &str) -> Option<i64> {
        match fields.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            Some(Value::String(s)) if s.parse::<i64>().is_ok() => s.parse().ok(),
            Some(_) => {
                self.fail(name, format!("The {name} must be an integer."));
                None
            }
        }
    }

    /// A coin code that must be known, with a network (if given) it is offered on.
    pub(super) fn coin_on_network(
        &mut self,
        currency: Option<&str>,
        network: Option<&str>,
    ) -> Option<&'static crate::coins::Coin> {
        let coin = currency.and_then(crate::coins::coin);
        if currency.is_some() && coin.is_none() {
            self.fail("currency", "The selected currency is invalid.");
        }
        if let (Some(coin), Some(network)) = (coin, network)
            && !coin.networks.contains(&network)
        {
            self.fail(
                "network",
                format!("The network {network} is not available for {}.", coin.code),
            );
        }
        coin
    }

    /// A control's `"result"`: `paid` (the default, `true`) or `fail` (`false`).
    pub(super) fn outcome(&mut self, fields: &Fields) -> bool {
        let result = self
            .string(fields, "result", false, 8)
            .unwrap_or_else(|| "paid".to_owned());
        if result != "paid" && result != "fail" {
            self.fail("result", "The result must be paid or fail.");
        }
        result == "paid"
    }

    /// An `order_id`, when given, in the format the gateway takes.
    pub(super) fn order_id_format(&mut self, order_id: Option<&str>) {
        if order_id.is_some_and(|id| !order_id_ok(id)) {
            self.fail("order_id", "The order id format is invalid.");
        }
    }

    /// A `url_callback`, when given, long enough to be one.
    pub(super) fn url_callback_length(&mut self, url_callback: Option<&str>) {
        if url_callback.is_some_and(|url| url.len() < 6) {
            self.fail(
                "url_callback",
                "The url callback must be at least 6 characters.",
            );
        }
    }

    /// Whether `field` already has a problem.
    pub(super) fn has_errors(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }

    pub(super) fn finish(self) -> Result<(), Refusal> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Invalid(self.errors))
        }
    }
}

pub(super) fn parse_amount(text: &str) -> Result<Decimal, String> {
    use shim_gateway::amount::AmountError;
    shim_gateway::amount::parse_amount(text).map_err(|e| {
        match e {
            AmountError::Format => "The amount format is invalid.",
            AmountError::TooPrecise | AmountError::TooLarge => "The amount has too many digits.",
            AmountError::NotPositive => "The amount must be greater than 0.",
        }
        .to_owned()
    })
}

fn order_id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

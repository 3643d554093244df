//! PHP's JSON round trip, which Cryptomus computes webhook signatures over.
//!
//! The gateway signs `json_encode(json_decode($body, true), JSON_UNESCAPED_UNICODE)` with `sign`
//! removed. Reproducing that means decoding the way PHP does (objects become ordered arrays, numbers
//! become `int` or `float`, duplicate keys keep their first place and last value) and encoding the way
//! PHP does: compact, `/` escaped as `\/`, non-ASCII raw except U+2028/U+2029, floats in PHP's
//! shortest form (`10.0` → `10`, `1e25` → `1.0e+25`), an empty object as `[]`, and an object whose
//! keys are exactly `"0"`, `"1"`, ... as a list.

use std::fmt::Write as _;

/// PHP's default `json_decode` depth limit.
const MAX_DEPTH: usize = 512;

/// A decoded PHP value (`json_decode($json, true)`).
#[derive(Debug, Clone, PartialEq)]
pub enum PhpValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number without fraction or exponent that fits in 64 bits.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// A JSON array: a packed PHP list.
    List(Vec<PhpValue>),
    /// A JSON object: an ordered PHP array with string keys.
    Map(Vec<(String, PhpValue)>),
}

/// Why PHP would have refused the JSON (or the encode).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhpJsonError {
    /// The text is not JSON as PHP's parser accepts it.
    #[error("invalid json at byte {0}")]
    Syntax(usize),
    /// Nesting deeper than PHP's default limit.
    #[error("json nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A float that PHP refuses to encode (infinite after parsing).
    #[error("number out of range")]
    NotFinite,
}

impl PhpValue {
    /// Decodes JSON text the way `json_decode($text, true)` does.
    pub fn decode(text: &str) -> Result<Self, PhpJsonError> {
        let mut parser = Parser {
            bytes: text.as_bytes(),
            pos: 0,
        };
        parser.skip_ws();
        let value = parser.value(0)?;
        parser.skip_ws();
        if parser.pos != parser.bytes.len() {
            return Err(PhpJsonError::Syntax(parser.pos));
        }
        Ok(value)
    }

    /// Encodes the way `json_encode($value, JSON_UNESCAPED_UNICODE)` does, or with `/` left as is
    /// when `escape_slashes` is false (`JSON_UNESCAPED_SLASHES` added).
    pub fn encode(&self, escape_slashes: bool) -> Result<String, PhpJsonError> {
        let mut out = String::new();
        self.write(&mut out, escape_slashes)?;
        Ok(out)
    }

    /// Removes `key` from a map and returns its value (PHP's `unset($data[$key])`).
    pub fn remove(&mut self, key: &str) -> Option<PhpValue> {
        match self {
            PhpValue::Map(entries) => {
                let index = entries.iter().position(|(k, _)| k == key)?;
                Some(entries.remove(index).1)
            }
            _ => None,
        }
    }

    fn write(&self, out: &mut String, escape_slashes: bool) -> Result<(), PhpJsonError> {
        match self {
            PhpValue::Null => out.push_str("null"),
            PhpValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            PhpValue::Int(i) => {
                let _ = write!(out, "{i}");
            }
            PhpValue::Float(f) => write_float(*f, out)?,
            PhpValue::Str(s) => write_string(s, out, escape_slashes),
            PhpValue::List(items) => write_list(items.iter(), out, escape_slashes)?,
            PhpValue::Map(entries) => {
                if is_list_shaped(entries) {
                    return write_list(entries.iter().map(|(_, v)| v), out, escape_slashes);
                }
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out, escape_slashes);
                    out.push(':');
                    value.write(out, escape_slashes)?;
                }
                out.push('}');
            }
        }
        Ok(())
    }
}

/// PHP turns canonical integer-string keys into integer keys, and an array whose keys are 0..n-1 in
/// order is encoded as a list (so is an empty one).
fn is_list_shaped(entries: &[(String, PhpValue)]) -> bool {
    entries
        .iter()
        .enumerate()
        .all(|(i, (key, _))| *key == i.to_string())
}

fn write_list<'a>(
    items: impl Iterator<Item = &'a PhpValue>,
    out: &mut String,
    escape_slashes: bool,
) -> Result<(), PhpJsonError> {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        item.write(out, escape_slashes)?;
    }
    out.push(']');
    Ok(())
}

fn write_string(s: &str, out: &mut String, escape_slashes: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if escape_slashes => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// PHP's `serialize_precision = -1` output: the shortest digits that round-trip, in fixed notation
/// when the decimal exponent is in -4..=16, else as `d.ddde+X`; no `.0` on whole numbers.
fn write_float(f: f64, out: &mut String) -> Result<(), PhpJsonError> {
    if !f.is_finite() {
        return Err(PhpJsonError::NotFinite);
    }
    if f == 0.0 {
        out.push_str(if f.is_sign_negative() { "-0" } else { "0" });
        return Ok(());
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e19", "1e-7".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').ok_or(PhpJsonError::NotFinite)?;
    let exp: i32 = exp.parse().map_err(|_| PhpJsonError::NotFinite)?;
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    out.push_str(sign);
    if !(-4..=16).contains(&exp) {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() == 1 { "0" } else { &digits[1..] });
        let _ = write!(
            out,
            "e{}{}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(&digits);
    }
    Ok(())
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err<T>(&self) -> Result<T, PhpJsonError> {
        Err(PhpJsonError::Syntax(self.pos))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &[u8]) -> bool {
        if self.bytes[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<PhpValue, PhpJsonError> {
        if depth >= MAX_DEPTH {
            return Err(PhpJsonError::TooDeep);
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(PhpValue::Str(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ if self.eat(b"true") => Ok(PhpValue::Bool(true)),
            _ if self.eat(b"false") => Ok(PhpValue::Bool(false)),
            _ if self.eat(b"null") => Ok(PhpValue::Null),
            _ => self.err(),
        }
    }

    fn object(&mut self, depth: usize) -> Result<PhpValue, PhpJsonError> {
        self.pos += 1;
        let mut entries: Vec<(String, PhpValue)> = Vec::new();
        // Where each key sits, so a body with many keys costs linear time, not quadratic.
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        self.skip_ws();
        if self.eat(b"}") {
            return Ok(PhpValue::Map(entries));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return self.err();
            }
            let key = self.string()?;
            self.skip_ws();
            if !self.eat(b":") {
                return self.err();
            }
            self.skip_ws();
            let value = self.value(depth + 1)?;
            // A repeated key keeps its first position and takes the last value, as in PHP arrays.
            match index.get(&key) {
                Some(&at) => entries[at].1 = value,
                None => {
                    index.insert(key.clone(), entries.len());
                    entries.push((key, value));
                }
            }
            self.skip_ws();
            if self.eat(b",") {
                continue;
            }
            if self.eat(b"}") {
                return Ok(PhpValue::Map(entries));
            }
            return self.err();
        }
    }

    fn array(&mut self, depth: usize) -> Result<PhpValue, PhpJsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.eat(b"]") {
            return Ok(PhpValue::List(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            if self.eat(b",") {
                continue;
            }
            if self.eat(b"]") {
                return Ok(PhpValue::List(items));
            }
            return self.err();
        }
    }

    fn number(&mut self) -> Result<PhpValue, PhpJsonError> {
        let start = self.pos;
        self.eat(b"-");
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return self.err(),
        }
        let mut is_float = false;
        if self.eat(b".") {
            is_float = true;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return self.err();
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            is_float = true;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return self.err();
            }
            self.digits();
        }
        // The slice holds only ASCII digits, signs, '.' and 'e', so it is valid UTF-8.
        let text = std::str::from_utf8(&self.bytes[start..self.pos])
            .map_err(|_| PhpJsonError::Syntax(start))?;
        if !is_float && let Ok(i) = text.parse::<i64>() {
            return Ok(PhpValue::Int(i));
        }
        // Integers past 64 bits become floats, as without JSON_BIGINT_AS_STRING.
        text.parse::<f64>()
            .map(PhpValue::Float)
            .map_err(|_| PhpJsonError::Syntax(start))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<String, PhpJsonError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Runs end at ASCII bytes, so they are whole UTF-8 sequences of the input text.
            let run = std::str::from_utf8(&self.bytes[run_start..self.pos])
                .map_err(|_| PhpJsonError::Syntax(run_start))?;
            out.push_str(run);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = self.peek().ok_or(PhpJsonError::Syntax(self.pos))?;
                    self.pos += 1;
                    match escaped {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err(PhpJsonError::Syntax(self.pos - 1)),
                    }
                }
                _ => return self.err(),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, PhpJsonError> {
        let hex = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or(PhpJsonError::Syntax(self.pos))?;
        let hex = std::str::from_utf8(hex).map_err(|_| PhpJsonError::Syntax(self.pos))?;
        let code = u32::from_str_radix(hex, 16).map_err(|_| PhpJsonError::Syntax(self.pos))?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self.err();
        }
        self.pos += 4;
        Ok(code)
    }

    /// `\uXXXX`, joining surrogate pairs; a lone surrogate is an error in PHP too.
    fn unicode_escape(&mut self) -> Result<char, PhpJsonError> {
        let start = self.pos;
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.eat(b"\\u") {
                    return Err(PhpJsonError::Syntax(start));
                }
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(PhpJsonError::Syntax(start));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(PhpJsonError::Syntax(start)),
            code => code,
        };
        char::from_u32(code).ok_or(PhpJsonError::Syntax(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn php(json: &str) -> String {
        PhpValue::decode(json).unwrap().encode(true).unwrap()
    }

    // Every expectation below was produced by PHP 8.2's
    // `json_encode(json_decode($json, true), JSON_UNESCAPED_UNICODE)`.
    #[test]
    fn numbers_as_php_prints_them() {
        assert_eq!(
            php(
                r#"{"a":10.0,"b":1.5,"c":1e3,"d":12345678901234567890,"i":0.1,"j":-0.0,"k":1e25,"l":1.0e-7}"#
            ),
            r#"{"a":10,"b":1.5,"c":1000,"d":1.2345678901234567e+19,"i":0.1,"j":-0,"k":1.0e+25,"l":1.0e-7}"#
        );
        assert_eq!(
            php("[0.0001,1e16,1e17,-7,123456.789]"),
            "[0.0001,10000000000000000,1.0e+17,-7,123456.789]"
        );
    }

    #[test]
    fn strings_as_php_escapes_them() {
        assert_eq!(
            php(r#"{"g":"\u2028/\u00e9\u001f","q":"a\"b\\c\td","e":"😀"}"#),
            "{\"g\":\"\\u2028\\/é\\u001f\",\"q\":\"a\\\"b\\\\c\\td\",\"e\":\"😀\"}"
        );
    }

    #[test]
    fn arrays_as_php_sees_them() {
        assert_eq!(
            php(r#"{"e":{},"f":{"0":"x","1":"y"},"h":[],"o":{"1":"x","0":"y"}}"#),
            r#"{"e":[],"f":["x","y"],"h":[],"o":{"1":"x","0":"y"}}"#
        );
        assert_eq!(php(r#"{"a":1,"b":2,"a":3}"#), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn rejects_what_php_rejects() {
        for bad in [
            "",
            "{",
            "{\"a\":}",
            "[1,]",
            "01",
            "1.",
            "\"\\ud800\"",
            "\"a\u{1}\"",
            "nul",
            "{} x",
            "\"\\x\"",
        ] {
            assert!(PhpValue::decode(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(600) + &"]".repeat(600);
        assert_eq!(PhpValue::decode(&deep), Err(PhpJsonError::TooDeep));
        let inf = PhpValue::decode("1e400").unwrap();
        assert_eq!(inf.encode(true), Err(PhpJsonError::NotFinite));
    }
}

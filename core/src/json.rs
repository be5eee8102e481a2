//! The core's own JSON reader: JSON text into a [`serde_json::Value`], the value
//! `serde_json::from_slice::<Value>` gives, without serde's generic deserializer.
//!
//! serde_json's reader (its `Deserializer`, the visitor code behind it and its error texts)
//! is several kilobytes of the npm package's WebAssembly module, and reading a body through
//! it costs more than this direct loop. serde_json stays the crate of [`Value`] (and writes
//! nothing here: see [`json_text`](crate::json_text)).
//!
//! What it reads, as serde_json does (built without `arbitrary_precision` and without
//! `preserve_order`): integers as `u64` when non-negative and fitting, `i64` when negative
//! and fitting, else `f64` (so `-0` is the float `-0.0`); a number with a fraction or an
//! exponent as `f64`, computed as serde_json computes it (see [`parse`]), and one out of the
//! `f64` range an error; strings with every escape,
//! surrogate pairs joined and a lone surrogate an error, a raw control character an error;
//! duplicate keys: the last wins; whitespace around the value; at most 127 nested arrays or
//! objects (an error beyond, never a stack overflow). Invalid UTF-8 anywhere is an error.

use crate::util::slice;
use serde_json::{Map, Number, Value};
use std::fmt;

/// The nesting serde_json refuses: 128 arrays or objects one inside the other.
const MAX_DEPTH: u32 = 128;

/// Why a text is not JSON, and where: the byte offset at which reading stopped. Its text
/// never quotes the input (a body may hold a secret).
#[derive(Clone, PartialEq, Eq)]
pub struct JsonError {
    offset: usize,
    reason: &'static str,
}

impl JsonError {
    /// The byte offset in the input where reading stopped.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What is wrong, in a few words (`"expected a value"`, `"number out of range"`, ...).
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // (As `u64`: its formatting is in the WebAssembly build already, `usize`'s would be added.)
        write!(f, "{} at byte {}", self.reason, self.offset as u64)
    }
}

impl fmt::Debug for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // By hand: a derived `Debug` prints the reason with `{:?}` (Unicode tables behind it).
        write!(f, "JsonError({self})")
    }
}

impl std::error::Error for JsonError {}

const END: &str = "unexpected end of input";
const VALUE: &str = "expected a value";
const NUMBER: &str = "invalid number";
const RANGE: &str = "number out of range";
const ESCAPE: &str = "invalid escape";
const SURROGATE: &str = "lone surrogate in an escape";
const CONTROL: &str = "control character in a string";

/// The value of the JSON text `bytes`: what `serde_json::from_slice::<Value>` gives for it,
/// or a [`JsonError`] where it gives an error.
///
/// Floats are the `f64` serde_json makes (without its `float_roundtrip` feature): exact
/// within 2^53 and 10^±22, which covers what a float prints as, and possibly an ulp off the
/// nearest beyond (`str::parse::<f64>` would round correctly there, but its tables would add
/// ~9 KB gzipped to the npm package's WebAssembly module).
///
/// ```
/// let value = csms_core::json::parse(br#" {"a": [1, -2, 2.5, "\u00e9"], "a": null} "#).unwrap();
/// assert_eq!(value, serde_json::json!({"a": null}));
/// assert_eq!(csms_core::json::parse(b"[1,]").unwrap_err().to_string(), "expected a value at byte 3");
/// ```
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    // Outside strings any byte that is not ASCII is an error anyway: checking all of it
    // once lets every string below be a slice of `text`.
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_str(text),
        Err(e) => Err(JsonError { offset: e.valid_up_to(), reason: "invalid UTF-8" }),
    }
}

/// [`parse`] of a text (UTF-8 already: not checked again).
pub fn parse_str(text: &str) -> Result<Value, JsonError> {
    let mut reader = Reader::new(text);
    let value = reader.value()?;
    reader.end()?;
    Ok(value)
}

/// A JSON text read by [`parse_top`]: an object's members in the order written (a name
/// may repeat: the last one counts), or any other value.
pub(crate) enum Top {
    /// The members of an object.
    Members(Vec<(String, Value)>),
    /// A value that is not an object.
    Other(Value),
}

/// [`parse_str`], but an object at the top is left as its list of members rather than made
/// into a map: an operation's input, whose few members are looked up by name a few times
/// each (cheaper in a short list than in a `BTreeMap` built, searched and dropped).
pub(crate) fn parse_top(text: &str) -> Result<Top, JsonError> {
    let mut reader = Reader::new(text);
    reader.skip_space();
    let top = if reader.peek() == Some(b'{') {
        reader.at += 1;
        reader.depth -= 1;
        let mut members = Vec::new();
        reader.members(&mut |key, value| members.push((key, value)))?;
        Top::Members(members)
    } else {
        Top::Other(reader.value()?)
    };
    reader.end()?;
    Ok(top)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The offset of the next byte to read.
    at: usize,
    /// How many more arrays or objects may be opened inside the current one.
    depth: u32,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Reader { text, bytes: text.as_bytes(), at: 0, depth: MAX_DEPTH }
    }

    /// After the value: only whitespace may follow.
    fn end(&mut self) -> Result<(), JsonError> {
        self.skip_space();
        if self.at < self.bytes.len() {
            return Err(self.error("trailing characters"));
        }
        Ok(())
    }

    fn error(&self, reason: &'static str) -> JsonError {
        JsonError { offset: self.at, reason }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    /// Reads `byte` when it is next (after whitespace).
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        let next = self.peek() == Some(byte);
        self.at += usize::from(next);
        next
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        self.skip_space();
        let Some(b) = self.peek() else { return Err(self.error(END)) };
        match b {
            b'"' => {
                self.at += 1;
                self.string().map(Value::String)
            }
            b'[' | b'{' => {
                self.depth -= 1;
                if self.depth == 0 {
                    return Err(self.error("nested too deep"));
                }
                self.at += 1;
                let value = if b == b'[' { self.array() } else { self.object() };
                self.depth += 1;
                value
            }
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'n' => self.word("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.error(VALUE)),
        }
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, JsonError> {
        if !self.bytes[self.at..].starts_with(word.as_bytes()) {
            return Err(self.error(VALUE));
        }
        self.at += word.len();
        Ok(value)
    }

    /// After `[`.
    fn array(&mut self) -> Result<Value, JsonError> {
        let mut items = Vec::new();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            if !self.more(b']', "expected `,` or `]`")? {
                return Ok(Value::Array(items));
            }
        }
    }

    /// After `{`.
    fn object(&mut self) -> Result<Value, JsonError> {
        let mut map = Map::new();
        // The last of duplicate keys wins, as with serde_json.
        self.members(&mut |key, value| {
            map.insert(key, value);
        })?;
        Ok(Value::Object(map))
    }

    /// After `{`: each member given to `put` in the order written, then the `}`. (A `dyn`
    /// sink: one copy of the loop in the module for both kinds of object.)
    fn members(&mut self, put: &mut dyn FnMut(String, Value)) -> Result<(), JsonError> {
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            if !self.eat(b'"') {
                return Err(self.error("expected a key"));
            }
            let key = self.string()?;
            if !self.eat(b':') {
                return Err(self.error("expected `:`"));
            }
            put(key, self.value()?);
            if !self.more(b'}', "expected `,` or `}`")? {
                return Ok(());
            }
        }
    }

    /// After an item or member: `true` at `,` (another follows), `false` at `close`.
    /// (Inlined: a call of its own is ~120 bytes more of the gzipped WebAssembly module.)
    #[inline(always)]
    fn more(&mut self, close: u8, reason: &'static str) -> Result<bool, JsonError> {
        if self.eat(b',') {
            return Ok(true);
        }
        if self.eat(close) {
            return Ok(false);
        }
        Err(self.error(reason))
    }

    /// A string's contents, after its `"`; reads its closing `"`.
    fn string(&mut self) -> Result<String, JsonError> {
        let (bytes, text, start) = (self.bytes, self.text, self.at);
        let error = |offset, reason| Err(JsonError { offset, reason });
        let mut i = start;
        // Up to the first escape: most strings have none and are one copy.
        loop {
            match bytes.get(i) {
                None => return error(i, END),
                Some(b'"') => {
                    self.at = i + 1;
                    return Ok(slice(text, start, i).to_owned());
                }
                Some(b'\\') => break,
                Some(&b) if b < 0x20 => return error(i, CONTROL),
                Some(_) => i += 1,
            }
        }
        // The closing quote first: the string is then allocated once, at the most it can
        // need (an escape is never shorter than what it stands for), and never moved, so
        // that no copy of a secret is left behind in freed memory.
        let mut end = i;
        loop {
            match bytes.get(end) {
                None => return error(end, END),
                Some(b'"') => break,
                Some(b'\\') => end += 2,
                Some(&b) if b < 0x20 => return error(end, CONTROL),
                Some(_) => end += 1,
            }
        }
        let mut out = String::with_capacity(end - start);
        out.push_str(slice(text, start, i));
        while i < end {
            if bytes[i] != b'\\' {
                let run = i;
                while i < end && bytes[i] != b'\\' {
                    i += 1;
                }
                out.push_str(slice(text, run, i));
                continue;
            }
            let escape = bytes[i + 1];
            i += 2;
            let c = match escape {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let mut code = hex4(bytes, i).ok_or(JsonError { offset: i, reason: ESCAPE })?;
                    i += 4;
                    if (0xD800..0xDC00).contains(&code) {
                        // A leading surrogate: its trailing one must follow, as `\uDC00`..`\uDFFF`.
                        let low = match bytes.get(i..i + 2) {
                            Some(b"\\u") => hex4(bytes, i + 2).ok_or(JsonError { offset: i + 2, reason: ESCAPE })?,
                            _ => return error(i, SURROGATE),
                        };
                        if !(0xDC00..0xE000).contains(&low) {
                            return error(i, SURROGATE);
                        }
                        i += 6;
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    }
                    // `None` for a trailing surrogate on its own.
                    match char::from_u32(code) {
                        Some(c) => c,
                        None => return error(i - 6, SURROGATE),
                    }
                }
                _ => return error(i - 2, ESCAPE),
            };
            out.push(c);
        }
        self.at = end + 1;
        Ok(out)
    }

    /// A number, at its first byte (`-` or a digit).
    fn number(&mut self) -> Result<Value, JsonError> {
        let bytes = self.bytes;
        let start = self.at;
        let digits = |mut i: usize| {
            while let Some(b'0'..=b'9') = bytes.get(i) {
                i += 1;
            }
            i
        };
        let negative = bytes[start] == b'-';
        let int_start = start + usize::from(negative);
        // One `0`, or digits not starting with `0` (a digit after a `0` is then an error
        // of the caller: a value cannot follow a value).
        let mut i = match bytes.get(int_start) {
            Some(b'0') => int_start + 1,
            Some(b'1'..=b'9') => digits(int_start + 1),
            _ => return Err(JsonError { offset: int_start, reason: NUMBER }),
        };
        let int_end = i;
        if bytes.get(i) == Some(&b'.') {
            i = digits(i + 1);
            if bytes[i - 1] == b'.' {
                return Err(JsonError { offset: i, reason: NUMBER });
            }
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            let exponent = i;
            i = digits(i);
            if i == exponent {
                return Err(JsonError { offset: i, reason: NUMBER });
            }
        }
        self.at = i;
        // The digits as serde_json reads them: a `u64` significand and a power of ten.
        let (mut significand, mut exponent, mut full) = (0u64, 0i32, false);
        let mut at = int_start;
        while at < i {
            let b = bytes[at];
            at += 1;
            match b {
                b'0'..=b'9' => {
                    let digit = u64::from(b - b'0');
                    // Once the significand is full, later digits only scale it (integer
                    // part) or are dropped (fraction).
                    full = full || significand > (u64::MAX - digit) / 10;
                    if !full {
                        significand = significand * 10 + digit;
                        exponent -= i32::from(at > int_end);
                    } else if at <= int_end {
                        exponent += 1;
                    }
                }
                // The fraction's digits may fill a significand the integer part left full.
                b'.' => full = false,
                _ => break,
            }
        }
        if i == int_end && exponent == 0 {
            // An integer that fits `u64`: as it is or, negative, an `i64` when it fits (`-0`
            // is a float, as with serde_json).
            let value = (significand as i64).wrapping_neg();
            return Ok(Value::Number(match negative {
                false => significand.into(),
                true if value < 0 => value.into(),
                true => float(-(significand as f64)),
            }));
        }
        let value = match exponent_of(&bytes[at..i]) {
            Some(e) => pow10(significand as f64, exponent.saturating_add(e)),
            // An exponent beyond `i32`: zero when the number is zero or the exponent negative.
            None if significand == 0 || bytes[at] == b'-' => Some(0.0),
            None => None,
        };
        match value {
            Some(f) => Ok(Value::Number(float(if negative { -f } else { f }))),
            None => Err(JsonError { offset: start, reason: RANGE }),
        }
    }
}

/// The value of an exponent's text after `e` (its sign, then digits), `None` beyond `i32`.
fn exponent_of(text: &[u8]) -> Option<i32> {
    let (negative, digits) = match text.first() {
        Some(&sign @ (b'+' | b'-')) => (sign == b'-', &text[1..]),
        _ => (false, text),
    };
    let mut e: i32 = 0;
    for &d in digits {
        e = e.checked_mul(10)?.checked_add(i32::from(d - b'0'))?;
    }
    Some(if negative { -e } else { e })
}

/// `f` times ten to the `exponent`, as serde_json (without its `float_roundtrip` feature)
/// computes it: one multiplication or division by a power of ten (repeated divisions by
/// `1e308` below it), `None` when that is infinite.
fn pow10(mut f: f64, mut exponent: i32) -> Option<f64> {
    loop {
        match POW10.get(exponent.unsigned_abs() as usize) {
            Some(&pow) if exponent >= 0 => {
                f *= pow;
                return if f.is_infinite() { None } else { Some(f) };
            }
            Some(&pow) => return Some(f / pow),
            None if f == 0.0 => return Some(f),
            None if exponent >= 0 => return None,
            None => {
                f /= 1e308;
                exponent += 308;
            }
        }
    }
}

/// The JSON number of a finite `value`.
fn float(value: f64) -> Number {
    Number::from_f64(value).unwrap_or_else(|| 0.into())
}

/// The four hexadecimal digits at `at`, either case.
fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let mut code = 0;
    for &b in bytes.get(at..at + 4)? {
        code = code * 16 + char::from(b).to_digit(16)?;
    }
    Some(code)
}

/// `1e0` to `1e308`, each the `f64` nearest.
#[rustfmt::skip]
static POW10: [f64; 309] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23,
    1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35,
    1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47,
    1e48, 1e49, 1e50, 1e51, 1e52, 1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59,
    1e60, 1e61, 1e62, 1e63, 1e64, 1e65, 1e66, 1e67, 1e68, 1e69, 1e70, 1e71,
    1e72, 1e73, 1e74, 1e75, 1e76, 1e77, 1e78, 1e79, 1e80, 1e81, 1e82, 1e83,
    1e84, 1e85, 1e86, 1e87, 1e88, 1e89, 1e90, 1e91, 1e92, 1e93, 1e94, 1e95,
    1e96, 1e97, 1e98, 1e99, 1e100, 1e101, 1e102, 1e103, 1e104, 1e105, 1e106, 1e107,
    1e108, 1e109, 1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118, 1e119,
    1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129, 1e130, 1e131,
    1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139, 1e140, 1e141, 1e142, 1e143,
    1e144, 1e145, 1e146, 1e147, 1e148, 1e149, 1e150, 1e151, 1e152, 1e153, 1e154, 1e155,
    1e156, 1e157, 1e158, 1e159, 1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167,
    1e168, 1e169, 1e170, 1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179,
    1e180, 1e181, 1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188, 1e189, 1e190, 1e191,
    1e192, 1e193, 1e194, 1e195, 1e196, 1e197, 1e198, 1e199, 1e200, 1e201, 1e202, 1e203,
    1e204, 1e205, 1e206, 1e207, 1e208, 1e209, 1e210, 1e211, 1e212, 1e213, 1e214, 1e215,
    1e216, 1e217, 1e218, 1e219, 1e220, 1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227,
    1e228, 1e229, 1e230, 1e231, 1e232, 1e233, 1e234, 1e235, 1e236, 1e237, 1e238, 1e239,
    1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248, 1e249, 1e250, 1e251,
    1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259, 1e260, 1e261, 1e262, 1e263,
    1e264, 1e265, 1e266, 1e267, 1e268, 1e269, 1e270, 1e271, 1e272, 1e273, 1e274, 1e275,
    1e276, 1e277, 1e278, 1e279, 1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287,
    1e288, 1e289, 1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299,
    1e300, 1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308,
];

#[cfg(test)]
mod tests;

//! Small replacements for standard-library conveniences whose code is large where size
//! counts (the npm package's WebAssembly): the standard sorts monomorphize several
//! kilobytes per element type, and `{:?}` on text pulls in Unicode printability tables.

use serde_json::Value;
use zeroize::Zeroize;

/// Writes zeros over all of `bytes`' memory (its bytes and its spare capacity) and empties
/// it, as `Zeroize` for `Vec<u8>` does, in one bulk pass of volatile writes: `Zeroize`
/// writes a vector's bytes one at a time (and only its spare capacity in bulk), which is a
/// call per byte in the size-tuned WebAssembly build, where the signing path wipes a few
/// kilobytes per request.
pub(crate) fn wipe_bytes(bytes: &mut Vec<u8>) {
    // Once cleared, the spare capacity is the whole allocation (`u8` needs no drop).
    bytes.clear();
    bytes.spare_capacity_mut().zeroize();
}

/// [`wipe_bytes`] for a string: its memory is written with zeros and freed, and it is left
/// empty.
pub(crate) fn wipe(text: &mut String) {
    wipe_bytes(&mut std::mem::take(text).into_bytes());
}

/// A string wiped with [`wipe`] when dropped: the signing buffers (the canonical request and
/// the string to sign, which may hold a security token).
#[derive(Default)]
pub(crate) struct WipedString(pub(crate) String);

impl std::ops::Deref for WipedString {
    type Target = String;

    fn deref(&self) -> &String {
        &self.0
    }
}

impl std::ops::DerefMut for WipedString {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.0
    }
}

impl Drop for WipedString {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// `names` joined by `, ` (by hand: `join` brings a generic copy routine into the
/// WebAssembly build).
pub(crate) fn comma_list(names: &[&str]) -> String {
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
    }
    out
}

/// `text[from..to]`, or `""` when that is not a range of character boundaries. Callers
/// pass boundaries: this only spares the WebAssembly build the panic path of `str`
/// indexing, whose message prints the text with `{:?}` (with Unicode tables behind it).
#[inline]
pub(crate) fn slice(text: &str, from: usize, to: usize) -> &str {
    text.get(from..to).unwrap_or_default()
}

/// `duration` in whole milliseconds for a message (`u64::MAX` beyond): formatting a `u64`
/// rather than the `u128` of `Duration::as_millis` keeps 128-bit formatting out of the
/// WebAssembly module.
pub(crate) fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The value of `text` as `u64::from_str` reads it (an optional `+`, then ASCII digits),
/// `None` when it is not one or overflows. By hand: each integer type's `parse` is a few
/// hundred bytes of code in the WebAssembly build.
pub(crate) fn parse_u64(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let digits = match b.first() {
        Some(b'+') => &b[1..],
        _ => b,
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}

/// The value of `text` as `i64::from_str` reads it (an optional sign, then ASCII digits).
pub(crate) fn parse_i64(text: &str) -> Option<i64> {
    match text.strip_prefix('-') {
        // `+` after `-` is refused, as `from_str` does.
        Some(rest) if !rest.starts_with('+') => {
            let n = parse_u64(rest)?;
            if n > i64::MAX as u64 + 1 {
                return None;
            }
            Some((n as i64).wrapping_neg())
        }
        Some(_) => None,
        None => i64::try_from(parse_u64(text)?).ok(),
    }
}

/// Sorts `items` in place (heapsort: O(n log n) at worst, a few hundred bytes of code; not
/// stable, which is the same here since the callers sort values equal only when identical).
pub(crate) fn sort<T: Ord>(items: &mut [T]) {
    fn sift_down<T: Ord>(items: &mut [T], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && items[child] < items[child + 1] {
                child += 1;
            }
            if items[root] >= items[child] {
                return;
            }
            items.swap(root, child);
            root = child;
        }
    }
    let n = items.len();
    for root in (0..n / 2).rev() {
        sift_down(items, root, n);
    }
    for end in (1..n).rev() {
        items.swap(0, end);
        sift_down(items, 0, end);
    }
}

/// A JSON object of text members, built by hand: `serde_json::json!` with values filled in
/// calls `to_value(..).unwrap()`, whose panic path brings `Debug` printing and Unicode
/// tables into the WebAssembly build.
pub(crate) fn text_object(members: &[(&str, &str)]) -> Value {
    let mut map = serde_json::Map::new();
    for (name, value) in members {
        map.insert((*name).to_owned(), Value::String((*value).to_owned()));
    }
    Value::Object(map)
}

/// The compact JSON text of `value`, byte for byte what `serde_json::to_string` writes.
///
/// Written here rather than with serde_json's serializer, whose writer and error plumbing
/// (and, through `Display`, std's boxed string errors and Unicode tables) are large in the
/// WebAssembly build.
///
/// ```
/// let value = serde_json::json!({"b": [1, -2, 2.5, null, true], "a": "line\n\"q\""});
/// assert_eq!(csms_core::json_text(&value), serde_json::to_string(&value).unwrap());
/// ```
pub fn json_text(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

/// Appends the compact JSON text of `value` to `out` (see [`json_text`]).
pub(crate) fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => push_json_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_str(out, key);
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
    }
}

/// Appends `text` as a JSON string, escaped as serde_json escapes it (`"`, `\`, and control
/// characters: `\b \t \n \f \r`, the others as `\u00xx`).
pub fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    let bytes = text.as_bytes();
    let mut start = 0;
    // A plain loop: iterator adapters cost a call per byte where they are not inlined.
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        let i = i - 1;
        // Only ASCII bytes end a run, so both ends are character boundaries.
        out.push_str(slice(text, start, i));
        start = i + 1;
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            _ => "",
        };
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        } else {
            out.push_str(short);
        }
    }
    out.push_str(slice(text, start, text.len()));
    out.push('"');
}

/// `text` between `quote`s, with the quote, `\` and control characters escaped as Rust's
/// `{:?}` escapes them (other characters are kept as they are).
pub(crate) fn quoted(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wipes_write_zeros_over_the_whole_allocation() {
        let mut bytes = Vec::with_capacity(64);
        bytes.extend_from_slice(b"a secret value, then spare capacity that held one before");
        bytes.truncate(20);
        let capacity = bytes.capacity();
        wipe_bytes(&mut bytes);
        assert!(bytes.is_empty());
        // SAFETY: the allocation holds `capacity` bytes, and every one was written above.
        let all = unsafe { std::slice::from_raw_parts(bytes.as_ptr(), capacity) };
        assert_eq!(all, vec![0; capacity]);
        let mut text = WipedString(String::from("token"));
        text.push_str(" and more");
        assert_eq!(text.as_str(), "token and more");
        let mut text = String::from("secret");
        wipe(&mut text);
        assert!(text.is_empty());
    }

    #[test]
    fn millis_is_whole_milliseconds_and_saturates() {
        use std::time::Duration;
        assert_eq!(millis(Duration::from_micros(10_999)), 10);
        assert_eq!(millis(Duration::from_secs(86_400)), 86_400_000);
        // Beyond u64 milliseconds (only Duration::MAX and its neighbours): the largest u64.
        assert_eq!(millis(Duration::MAX), u64::MAX);
    }

    #[test]
    fn integers_parse_as_from_str_does() {
        let cases = [
            "",
            "+",
            "-",
            "0",
            "+0",
            "-0",
            "7",
            "+7",
            "-7",
            "007",
            "-+7",
            "+-7",
            "++7",
            " 7",
            "7 ",
            "1_0",
            "ü",
            "1e3",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
        ];
        for text in cases {
            assert_eq!(parse_u64(text), text.parse::<u64>().ok(), "{text:?}");
            assert_eq!(parse_i64(text), text.parse::<i64>().ok(), "{text:?}");
        }
    }

    #[test]
    fn sorts_like_the_standard_sort() {
        let mut seed = 0x2545_f491_u64;
        for len in 0..40 {
            let mut items: Vec<(u64, String)> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (seed >> 61, format!("{}", seed >> 62))
                })
                .collect();
            let mut expected = items.clone();
            expected.sort();
            sort(&mut items);
            assert_eq!(items, expected);
        }
    }

    #[test]
    fn writes_json_as_serde_json_does() {
        let all_bytes: String = (0u8..0x80).map(char::from).collect();
        let values = [
            serde_json::json!(null),
            serde_json::json!({"z": [1, -2, u64::MAX, i64::MIN, 0.1, -0.0, 5.0, 1e300, 1.5e-7], "a": {"": ""}}),
            serde_json::json!([all_bytes, "ünï € \u{2028} \u{1F600}", "\"\\/"]),
            serde_json::json!({"k\n\u{1}": [true, false, [], {}]}),
        ];
        for value in values {
            assert_eq!(json_text(&value), serde_json::to_string(&value).unwrap());
        }
    }

    #[test]
    fn quotes_as_debug_does_for_text() {
        for text in ["plain", "a\"b", "back\\slash", "tab\there\nnew\r", "ctl\u{1}\u{7f}", "ünï €"] {
            assert_eq!(quoted(text, '"'), format!("{text:?}"));
        }
        for c in ['a', '\'', '"', '\n', 'é', '\u{0}'] {
            assert_eq!(quoted(&c.to_string(), '\''), format!("{c:?}"), "{c:?}");
        }
    }
}

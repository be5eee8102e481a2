//! Percent-encoding as the official signer does it (RFC 3986: only `A-Z a-z 0-9 - . _ ~` kept).

/// Appends `text` to `out`, every byte outside the unreserved set written as `%XX`.
pub(crate) fn encode_into(out: &mut String, text: &str) {
    encode_keeping(out, text, |_| false);
}

/// Appends `text` percent-encoded as [`encode_into`] does, but for the bytes `keep` lets
/// through as they are (all ASCII).
pub(crate) fn encode_keeping(out: &mut String, text: &str, keep: impl Fn(u8) -> bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // Runs of kept bytes are copied whole (fast even where calls are not inlined).
    let bytes = text.as_bytes();
    let mut start = 0;
    // A plain loop: iterator adapters cost a call per byte where they are not inlined.
    #[allow(clippy::needless_range_loop)]
    for i in 0..bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || b.is_ascii() && keep(b)) {
            if start < i {
                // Only kept (ASCII) bytes since `start`: both ends are character boundaries.
                out.push_str(crate::util::slice(text, start, i));
            }
            let escape = [b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]];
            out.push_str(std::str::from_utf8(&escape).unwrap_or_else(|_| panic!("ASCII")));
            start = i + 1;
        }
    }
    out.push_str(crate::util::slice(text, start, text.len()));
}

/// `text` percent-encoded (see [`encode_into`]).
#[cfg(test)]
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    encode_into(&mut out, text);
    out
}

/// Decodes `%XX` escapes (a `%` not followed by two hex digits stays as it is) and reads the
/// bytes as UTF-8, replacing invalid sequences with U+FFFD, as Python's `unquote` does.
/// `+` is left alone. This is how the signer reads paths and queries, so a server that
/// decodes with it sees what was signed.
///
/// ```
/// assert_eq!(csms_core::percent_decode("a%20b%2F%C3%BC+"), "a b/ü+");
/// ```
pub fn percent_decode(text: &str) -> String {
    let b = text.as_bytes();
    if !b.contains(&b'%') {
        return text.to_owned();
    }
    let mut bytes = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let (Some(h), Some(l)) = (hex_value(b.get(i + 1)), hex_value(b.get(i + 2))) {
                bytes.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        bytes.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn hex_value(c: Option<&u8>) -> Option<u8> {
    match *c? {
        c @ b'0'..=b'9' => Some(c - b'0'),
        c @ b'a'..=b'f' => Some(c - b'a' + 10),
        c @ b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_and_unicode() {
        assert_eq!(encode("k y/ü~+"), "k%20y%2F%C3%BC~%2B");
        assert_eq!(encode("*'!()"), "%2A%27%21%28%29");
    }

    #[test]
    fn runs_are_encoded_as_byte_by_byte() {
        let one_by_one = |text: &str, keep: u8| {
            let mut out = String::new();
            for &b in text.as_bytes() {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || b == keep {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        };
        for text in ["", "/", "a", "ü", "üa/", "a/ü/", "//x y//", "中文/€~", "/v1/p/secrets/db-password", "é%/"]
        {
            let mut kept = String::new();
            encode_keeping(&mut kept, text, |b| b == b'/');
            assert_eq!(kept, one_by_one(text, b'/'), "{text:?}");
            assert_eq!(encode(text), one_by_one(text, 0), "{text:?}");
        }
    }

    #[test]
    fn decodes_like_unquote() {
        assert_eq!(percent_decode("a%20b%2F%C3%BC+"), "a b/ü+");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }
}

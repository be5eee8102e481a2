//! A JSON value as a tree borrowing its strings ([`Node`]), for the [`DecodeSink`](super::DecodeSink)
//! walk: a body read straight from its text ([`read_object`]) makes no `String` per key and
//! per value, and no map, as a `Value` does; the walk is the same over a `Value`'s strings
//! ([`Node::of`]). Only the bindings that decode into a sink (not the WebAssembly build) use it.

use crate::util::slice;
use serde_json::{Map, Number, Value};

/// A JSON value whose strings are borrowed (from the body's text, or from a `Value`). An
/// object's members are as a `Value`'s map has them: sorted by key, the last of duplicate
/// keys kept.
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(&'a str),
    Array(Vec<Node<'a>>),
    Object(Vec<(&'a str, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// `value`, its strings borrowed.
    pub(crate) fn of(value: &'a Value) -> Node<'a> {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.clone()),
            Value::String(s) => Node::String(s),
            Value::Array(items) => Node::Array(items.iter().map(Node::of).collect()),
            Value::Object(members) => Node::Object(members.iter().map(|(k, v)| (k.as_str(), Node::of(v))).collect()),
        }
    }

    /// The `Value` this node is (its strings copied).
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String((*s).to_owned()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(members) => {
                Value::Object(members.iter().map(|(k, v)| ((*k).to_owned(), v.to_value())).collect::<Map<_, _>>())
            }
        }
    }
}

/// The members of the JSON object `bytes` holds, read in place, when the text keeps to what
/// this reader reads: no escape in a string, integers only (`-0`, a fraction, an exponent or
/// an integer beyond `u64`/`i64` are not read here), at most [`DEPTH`] nested arrays or objects.
/// `None` for any other text, valid or not (the caller then reads it with
/// [`crate::json::parse`], which gives the same value for any text read here, and the error
/// for a text that is not JSON).
pub(crate) fn read_object(bytes: &[u8]) -> Option<Vec<(&str, Node<'_>)>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut reader = Reader { text, bytes, at: 0, depth: DEPTH };
    reader.space();
    if reader.next()? != b'{' {
        return None;
    }
    let members = reader.object()?;
    reader.space();
    (reader.at == bytes.len()).then_some(members)
}

/// The nesting [`read_object`] reads (below the 128 at which [`crate::json::parse`] fails).
const DEPTH: u32 = 100;

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    fn space(&mut self) {
        // (Most often none: a byte above the space is not one, with one comparison.)
        while let Some(&b) = self.bytes.get(self.at) {
            if b > b' ' || !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return;
            }
            self.at += 1;
        }
    }

    /// The next byte, read.
    fn next(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    /// After whitespace: `,` (`true`) or `close` (`false`).
    fn more(&mut self, close: u8) -> Option<bool> {
        self.space();
        match self.next()? {
            b',' => Some(true),
            b if b == close => Some(false),
            _ => None,
        }
    }

    fn value(&mut self) -> Option<Node<'a>> {
        self.space();
        match self.next()? {
            b'"' => self.string().map(Node::String),
            b @ (b'[' | b'{') => {
                self.depth = self.depth.checked_sub(1).filter(|d| *d > 0)?;
                let node = if b == b'[' { self.array().map(Node::Array) } else { self.object().map(Node::Object) };
                self.depth += 1;
                node
            }
            b't' => self.word(b"rue", Node::Bool(true)),
            b'f' => self.word(b"alse", Node::Bool(false)),
            b'n' => self.word(b"ull", Node::Null),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    fn word(&mut self, rest: &[u8], node: Node<'a>) -> Option<Node<'a>> {
        self.bytes[self.at..].starts_with(rest).then(|| {
            self.at += rest.len();
            node
        })
    }

    /// After `[`.
    fn array(&mut self) -> Option<Vec<Node<'a>>> {
        let mut items = Vec::with_capacity(4);
        self.space();
        if self.bytes.get(self.at) == Some(&b']') {
            self.at += 1;
            return Some(items);
        }
        loop {
            items.push(self.value()?);
            if !self.more(b']')? {
                return Some(items);
            }
        }
    }

    /// After `{`: the members sorted by key, the last of duplicate keys kept, as in a `Value`.
    fn object(&mut self) -> Option<Vec<(&'a str, Node<'a>)>> {
        let mut members = Vec::with_capacity(8);
        self.space();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Some(members);
        }
        loop {
            self.space();
            if self.next()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.space();
            if self.next()? != b':' {
                return None;
            }
            members.push((key, self.value()?));
            if !self.more(b'}')? {
                break;
            }
        }
        if members.windows(2).all(|pair| pair[0].0 < pair[1].0) {
            // In order already, no key twice (as serde_json writes an object).
            return Some(members);
        }
        // A stable sort: duplicates stay in text order, and each later one's value goes to
        // the one kept.
        members.sort_by(|a, b| a.0.cmp(b.0));
        members.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
        Some(members)
    }

    /// A string without escapes, after its `"`; reads its closing `"`.
    fn string(&mut self) -> Option<&'a str> {
        let (bytes, start) = (self.bytes, self.at);
        let mut end = start;
        // Eight bytes at a time up to the eight holding the end (a quote, a backslash or a
        // control byte), which the word's lowest mark places; one at a time in the last few.
        loop {
            let Some(&chunk) = bytes.get(end..end + 8).and_then(|b| <&[u8; 8]>::try_from(b).ok()) else {
                end += bytes[end..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
                break;
            };
            let marks = ends(u64::from_le_bytes(chunk));
            if marks != 0 {
                end += (marks.trailing_zeros() / 8) as usize;
                break;
            }
            end += 8;
        }
        if bytes[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        Some(slice(self.text, start, end))
    }

    /// An integer, after its first byte (`-` or a digit), as serde_json reads it: `u64` when
    /// not negative, else `i64`.
    fn integer(&mut self) -> Option<Node<'a>> {
        let start = self.at - 1;
        let negative = self.bytes[start] == b'-';
        let digits = start + usize::from(negative);
        // The value made as the digits are read (no second pass to parse them); beyond `u64`
        // not read here.
        let (mut end, mut n) = (digits, 0u64);
        while let Some(&digit @ b'0'..=b'9') = self.bytes.get(end) {
            n = n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))?;
            end += 1;
        }
        if end == digits || (end - digits > 1 && self.bytes[digits] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(end) {
            return None;
        }
        self.at = end;
        if !negative {
            return Some(Node::Number(n.into()));
        }
        // `-0` is the float -0.0 in serde_json; below `i64::MIN` a float.
        let n = i64::try_from(-i128::from(n)).ok().filter(|n| *n != 0)?;
        Some(Node::Number(n.into()))
    }
}

/// The high bit of each of the eight bytes of `word` (little-endian: the first in memory is
/// the lowest) that is a quote, a backslash or below 0x20 (a byte above 0x7f, of a UTF-8
/// sequence, never is), exact up to the first such byte (the lowest mark); zero when none is.
fn ends(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is below `n` (at most 0x80): the high bit of `(x - n) & !x`, exact for
    // every byte up to the first that is below (a borrow only ever runs up from a byte that
    // is below, to the bytes after it).
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    below(word, 0x20) | below(word ^ (ONES * u64::from(b'"')), 1) | below(word ^ (ONES * u64::from(b'\\')), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ends` finds the byte a look at each byte finds first, for words of every kind of byte in every
    /// place (plain ones, quotes, backslashes, control bytes, UTF-8's high bytes).
    #[test]
    fn ends_marks_the_first_quote_backslash_or_control_byte_anywhere_in_a_word() {
        let kinds = [b'a', b'~', b' ', b'"', b'\\', 0x1f, 0x00, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            let mut word = [0u8; 8];
            for b in &mut word {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = kinds[(state % kinds.len() as u64) as usize];
            }
            let first = word.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            let marks = ends(u64::from_le_bytes(word));
            let found = (marks != 0).then(|| (marks.trailing_zeros() / 8) as usize);
            assert_eq!(found, first, "{word:?}");
        }
    }

    #[test]
    fn reads_strings_of_any_length_up_to_their_quote() {
        for len in 0..40 {
            let plain: String = "abcdefghij_é~".chars().cycle().take(len).collect();
            let text = format!(r#"{{"k":"{plain}","m":"{plain}\n"}}"#);
            assert!(read_object(text.as_bytes()).is_none(), "an escape: not read here");
            let text = format!(r#"{{"k":"{plain}"}}"#);
            let members = read_object(text.as_bytes()).unwrap();
            assert!(matches!(members[..], [("k", Node::String(s))] if s == plain), "{len}");
        }
    }
}

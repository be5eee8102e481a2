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
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
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
        let start = self.at;
        let len = self.bytes[start..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        let end = start + len;
        if self.bytes[end] != b'"' {
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
        let mut end = self.at;
        while let Some(b'0'..=b'9') = self.bytes.get(end) {
            end += 1;
        }
        let int = slice(self.text, digits, end);
        if int.is_empty() || (int.len() > 1 && int.starts_with('0')) {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(end) {
            return None;
        }
        self.at = end;
        let n: u64 = int.parse().ok()?;
        if !negative {
            return Some(Node::Number(n.into()));
        }
        // `-0` is the float -0.0 in serde_json; below `i64::MIN` a float.
        let n = i64::try_from(-i128::from(n)).ok().filter(|n| *n != 0)?;
        Some(Node::Number(n.into()))
    }
}

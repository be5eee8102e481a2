//! The operation table: one static entry per CSMS operation, generated from
//! `spec/csms.json` together with the typed inputs and outputs.
//!
//! Everything that differs between operations is data here; building a request
//! ([`crate::Client::build_request`]) and parsing a response ([`crate::parse_response`]) are
//! the same code for all of them.

/// A doc text of the table: kept with the `docs` feature (on by default), empty without it,
/// for builds where size counts and nothing reads them (the npm package's WebAssembly).
#[cfg(feature = "docs")]
macro_rules! table_doc {
    ($text:literal) => {
        $text
    };
}
#[cfg(not(feature = "docs"))]
macro_rules! table_doc {
    ($text:literal) => {
        ""
    };
}

mod decode;
pub(crate) mod node;
pub use decode::DecodeSink;
#[rustfmt::skip]
mod generated;

pub use generated::*;

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// A typed operation input: each `*Request` struct implements it.
///
/// ```
/// use csms_core::{Operation, UpdateSecretRequest};
/// assert_eq!(UpdateSecretRequest::SPEC.method, "PUT");
/// ```
pub trait Operation: Serialize {
    /// The typed result of the operation.
    type Output: DeserializeOwned + Serialize;
    /// The operation's table entry.
    const SPEC: &'static OperationSpec;
}

/// One operation: how its input becomes a request and what its response holds.
#[derive(Debug)]
pub struct OperationSpec {
    /// The official operation name, such as `UpdateSecret`.
    pub name: &'static str,
    /// What the operation does (empty without the `docs` feature).
    pub doc: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Path template; `{project_id}` comes from the configuration, other `{names}` from members.
    pub path: &'static str,
    /// The `Content-Type` sent, as the official SDK sends it.
    pub content_type: &'static str,
    /// Whether a JSON body is sent (`{}` when no body member is set).
    pub has_body: bool,
    /// Whether resending after an uncertain failure cannot apply the change twice.
    pub idempotent: bool,
    /// Input members: path, query and body together.
    pub members: &'static [Member],
    /// Groups of members of which exactly one must be set.
    pub one_of: &'static [&'static [&'static str]],
    /// A member name whose object, when a response is `{name: {...}}`, is the result
    /// (an older response shape).
    pub unwrap: Option<&'static str>,
    /// How to page through results, for List operations.
    pub pagination: Option<Pagination>,
    /// The result: the top-level fields of a successful response body (all optional; a
    /// response is decoded against it by [`OperationSpec::decode`]).
    pub output: &'static Model,
}

impl OperationSpec {
    /// The member called `name`.
    pub fn member(&self, name: &str) -> Option<&'static Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// Reads a response body as the operation's result and returns it holding only the
    /// known fields, exactly as the typed output would serialize it (`null` and absent
    /// fields left out, numbers of `number` fields as floats). A field of an unexpected
    /// type is coerced where the official SDK coerces it (`"123"` for an integer, `123` for
    /// a string) and otherwise left out, so that it never loses the rest of the result. The
    /// error, for a body that is not an object, names no value.
    ///
    /// ```
    /// use serde_json::json;
    /// let op = csms_core::operation("UpdateSecret").unwrap();
    /// let out = op.decode(json!({"secret": {"name": "db", "extra": 1}, "other": null})).unwrap();
    /// assert_eq!(out, json!({"secret": {"name": "db"}}));
    /// let out = op.decode(json!({"secret": {"name": 5, "create_time": "17", "state": [1]}})).unwrap();
    /// assert_eq!(out, json!({"secret": {"name": "5", "create_time": 17}}));
    /// let err = op.decode(json!(["db"])).unwrap_err();
    /// assert_eq!(err, "at `.`: expected an object (UpdateSecretResponse), found a list");
    /// ```
    pub fn decode(&self, body: Value) -> std::result::Result<Value, String> {
        decode::decode_output(self.output, body)
    }

    /// [`OperationSpec::decode`] given to `sink` as it is walked (see [`DecodeSink`]) rather
    /// than made: the same result, with no second tree; the same error.
    pub fn decode_into(&self, body: &Value, sink: &mut impl DecodeSink) -> std::result::Result<(), String> {
        decode::decode_output_into(self.output, body, sink)
    }

    /// [`OperationSpec::decode_into`] of an object body's members, read as [`node::Node`]s.
    pub(crate) fn decode_members_into(&self, members: Vec<(&str, node::Node<'_>)>, sink: &mut impl DecodeSink) {
        decode::decode_members_into(self.output, members, sink)
    }
}

/// One input member, or one field of a model.
#[derive(Debug)]
pub struct Member {
    /// Wire name.
    pub name: &'static str,
    /// Where it is sent.
    pub location: Location,
    /// Its type.
    pub ty: &'static Type,
    /// Whether it must be set.
    pub required: bool,
    /// Whether it holds a secret value (redacted, zeroized).
    pub sensitive: bool,
    /// Documented constraints (shared, most members having none).
    pub rules: &'static Rules,
    /// What it is (empty without the `docs` feature).
    pub doc: &'static str,
}

/// Where a member is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// In the path, percent-encoded.
    Path,
    /// In the query string.
    Query,
    /// In the JSON body.
    Body,
    /// In the query string and in the JSON body (UpdateGrant's `resource_id`).
    QueryAndBody,
}

impl Location {
    /// Whether the member goes in the query string.
    pub fn in_query(self) -> bool {
        matches!(self, Location::Query | Location::QueryAndBody)
    }

    /// Whether the member goes in the body.
    pub fn in_body(self) -> bool {
        matches!(self, Location::Body | Location::QueryAndBody)
    }
}

/// A member's type.
#[derive(Debug)]
pub enum Type {
    /// Text.
    String,
    /// A 64-bit integer.
    Integer,
    /// A floating-point number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A `YYYY-MM-DD` date, as text.
    Date,
    /// Any JSON value, passed through.
    Any,
    /// A list of values of one type.
    List(&'static Type),
    /// An object with the fields of a model.
    Model(&'static Model),
}

/// A named object type.
#[derive(Debug)]
pub struct Model {
    /// Its name, such as `TagItem`.
    pub name: &'static str,
    /// Its fields.
    pub fields: &'static [Member],
}

/// Documented constraints of a member. Absent rules are `None` or empty.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Length in characters, inclusive bounds.
    pub len: Option<(u32, u32)>,
    /// Maximum length of the UTF-8 encoding in bytes.
    pub max_bytes: Option<u32>,
    /// A character class (`a-zA-Z0-9_-`) every character must belong to.
    pub charset: Option<&'static str>,
    /// The allowed values.
    pub allowed: &'static [&'static str],
    /// Inclusive integer bounds.
    pub range: Option<(i64, i64)>,
    /// Inclusive bounds on the number of list items.
    pub items: Option<(u32, u32)>,
    /// A textual format.
    pub format: Option<Format>,
    /// At least one character that is not a space.
    pub not_blank: bool,
}

impl Rules {
    /// No constraint.
    pub const NONE: Rules = Rules {
        len: None,
        max_bytes: None,
        charset: None,
        allowed: &[],
        range: None,
        items: None,
        format: None,
        not_blank: false,
    };
}

/// Textual formats checked by validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `<integer><d|h|m|s>`, between 6 hours and 8,760 hours.
    RotationPeriod,
    /// Standard base64 with padding.
    Base64,
    /// `YYYY-MM-DD`.
    Date,
}

/// How a List operation pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pagination {
    /// The response gives a marker (at the dotted path `next`) to pass as `marker` next time.
    Marker {
        /// Input member that takes the marker.
        marker: &'static str,
        /// Input member that takes the page size.
        limit: &'static str,
        /// Dotted path of the next marker in the result, such as `page_info.next_marker`.
        next: &'static str,
    },
    /// Pages are addressed by an offset; the response gives the total.
    Offset {
        /// Input member that takes the offset.
        offset: &'static str,
        /// Input member that takes the page size.
        limit: &'static str,
        /// Dotted path of the total count in the result.
        total: &'static str,
        /// Dotted path of the list of items in the result.
        items: &'static str,
    },
}

/// Checks a JSON value against the typed output `T`, keeping only the fields `T` knows: what
/// the table-driven [`OperationSpec::decode`] must agree with (the tests compare them).
#[cfg(test)]
pub(crate) fn decode_as<T: DeserializeOwned + Serialize>(value: Value) -> std::result::Result<Value, String> {
    let typed: T = serde_path_to_error::deserialize(value).map_err(|e| format!("at `{}`: {}", e.path(), e.inner()))?;
    serde_json::to_value(typed).map_err(|e| e.to_string())
}

/// The names of every operation, sorted.
pub fn operation_names() -> impl Iterator<Item = &'static str> {
    OPERATIONS.iter().map(|op| op.name)
}

/// The table entry of the operation called `name` (the official PascalCase name).
///
/// A wrong name gives a validation error on `operation` that lists the close names.
///
/// ```
/// let op = csms_core::operation("RotateSecret").unwrap();
/// assert_eq!(op.path, "/v1/{project_id}/secrets/{secret_name}/rotate");
/// let err = csms_core::operation("RotateSecrets").unwrap_err();
/// assert!(err.to_string().contains("RotateSecret"));
/// ```
pub fn operation(name: &str) -> Result<&'static OperationSpec> {
    if let Ok(i) = OPERATIONS.binary_search_by(|op| op.name.cmp(name)) {
        return Ok(OPERATIONS[i]);
    }
    let lower = name.to_ascii_lowercase();
    let mut close: Vec<(usize, &str)> = Vec::new();
    for op in OPERATIONS {
        let candidate = op.name.to_ascii_lowercase();
        let d = edit_distance(&lower, &candidate);
        if d <= 3.max(name.len() / 4) || !lower.is_empty() && contains(&candidate, &lower) {
            close.push((d, op.name));
        }
    }
    crate::util::sort(&mut close);
    let hint = if close.is_empty() {
        "operations are named as in the API reference, such as `ShowSecret`".to_owned()
    } else {
        // Written by hand: `join` brings a generic copy routine into the WebAssembly build.
        let mut hint = "did you mean ".to_owned();
        for (i, (_, n)) in close.iter().take(4).enumerate() {
            if i > 0 {
                hint.push_str(", ");
            }
            hint.push('`');
            hint.push_str(n);
            hint.push('`');
        }
        hint.push('?');
        hint
    };
    Err(Error::validation("operation", format!("unknown operation `{name}`; {hint}")))
}

/// Whether `text` contains `part` (a plain scan: names are short, and `str::contains`
/// brings a large searcher into the WebAssembly build).
fn contains(text: &str, part: &str) -> bool {
    text.as_bytes().windows(part.len()).any(|window| window == part.as_bytes())
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

//! An operation's input as validation and building read it: its members, looked up by name.

use crate::error::{Error, Result};
use crate::json::{parse_top, Top};
use crate::secret::zeroize_json;
use serde_json::{Map, Value};

/// An operation's input as a list of members (wire name, value) in the order given, for
/// [`Client::prepare_input`](crate::Client::prepare_input): what a binding that receives
/// inputs as text builds, without the map a `serde_json::Value` object is (its few members
/// are looked up by name a few times each, which a short list does faster than a `BTreeMap`
/// is built, searched and dropped). A name given twice counts once, with its last value, as
/// in a JSON object. Its values are wiped when it is dropped (they may be secret values).
///
/// ```
/// use csms_core::Input;
/// let mut input = Input::parse_json(r#"{"secret_name": "db"}"#, "ShowSecret").unwrap();
/// input.push("secret_name".to_owned(), "db-password".into());
/// assert_eq!(input.get("secret_name"), Some(&"db-password".into()));
/// assert!(Input::parse_json("[1]", "ShowSecret").is_err());
/// ```
#[derive(Default)]
pub struct Input(Vec<(String, Value)>);

impl Input {
    /// No member.
    pub fn new() -> Self {
        Input::default()
    }

    /// The members of the JSON text `text`: an object, or `null` for none. Fails with a
    /// validation error of the field `input` when it is not JSON, or when it is another value
    /// (`operation` names the operation in the message).
    pub fn parse_json(text: &str, operation: &str) -> Result<Input> {
        match parse_top(text).map_err(|e| Error::validation("input", e.to_string()))? {
            Top::Members(list) => Ok(Input(list)),
            Top::Other(Value::Null) => Ok(Input::new()),
            Top::Other(_) => Err(not_an_object(operation)),
        }
    }

    /// Adds the member `name` (replacing, in effect, one given before).
    pub fn push(&mut self, name: String, value: Value) {
        self.0.push((name, value));
    }

    /// The value of the member `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members().get(name)
    }

    pub(crate) fn members(&self) -> Members<'_> {
        Members::List(&self.0)
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        for (_, value) in &mut self.0 {
            zeroize_json(value);
        }
    }
}

/// The members of an input (or of a model inside one), as validation and building read
/// them: a JSON object given by the caller, or an [`Input`].
#[derive(Clone, Copy)]
pub(crate) enum Members<'a> {
    /// An object.
    Map(&'a Map<String, Value>),
    /// The members of an [`Input`], in the order given.
    List(&'a [(String, Value)]),
}

impl<'a> Members<'a> {
    /// The value of the member `name`.
    pub(crate) fn get(self, name: &str) -> Option<&'a Value> {
        match self {
            Members::Map(map) => map.get(name),
            // From the end: the last of a repeated name counts.
            Members::List(list) => list.iter().rev().find(|(key, _)| key == name).map(|(_, value)| value),
        }
    }

    /// The first member name that `known` refuses.
    pub(crate) fn unknown(self, known: impl Fn(&str) -> bool) -> Option<&'a str> {
        match self {
            Members::Map(map) => map.keys().map(String::as_str).find(|key| !known(key)),
            Members::List(list) => list.iter().map(|(key, _)| key.as_str()).find(|key| !known(key)),
        }
    }
}

/// The members of `input`, a JSON object or `null` (none).
pub(crate) fn members_of<'a>(input: &'a Value, operation: &str) -> Result<Members<'a>> {
    match input {
        Value::Object(map) => Ok(Members::Map(map)),
        Value::Null => Ok(Members::List(&[])),
        _ => Err(not_an_object(operation)),
    }
}

fn not_an_object(operation: &str) -> Error {
    Error::validation("input", format!("the input of `{operation}` must be an object of members"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(error: Error) -> String {
        match error {
            Error::Validation { field, reason } => format!("{field}: {reason}"),
            other => panic!("not a validation error: {other}"),
        }
    }

    #[test]
    fn reads_the_members_of_an_object_the_last_of_a_name_counting() {
        let input = Input::parse_json(r#" {"a": 1, "b": {"c": [true]}, "a": "two"} "#, "Op").unwrap();
        assert_eq!(input.get("a"), Some(&json!("two")));
        assert_eq!(input.get("b"), Some(&json!({"c": [true]})));
        assert_eq!(input.get("c"), None);
        assert_eq!(input.members().unknown(|name| name != "b"), Some("b"));
        assert_eq!(input.members().unknown(|_| true), None);
    }

    #[test]
    fn null_is_no_member_and_other_values_or_text_are_refused() {
        assert_eq!(Input::parse_json(" null ", "Op").unwrap().get("a"), None);
        assert_eq!(
            field(Input::parse_json("[]", "Op").err().unwrap()),
            "input: the input of `Op` must be an object of members"
        );
        assert_eq!(field(Input::parse_json(r#"{"a": 1"#, "Op").err().unwrap()), "input: expected `,` or `}` at byte 7");
        assert_eq!(
            field(Input::parse_json(r#"{"a": 1} x"#, "Op").err().unwrap()),
            "input: trailing characters at byte 9"
        );
        assert_eq!(field(Input::parse_json("", "Op").err().unwrap()), "input: unexpected end of input at byte 0");
    }

    #[test]
    fn an_object_and_a_list_of_the_same_members_answer_alike() {
        let object = json!({"x": 1, "y": null});
        let list = [("x".to_owned(), json!(1)), ("y".to_owned(), Value::Null)];
        for members in [members_of(&object, "Op").unwrap(), Members::List(&list)] {
            assert_eq!(members.get("x"), Some(&json!(1)));
            assert_eq!(members.get("y"), Some(&Value::Null));
            assert_eq!(members.unknown(|name| name == "x"), Some("y"));
        }
        assert!(members_of(&json!("text"), "Op").is_err());
        assert_eq!(members_of(&Value::Null, "Op").unwrap().unknown(|_| false), None);
    }
}

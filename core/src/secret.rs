//! A string that holds a secret: redacted in `Debug`, zeroized when dropped.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A secret text: a secret key, a token, a secret value or a password.
///
/// `Debug` prints `"***"`; the memory is overwritten with zeros when the value is dropped.
/// Serde sees it as a plain string, so typed inputs and outputs keep their wire shape.
///
/// ```
/// use csms_core::SecretString;
/// let sk = SecretString::from("my-secret-key");
/// assert_eq!(format!("{sk:?}"), "\"***\"");
/// assert_eq!(sk.expose(), "my-secret-key");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(value.into())
    }

    /// The secret itself. Use it where it must go (a signature, a request body), nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        crate::util::wipe(&mut self.0);
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Redacted.fmt(f)
    }
}

/// What `Debug` shows in place of a secret: `"***"`. Generated types print their sensitive
/// members that are not [`SecretString`]s (such as JSON objects) with it.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        SecretString(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        SecretString(value.to_owned())
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SecretString)
    }
}

/// Overwrites every string inside a JSON value with zeros (then leaves it empty).
///
/// Inputs that held secret values are wiped with it once their request is built.
pub fn zeroize_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => crate::util::wipe(s),
        Value::Array(items) => items.iter_mut().for_each(zeroize_json),
        Value::Object(map) => map.values_mut().for_each(zeroize_json),
        _ => {}
    }
}

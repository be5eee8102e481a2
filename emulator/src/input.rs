//! Turning a request into the flat input the core validates: path members, query members
//! and body members together, under their wire names.

use crate::errors::{codes, ApiError};
use crate::routing::query_pairs;
use csms_core::{Location, OperationSpec, Type};
use serde_json::{Map, Value};

/// Builds the flat input of `op` from the decoded path members, the raw query string and
/// the body. Members in the wrong place, repeated query members and bodies that are not
/// a JSON object are refused here; everything else is left to `csms_core::validate`.
pub(crate) fn build_input(
    op: &OperationSpec,
    path_members: &[(&'static str, String)],
    query: &str,
    body: &[u8],
) -> Result<Map<String, Value>, ApiError> {
    let mut input = Map::new();
    for (name, value) in path_members {
        input.insert((*name).to_owned(), Value::String(value.clone()));
    }

    for (key, text) in query_pairs(query) {
        let member = op.member(&key);
        if let Some(m) = member {
            if !m.location.in_query() {
                return Err(misplaced(op, &key, m.location, "the query string"));
            }
        }
        let value = match member.map(|m| m.ty) {
            Some(Type::Integer) => text.trim().parse::<i64>().map(Value::from).unwrap_or(Value::String(text)),
            Some(Type::Boolean) if text == "true" || text == "false" => Value::Bool(text == "true"),
            _ => Value::String(text),
        };
        match (member.map(|m| m.ty), input.get_mut(&key)) {
            (Some(Type::List(_)), Some(Value::Array(items))) => items.push(value),
            (Some(Type::List(_)), None) => {
                input.insert(key, Value::Array(vec![value]));
            }
            (_, Some(_)) => {
                return Err(ApiError::invalid_field(&key, "is given more than once in the query string"));
            }
            (_, None) => {
                input.insert(key, value);
            }
        }
    }

    if !op.has_body {
        // Body-less operations ignore any body (the Node SDK sends `Content-Length: 0`,
        // some clients send `{}`); it was still covered by the signature.
        return Ok(input);
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::new(
            400,
            codes::BAD_BODY,
            format!(
                "The requested body format is wrong: the body is not UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })?;
    if text.trim().is_empty() {
        return Ok(input);
    }
    let parsed: Value = serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            400,
            codes::BAD_BODY,
            format!("The requested body format is wrong: the body is not valid JSON ({e})"),
        )
    })?;
    let Value::Object(members) = parsed else {
        return Err(ApiError::new(
            400,
            codes::BAD_BODY,
            format!("The requested body format is wrong: the body of {} must be a JSON object", op.name),
        ));
    };
    for (key, value) in members {
        if let Some(m) = op.member(&key) {
            if !m.location.in_body() {
                return Err(misplaced(op, &key, m.location, "the body"));
            }
            if m.location == Location::QueryAndBody {
                if let Some(previous) = input.get(&key) {
                    if *previous != value {
                        return Err(ApiError::invalid_field(&key, "differs between the query string and the body"));
                    }
                }
            }
        }
        input.insert(key, value);
    }
    Ok(input)
}

/// Gives validated members the JSON type their operation declares, so that handlers read
/// one form: the clients send an integer member as a numeric string, and a text member as
/// a number, as the official SDK does, and `csms_core::validate` accepts both.
pub(crate) fn normalise(op: &OperationSpec, input: &mut Map<String, Value>) {
    for (key, value) in input.iter_mut() {
        let Some(member) = op.member(key) else { continue };
        match (member.ty, &*value) {
            (Type::Integer, Value::String(text)) => {
                if let Ok(n) = text.trim().parse::<i64>() {
                    *value = Value::from(n);
                }
            }
            (Type::String | Type::Date, Value::Number(n)) => *value = Value::String(n.to_string()),
            _ => {}
        }
    }
}

fn misplaced(op: &OperationSpec, key: &str, location: Location, found_in: &str) -> ApiError {
    let place = match location {
        Location::Path => "the path",
        Location::Query => "the query string",
        Location::Body => "the body",
        Location::QueryAndBody => "the query string and the body",
    };
    ApiError::invalid_field(key, format!("`{}` takes `{key}` in {place}, not in {found_in}", op.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use csms_core::operation;
    use serde_json::json;

    #[test]
    fn normalise_gives_members_their_declared_type() {
        let op = operation("CreateSecret").unwrap();
        let mut input = build_input(op, &[], "", br#"{"name": 5, "secret_string": "v"}"#).unwrap();
        normalise(op, &mut input);
        assert_eq!(input["name"], json!("5"));
        let op = operation("DeleteSecretForSchedule").unwrap();
        let body = br#"{"recovery_window_in_days": " 7 "}"#;
        let mut input = build_input(op, &[("secret_name", "s".into())], "", body).unwrap();
        normalise(op, &mut input);
        assert_eq!(input["recovery_window_in_days"], json!(7));
    }

    #[test]
    fn merges_path_query_and_body() {
        let op = operation("ListSecretVersions").unwrap();
        let input = build_input(op, &[("secret_name", "s".into())], "limit=5&marker=v2", b"").unwrap();
        assert_eq!(Value::Object(input), json!({"secret_name": "s", "limit": 5, "marker": "v2"}));
        let op = operation("UpdateSecret").unwrap();
        let input = build_input(op, &[("secret_name", "s".into())], "", br#"{"description": "d"}"#).unwrap();
        assert_eq!(Value::Object(input), json!({"secret_name": "s", "description": "d"}));
    }

    #[test]
    fn refuses_misplaced_members_and_bad_bodies() {
        let op = operation("UpdateSecret").unwrap();
        let e = build_input(op, &[("secret_name", "s".into())], "", br#"{"secret_name": "t"}"#).unwrap_err();
        assert!(e.message.contains("secret_name"), "{e:?}");
        let e = build_input(op, &[("secret_name", "s".into())], "", b"{\"description\": ").unwrap_err();
        assert_eq!((e.status, e.code), (400, codes::BAD_BODY));
        let e = build_input(op, &[("secret_name", "s".into())], "", b"[1]").unwrap_err();
        assert_eq!(e.code, codes::BAD_BODY);
        // Not UTF-8: refused, never turned into U+FFFD.
        let e = build_input(op, &[("secret_name", "s".into())], "", b"{\"description\": \"\xff\"}").unwrap_err();
        assert_eq!((e.status, e.code), (400, codes::BAD_BODY));
        assert!(e.message.contains("not UTF-8"), "{e:?}");
        let e = build_input(op, &[("secret_name", "s".into())], "", b"\xfe\xff").unwrap_err();
        assert_eq!(e.code, codes::BAD_BODY);
        let op = operation("ListSecrets").unwrap();
        assert!(build_input(op, &[], "limit=1&limit=2", b"").is_err());
        let op = operation("UpdateGrant").unwrap();
        assert!(build_input(op, &[], "resource_id=a", br#"{"resource_id": "b"}"#).is_err());
        assert!(build_input(op, &[], "resource_id=a", br#"{"resource_id": "a"}"#).is_ok());
    }
}

//! The table-driven response decoder: one function for every operation, walking a JSON
//! body along the output model described in the table.
//!
//! It gives exactly what the typed output (`serde` derive, every field an `Option`) would
//! give after a round trip `Value -> *Response -> Value`, without monomorphizing serde code
//! for each of the 45 results:
//!
//! - unknown fields are dropped; `null` and absent fields are left out;
//! - `string`/`date` fields take strings, `boolean` booleans, `integer` numbers that fit an
//!   `i64` (not `5.0`), `number` any number (written back as a float, `5` becomes `5.0`),
//!   `object` any value, lists lists (a `null` item is refused unless the item type is `object`);
//! - a model takes an object, or (as serde takes a struct) a list with one item per field,
//!   in field order.
//!
//! Errors name the path (``at `secrets[0].name`: expected a string, found a number``) and
//! never the value, which may be a secret.

use super::{Model, Type};
use crate::validate::describe;
use serde_json::{Map, Number, Value};
use std::fmt;

/// Where in the body a value is, built on the stack and only written out for an error.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("."),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(Path::Root, i) => write!(f, "[{i}]"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Decodes a response body against the output model of an operation.
pub(super) fn decode_output(model: &Model, body: Value) -> Result<Value, String> {
    decode_model(model, body, &Path::Root)
}

fn mismatch(path: &Path<'_>, expected: &str, found: &str) -> String {
    format!("at `{path}`: expected {expected}, found {found}")
}

fn decode_model(model: &Model, value: Value, path: &Path<'_>) -> Result<Value, String> {
    let mut out = Map::new();
    match value {
        Value::Object(object) => {
            // The values taken by field, then decoded in field order (taking the entries
            // apart, rather than removing them one by one, keeps map removal out of the
            // WebAssembly build).
            let mut values: Vec<Option<Value>> = Vec::with_capacity(model.fields.len());
            for _ in model.fields {
                values.push(None);
            }
            for (key, v) in object {
                if let Some(i) = model.fields.iter().position(|f| f.name == key) {
                    values[i] = Some(v).filter(|v| !v.is_null());
                }
            }
            for (field, v) in model.fields.iter().zip(values) {
                if let Some(v) = v {
                    out.insert(field.name.to_owned(), decode_value(field.ty, v, &Path::Field(path, field.name))?);
                }
            }
        }
        // serde's derived structs also read a list holding one item per field, in order.
        Value::Array(items) if items.len() == model.fields.len() => {
            for (i, (field, v)) in model.fields.iter().zip(items).enumerate() {
                if !v.is_null() {
                    out.insert(field.name.to_owned(), decode_value(field.ty, v, &Path::Index(path, i))?);
                }
            }
        }
        other => return Err(mismatch(path, &format!("an object ({})", model.name), describe(&other))),
    }
    Ok(Value::Object(out))
}

fn decode_value(ty: &Type, value: Value, path: &Path<'_>) -> Result<Value, String> {
    let ok = match (ty, &value) {
        (Type::String | Type::Date, Value::String(_)) | (Type::Boolean, Value::Bool(_)) | (Type::Any, _) => true,
        (Type::Integer, Value::Number(n)) if n.is_i64() => true,
        (Type::Integer, Value::Number(n)) => {
            let found =
                if n.is_f64() { "a number with a fraction or an exponent" } else { "an integer beyond 64 bits" };
            return Err(mismatch(path, "an integer", found));
        }
        (Type::Number, Value::Number(n)) => {
            let float = n.as_f64().and_then(Number::from_f64).map_or(Value::Null, Value::Number);
            return Ok(float);
        }
        (Type::List(item), Value::Array(_)) => {
            let Value::Array(items) = value else { unreachable!() };
            // A loop: each `collect` is code of its own where size counts.
            let mut decoded = Vec::with_capacity(items.len());
            for (i, v) in items.into_iter().enumerate() {
                decoded.push(decode_value(item, v, &Path::Index(path, i))?);
            }
            return Ok(Value::Array(decoded));
        }
        (Type::Model(model), _) => return decode_model(model, value, path),
        _ => false,
    };
    if ok {
        return Ok(value);
    }
    let expected = match ty {
        Type::String | Type::Date => "a string",
        Type::Integer => "an integer",
        Type::Number => "a number",
        Type::Boolean => "a boolean",
        _ => "a list",
    };
    Err(mismatch(path, expected, describe(&value)))
}

#[cfg(test)]
mod tests {
    use super::super::{generated::typed_decoder, OPERATIONS};
    use super::*;
    use serde_json::json;

    fn op(name: &str) -> &'static crate::OperationSpec {
        crate::operation(name).unwrap()
    }

    #[test]
    fn keeps_known_fields_and_drops_nulls_and_unknown_ones() {
        let body = json!({
            "secret": {"name": "db", "id": null, "extra": {"a": 1}, "tags": null},
            "unknown": 1
        });
        assert_eq!(op("UpdateSecret").decode(body).unwrap(), json!({"secret": {"name": "db"}}));
        assert_eq!(op("UpdateSecret").decode(json!({})).unwrap(), json!({}));
    }

    #[test]
    fn checks_types_with_a_path() {
        let cases = [
            (json!({"secrets": [{"name": 5}]}), "at `secrets[0].name`: expected a string, found a number"),
            (json!({"page_info": "x"}), "at `page_info`: expected an object (PageInfo), found a string"),
            (json!({"secrets": {}}), "at `secrets`: expected a list, found an object"),
            (json!({"secrets": [{"name": "a"}, null]}), "at `secrets[1]`: expected an object (Secret), found null"),
            (
                json!({"secrets": [{"enterprise_project_id": true}]}),
                "at `secrets[0].enterprise_project_id`: expected a string, found a boolean",
            ),
            (
                json!({"page_info": {"previous_marker": [1]}}),
                "at `page_info.previous_marker`: expected a string, found a list",
            ),
        ];
        for (body, message) in cases {
            assert_eq!(op("ListSecrets").decode(body).unwrap_err(), message);
        }
        assert!(op("ListSecrets")
            .decode(json!([]))
            .unwrap_err()
            .starts_with("at `.`: expected an object (ListSecretsResponse)"));
    }

    #[test]
    fn integers_must_fit_an_i64_and_have_no_fraction() {
        let list = op("ListSecrets");
        assert_eq!(
            list.decode(json!({"page_info": {"current_count": -3}})).unwrap(),
            json!({"page_info": {"current_count": -3}})
        );
        let float = list.decode(json!({"page_info": {"current_count": 5.0}})).unwrap_err();
        assert_eq!(
            float,
            "at `page_info.current_count`: expected an integer, found a number with a fraction or an exponent"
        );
        let big = list.decode(json!({"page_info": {"current_count": u64::MAX}})).unwrap_err();
        assert!(big.ends_with("found an integer beyond 64 bits"), "{big}");
        assert!(list.decode(json!({"page_info": {"current_count": "5"}})).is_err());
    }

    #[test]
    fn a_model_reads_a_list_of_one_item_per_field_as_serde_does() {
        // Stage: name, update_time, secret_name, version_id.
        let body = json!({"stage": ["SYSCURRENT", 7, null, "v1"]});
        let out = op("ShowSecretStage").decode(body.clone()).unwrap();
        assert_eq!(out, json!({"stage": {"name": "SYSCURRENT", "update_time": 7, "version_id": "v1"}}));
        assert_eq!(out, typed_decoder("ShowSecretStage")(body).unwrap());
        let wrong = op("ShowSecretStage").decode(json!({"stage": ["SYSCURRENT", "7", null, "v1"]})).unwrap_err();
        assert_eq!(wrong, "at `stage[1]`: expected an integer, found a string");
        assert!(op("ShowSecretStage").decode(json!({"stage": ["SYSCURRENT"]})).is_err());
    }

    #[test]
    fn number_fields_become_floats_and_object_fields_pass_through() {
        use super::super::{Location, Member, Rules};
        const fn member(name: &'static str, ty: &'static Type) -> Member {
            Member {
                name,
                location: Location::Body,
                ty,
                required: false,
                sensitive: false,
                rules: &Rules::NONE,
                doc: "",
            }
        }
        static MODEL: Model =
            Model { name: "M", fields: &[member("n", &Type::Number), member("o", &Type::List(&Type::Any))] };
        let model = &MODEL;
        let out = decode_output(model, json!({"n": 5, "o": [null, {"a": [1]}]})).unwrap();
        assert_eq!(out.to_string(), r#"{"n":5.0,"o":[null,{"a":[1]}]}"#);
        assert!(decode_output(model, json!({"n": "5"})).is_err());
    }

    mod rng {
        include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/rng.rs"));
    }
    use rng::Rng;

    /// Any JSON value, small.
    fn any(rng: &mut Rng, depth: u32) -> Value {
        match rng.below(if depth > 2 { 8 } else { 10 }) {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => json!(rng.next() as i64 >> rng.below(64)),
            3 => json!(rng.next()),
            4 => json!((rng.below(2000) as f64 - 1000.0) / 8.0),
            5 => json!(rng.below(100) as f64),
            6 | 7 => json!(format!("s{}", rng.below(100))),
            8 => Value::Array((0..rng.below(3)).map(|_| any(rng, depth + 1)).collect()),
            _ => Value::Object((0..rng.below(3)).map(|i| (format!("k{i}"), any(rng, depth + 1))).collect()),
        }
    }

    /// A value of type `ty`, mostly well formed, sometimes not.
    fn shaped(rng: &mut Rng, ty: &Type, depth: u32) -> Value {
        if rng.below(12) == 0 || depth > 5 {
            return any(rng, depth);
        }
        match ty {
            Type::String | Type::Date => json!(format!("v{}", rng.below(1000))),
            Type::Integer => match rng.below(4) {
                0 => json!(-(rng.below(1000) as i64)),
                _ => json!(rng.below(1_000_000)),
            },
            Type::Number => json!(rng.below(1000)),
            Type::Boolean => Value::Bool(rng.below(2) == 0),
            Type::Any => any(rng, depth),
            Type::List(item) => Value::Array((0..rng.below(4)).map(|_| shaped(rng, item, depth + 1)).collect()),
            Type::Model(model) => object_of(rng, model, depth + 1),
        }
    }

    fn object_of(rng: &mut Rng, model: &Model, depth: u32) -> Value {
        if rng.below(40) == 0 {
            // The list form serde also reads.
            return Value::Array(model.fields.iter().map(|f| shaped(rng, f.ty, depth)).collect());
        }
        let mut object = Map::new();
        for field in model.fields {
            match rng.below(6) {
                0 => {}
                1 => {
                    object.insert(field.name.to_owned(), Value::Null);
                }
                _ => {
                    object.insert(field.name.to_owned(), shaped(rng, field.ty, depth));
                }
            }
        }
        if rng.below(3) == 0 {
            object.insert(format!("unknown_{}", rng.below(5)), any(rng, depth));
        }
        Value::Object(object)
    }

    /// For every operation and thousands of bodies, the table decoder gives what serde's
    /// typed round trip gives: the same value, or an error for the same bodies.
    #[test]
    fn agrees_with_the_typed_outputs() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut ok, mut err) = (0, 0);
        for op in OPERATIONS {
            let typed = typed_decoder(op.name);
            for _ in 0..400 {
                let body = object_of(&mut rng, op.output, 0);
                match (op.decode(body.clone()), typed(body.clone())) {
                    (Ok(a), Ok(b)) => {
                        assert_eq!(a, b, "{} {body}", op.name);
                        ok += 1;
                    }
                    (Err(_), Err(_)) => err += 1,
                    (a, b) => panic!("{}: {body}\ntable: {a:?}\ntyped: {b:?}", op.name),
                }
            }
        }
        assert!(ok > 5_000 && err > 2_000, "ok {ok}, err {err}");
    }
}

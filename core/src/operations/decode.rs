//! The table-driven response decoder: one function for every operation, walking a JSON
//! body along the output model described in the table.
//!
//! A field of an unexpected type does not lose the rest of the response: it is coerced where
//! the official Python SDK coerces it and its meaning is not in doubt, and otherwise left out
//! (the typed results then lack it; nothing else is lost):
//!
//! - unknown fields are dropped; `null` and absent fields are left out;
//! - `string`/`date` fields take strings, and numbers and booleans as their JSON text
//!   (`123` → `"123"`, `true` → `"true"`, where the official SDK writes Python's `True`);
//! - `integer` fields take numbers that fit an `i64` with no fraction (`5.0` → `5`) and
//!   strings holding a decimal integer, spaces around allowed (`" 12 "` → `12`); a fraction
//!   or a boolean is left out (the official SDK truncates `12.5` to `12` and reads `true` as `1`);
//! - `number` fields take numbers (written back as floats, `5` becomes `5.0`) and strings
//!   holding one;
//! - `boolean` fields take booleans and the strings `true`/`false` in any letter case (the
//!   official SDK reads every non-empty string, `"false"` too, as true);
//! - `object` fields take any value;
//! - lists take lists, and a single value as a list of one item, as the official SDK does;
//!   items that cannot be read (a `null` where the item type is not `object`) are left out;
//! - a model takes an object, or (as serde takes a struct) a list with one item per field,
//!   in field order; anything else is left out (the official SDK makes an empty model).
//!
//! Only a body that is not an object is an error, which names no value (it may be a secret).

use super::node::Node;
use super::{Member, Model, Type};
use crate::util::parse_i64;
use crate::validate::{as_integer, describe};
use serde_json::{Map, Number, Value};

/// Decodes a response body against the output model of an operation: an error only when
/// the body is not an object.
pub(super) fn decode_output(model: &Model, body: Value) -> Result<Value, String> {
    match body {
        Value::Object(_) => Ok(decode_model(model, body).unwrap_or_default()),
        other => Err(format!("at `.`: expected an object ({}), found {}", model.name, describe(&other))),
    }
}

fn decode_model(model: &Model, value: Value) -> Option<Value> {
    let mut out = Map::new();
    match value {
        Value::Object(object) => {
            // The values taken by field, then decoded in field order (taking the entries
            // apart, rather than removing them one by one, keeps map removal out of the
            // WebAssembly build).
            // Each kept member keeps the key the body gave it (the field's name): no new one.
            let mut values: Vec<Option<(String, Value)>> = Vec::with_capacity(model.fields.len());
            for _ in model.fields {
                values.push(None);
            }
            for (key, v) in object {
                if let Some(i) = model.fields.iter().position(|f| f.name == key) {
                    values[i] = Some((key, v));
                }
            }
            for (field, member) in model.fields.iter().zip(values) {
                if let Some((key, v)) = member {
                    if let Some(v) = decode_value(field.ty, v) {
                        out.insert(key, v);
                    }
                }
            }
        }
        // serde's derived structs also read a list holding one item per field, in order.
        Value::Array(items) if items.len() == model.fields.len() => {
            for (field, v) in model.fields.iter().zip(items) {
                if let Some(v) = decode_value(field.ty, v) {
                    out.insert(field.name.to_owned(), v);
                }
            }
        }
        _ => return None,
    }
    Some(Value::Object(out))
}

/// The value of a field of type `ty`, or `None` to leave the field out.
fn decode_value(ty: &Type, value: Value) -> Option<Value> {
    match (ty, value) {
        (_, Value::Null) => None,
        (Type::Any, v) => Some(v),
        (Type::String | Type::Date, v @ Value::String(_)) => Some(v),
        (Type::String | Type::Date, v @ (Value::Number(_) | Value::Bool(_))) => {
            Some(Value::String(crate::util::json_text(&v)))
        }
        (Type::Boolean, v @ Value::Bool(_)) => Some(v),
        (Type::Boolean, Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        (Type::Integer, v @ Value::Number(_)) => as_integer(&v).map(Value::from),
        (Type::Integer, Value::String(s)) => parse_i64(s.trim()).map(Value::from),
        (Type::Number, Value::Number(n)) => float(&n),
        // Read as the body was read (no other number reader in the WebAssembly build).
        (Type::Number, Value::String(s)) => match crate::json::parse_str(s.trim()).ok()? {
            Value::Number(n) => float(&n),
            _ => None,
        },
        (Type::List(item), Value::Array(items)) => {
            // A loop: each `collect` is code of its own where size counts.
            let mut decoded = Vec::with_capacity(items.len());
            for v in items {
                if matches!(item, Type::Any) {
                    decoded.push(v);
                } else if let Some(v) = decode_value(item, v) {
                    decoded.push(v);
                }
            }
            Some(Value::Array(decoded))
        }
        (Type::List(item), v) => Some(Value::Array(vec![decode_value(item, v)?])),
        (Type::Model(model), v) => decode_model(model, v),
        _ => None,
    }
}

/// Receives a decoded result as [`OperationSpec::decode_into`](super::OperationSpec::decode_into)
/// walks it, in the order its JSON text (`serde_json`'s) has it: what a binding writes in
/// its own form, with no second `Value` tree made and dropped between. A list or an object
/// (a field of type `object` included) comes as its parts: [`DecodeSink::array`] or
/// [`DecodeSink::object`], then each item or member.
pub trait DecodeSink {
    /// A scalar other than a string: `null` (in a field of type `object`), a boolean or a
    /// number.
    fn value(&mut self, value: &Value);
    /// A string.
    fn string(&mut self, value: &str);
    /// The start of a list of `len` items, each given next.
    fn array(&mut self, len: usize);
    /// The start of an object of `len` members, each given next as a [`DecodeSink::key`]
    /// then its value.
    fn object(&mut self, len: usize);
    /// The key of the next member of an object.
    fn key(&mut self, key: &str);
}

/// [`decode_output`] given to `sink` rather than made: the same result, as the same events
/// as walking that result would give.
pub(super) fn decode_output_into(model: &Model, body: &Value, sink: &mut impl DecodeSink) -> Result<(), String> {
    match body {
        Value::Object(_) => {
            // (An object always gives one.)
            emit_model(model, &Node::of(body), sink);
            Ok(())
        }
        other => Err(format!("at `.`: expected an object ({}), found {}", model.name, describe(other))),
    }
}

/// [`decode_output_into`] of an object body's members, read as a [`Node`].
pub(crate) fn decode_members_into(model: &Model, members: Vec<(&str, Node<'_>)>, sink: &mut impl DecodeSink) {
    emit_model(model, &Node::Object(members), sink);
}

/// Whether [`decode_value`] gives a value (rather than `None`) for `value` as a `ty`.
fn keeps(ty: &Type, value: &Node<'_>) -> bool {
    match (ty, value) {
        (_, Node::Null) => false,
        (Type::Any, _) => true,
        (Type::String | Type::Date, Node::String(_) | Node::Number(_) | Node::Bool(_)) => true,
        (Type::Boolean, Node::Bool(_)) => true,
        (Type::Boolean, Node::String(s)) => s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false"),
        (Type::Integer, Node::Number(n)) => as_integer(&Value::Number(n.clone())).is_some(),
        (Type::Integer, Node::String(s)) => parse_i64(s.trim()).is_some(),
        (Type::Number, Node::Number(_) | Node::String(_)) => scalar(ty, value).is_some(),
        (Type::List(_), Node::Array(_)) => true,
        (Type::List(item), v) => keeps(item, v),
        (Type::Model(_), Node::Object(_)) => true,
        (Type::Model(model), Node::Array(items)) => items.len() == model.fields.len(),
        _ => false,
    }
}

/// What [`decode_value`] gives for a kept scalar that is not the value itself (a coerced one).
fn scalar(ty: &Type, value: &Node<'_>) -> Option<Value> {
    decode_value(ty, value.to_value())
}

/// Gives `sink` what [`decode_model`] makes of `value`; false (nothing given) where that is
/// `None`.
fn emit_model(model: &Model, value: &Node<'_>, sink: &mut impl DecodeSink) -> bool {
    // (The first bytes first: most names differ there, and no call to compare them.)
    let field =
        |key: &str| model.fields.iter().find(|f| f.name.as_bytes().first() == key.as_bytes().first() && f.name == key);
    match value {
        Node::Object(object) => {
            // The result is a map sorted by key, as the body's is: its members in the body's order.
            // Each member's field where it is kept, found once for the count that comes first
            // and kept for the walk, for the first `KNOWN` members (a body's objects have
            // fewer); any beyond is looked up again.
            const KNOWN: usize = 32;
            let mut known: [Option<&Member>; KNOWN] = [None; KNOWN];
            let mut kept = 0;
            for (i, (key, v)) in object.iter().enumerate() {
                if let Some(f) = field(key).filter(|f| keeps(f.ty, v)) {
                    kept += 1;
                    if let Some(slot) = known.get_mut(i) {
                        *slot = Some(f);
                    }
                }
            }
            sink.object(kept);
            for (i, (key, v)) in object.iter().enumerate() {
                let f = if i < KNOWN { known[i] } else { field(key).filter(|f| keeps(f.ty, v)) };
                if let Some(f) = f {
                    sink.key(key);
                    emit_value(f.ty, v, sink);
                }
            }
            true
        }
        Node::Array(items) if items.len() == model.fields.len() => {
            // One item per field, in field order: given in the order of the names.
            let mut kept: Vec<(&str, &Type, &Node<'_>)> = Vec::with_capacity(items.len());
            for (f, v) in model.fields.iter().zip(items) {
                if keeps(f.ty, v) {
                    kept.push((f.name, f.ty, v));
                }
            }
            kept.sort_by(|a, b| a.0.cmp(b.0));
            sink.object(kept.len());
            for (name, ty, v) in kept {
                sink.key(name);
                emit_value(ty, v, sink);
            }
            true
        }
        _ => false,
    }
}

/// Gives `sink` what [`decode_value`] makes of `value`, which [`keeps`] keeps.
fn emit_value(ty: &Type, value: &Node<'_>, sink: &mut impl DecodeSink) {
    match (ty, value) {
        (Type::Any, v) => emit_any(v, sink),
        (Type::String | Type::Date, Node::String(s)) => sink.string(s),
        (Type::Boolean, Node::Bool(b)) => sink.value(&Value::Bool(*b)),
        (Type::List(item), Node::Array(items)) => {
            let any = matches!(item, Type::Any);
            sink.array(items.iter().filter(|v| any || keeps(item, v)).count());
            for v in items {
                if any || keeps(item, v) {
                    emit_value(item, v, sink);
                }
            }
        }
        (Type::List(item), v) => {
            sink.array(1);
            emit_value(item, v, sink);
        }
        (Type::Model(model), v) => {
            emit_model(model, v, sink);
        }
        (ty, v) => {
            if let Some(v) = scalar(ty, v) {
                sink.value(&v);
            }
        }
    }
}

/// Gives `sink` `value` as it is (a field of type `object`).
fn emit_any(value: &Node<'_>, sink: &mut impl DecodeSink) {
    match value {
        Node::Null => sink.value(&Value::Null),
        Node::Bool(b) => sink.value(&Value::Bool(*b)),
        Node::Number(n) => sink.value(&Value::Number(n.clone())),
        Node::String(s) => sink.string(s),
        Node::Array(items) => {
            sink.array(items.len());
            items.iter().for_each(|v| emit_any(v, sink));
        }
        Node::Object(members) => {
            sink.object(members.len());
            for (key, v) in members {
                sink.key(key);
                emit_any(v, sink);
            }
        }
    }
}

/// A number as a float, as the typed outputs write `number` fields.
fn float(n: &Number) -> Option<Value> {
    n.as_f64().and_then(Number::from_f64).map(Value::Number)
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
    fn only_a_body_that_is_not_an_object_is_an_error() {
        for body in [json!([]), json!("x"), json!(5), json!(null)] {
            let err = op("ListSecrets").decode(body.clone()).unwrap_err();
            assert!(err.starts_with("at `.`: expected an object (ListSecretsResponse), found"), "{body}: {err}");
        }
    }

    #[test]
    fn a_field_of_another_type_is_coerced_as_the_official_sdk_does_or_left_out() {
        let list = op("ListSecrets");
        let cases = [
            // Strings: numbers and booleans as their JSON text; lists and objects left out.
            (
                json!({"secrets": [{"name": 5, "id": true, "description": 1.5}]}),
                json!({"secrets": [{"name": "5", "id": "true", "description": "1.5"}]}),
            ),
            (
                json!({"secrets": [{"name": [1], "id": {"a": 1}, "state": "ENABLED"}]}),
                json!({"secrets": [{"state": "ENABLED"}]}),
            ),
            // Integers: whole numbers and numeric strings; fractions, booleans and words left out.
            (json!({"page_info": {"current_count": "12"}}), json!({"page_info": {"current_count": 12}})),
            (json!({"page_info": {"current_count": " -3 "}}), json!({"page_info": {"current_count": -3}})),
            (json!({"page_info": {"current_count": 5.0}}), json!({"page_info": {"current_count": 5}})),
            (
                json!({"page_info": {"current_count": 1.7e12}}),
                json!({"page_info": {"current_count": 1_700_000_000_000_i64}}),
            ),
            (
                json!({"page_info": {"current_count": 12.5, "next_marker": "m"}}),
                json!({"page_info": {"next_marker": "m"}}),
            ),
            (json!({"page_info": {"current_count": true}}), json!({"page_info": {}})),
            (json!({"page_info": {"current_count": "12a"}}), json!({"page_info": {}})),
            (json!({"page_info": {"current_count": u64::MAX}}), json!({"page_info": {}})),
            (json!({"page_info": {"current_count": "99999999999999999999"}}), json!({"page_info": {}})),
            // Booleans: the words true and false.
            (json!({"secrets": [{"auto_rotation": "False"}]}), json!({"secrets": [{"auto_rotation": false}]})),
            (json!({"secrets": [{"auto_rotation": "TRUE"}]}), json!({"secrets": [{"auto_rotation": true}]})),
            (json!({"secrets": [{"auto_rotation": "yes"}, {"auto_rotation": 1}]}), json!({"secrets": [{}, {}]})),
            // Lists: a single value is a list of one; unreadable items are left out.
            (json!({"secrets": {"name": "a"}}), json!({"secrets": [{"name": "a"}]})),
            (json!({"secrets": [{"name": "a"}, null, "x", 5]}), json!({"secrets": [{"name": "a"}]})),
            // Models: anything but an object (or serde's list of one item per field) is left out.
            (json!({"page_info": "x", "secrets": []}), json!({"secrets": []})),
            (json!({"page_info": [1]}), json!({})),
        ];
        for (body, want) in cases {
            assert_eq!(list.decode(body.clone()).unwrap(), want, "{body}");
            assert_eq!(typed_round_trip("ListSecrets", body.clone()), want, "{body}");
        }
        let version = op("ShowSecretVersion");
        let body = json!({"version": {"secret_string": "s3cr3t", "version_metadata": {"create_time": "1700000000000", "version_stages": "SYSCURRENT", "expire_time": "never"}}});
        let want = json!({"version": {"secret_string": "s3cr3t", "version_metadata": {"create_time": 1_700_000_000_000_i64, "version_stages": ["SYSCURRENT"]}}});
        assert_eq!(version.decode(body).unwrap(), want);
    }

    #[test]
    fn a_model_reads_a_list_of_one_item_per_field_as_serde_does() {
        // Stage: name, update_time, secret_name, version_id.
        let body = json!({"stage": ["SYSCURRENT", 7, null, "v1"]});
        let out = op("ShowSecretStage").decode(body.clone()).unwrap();
        assert_eq!(out, json!({"stage": {"name": "SYSCURRENT", "update_time": 7, "version_id": "v1"}}));
        assert_eq!(out, typed_decoder("ShowSecretStage")(body).unwrap());
        let coerced = op("ShowSecretStage").decode(json!({"stage": ["SYSCURRENT", "7", null, "v1"]})).unwrap();
        assert_eq!(coerced, out);
        assert_eq!(op("ShowSecretStage").decode(json!({"stage": ["SYSCURRENT"]})).unwrap(), json!({}));
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
        assert_eq!(decode_output(model, json!({"n": " 2.5 "})).unwrap(), json!({"n": 2.5}));
        assert_eq!(decode_output(model, json!({"n": "2.5x"})).unwrap(), json!({}));
        assert_eq!(decode_output(model, json!({"n": true})).unwrap(), json!({}));
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

    /// The events a [`DecodeSink`] is given, as text.
    #[derive(Default)]
    struct Events(Vec<String>);

    impl DecodeSink for Events {
        fn value(&mut self, value: &Value) {
            // A whole list or object as its parts, as a binding writes it.
            if value.is_array() || value.is_object() {
                return walk(value, self);
            }
            // The exact number (`5` and `5.0` differ), not only an equal value.
            self.0.push(format!("value {value} {:?}", value.as_number().map(|n| (n.as_i64(), n.as_f64()))));
        }
        fn string(&mut self, value: &str) {
            self.value(&Value::String(value.to_owned()));
        }
        fn array(&mut self, len: usize) {
            self.0.push(format!("array {len}"));
        }
        fn object(&mut self, len: usize) {
            self.0.push(format!("object {len}"));
        }
        fn key(&mut self, key: &str) {
            self.0.push(format!("key {key}"));
        }
    }

    /// The events of walking `value` as a binding writes a whole result.
    fn walk(value: &Value, sink: &mut Events) {
        match value {
            Value::Array(items) => {
                sink.array(items.len());
                items.iter().for_each(|v| walk(v, sink));
            }
            Value::Object(members) => {
                sink.object(members.len());
                for (k, v) in members {
                    sink.key(k);
                    walk(v, sink);
                }
            }
            v => sink.value(v),
        }
    }

    /// For every operation and thousands of bodies (coerced fields, nulls, unknown fields,
    /// the list form of a model): `decode_into` gives what walking `decode`'s result gives,
    /// in the same order, and the same error for a body that is not an object.
    #[test]
    fn decode_into_gives_the_events_of_the_decoded_result() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut walked = 0;
        for op in OPERATIONS {
            for i in 0..400 {
                let body = if i % 50 == 0 { any(&mut rng, 0) } else { object_of(&mut rng, op.output, 0) };
                let mut into = Events::default();
                let got = op.decode_into(&body, &mut into);
                match op.decode(body.clone()) {
                    Ok(decoded) => {
                        let mut want = Events::default();
                        walk(&decoded, &mut want);
                        assert_eq!((got, into.0), (Ok(()), want.0), "{} {body}", op.name);
                        walked += 1;
                    }
                    Err(e) => assert_eq!((got, into.0.len()), (Err(e), 0), "{} {body}", op.name),
                }
            }
        }
        assert!(walked > 5_000, "{walked}");
    }

    /// Objects of more members than `emit_model` remembers the fields of (known fields after
    /// many unknown ones, nulls among them): the same events as walking `decode`'s result.
    #[test]
    fn decode_into_reads_objects_of_many_members() {
        let mut metadata = serde_json::Map::new();
        let mut body = serde_json::Map::new();
        for i in 0..40 {
            metadata.insert(format!("a{i:02}"), json!(i));
            body.insert(format!("a{i:02}"), json!({"x": i}));
        }
        metadata.insert("id".into(), json!("v1"));
        metadata.insert("expire_time".into(), Value::Null);
        metadata.insert("version_stages".into(), json!(["SYSCURRENT", null]));
        metadata.insert("create_time".into(), json!("1700000000000"));
        body.insert("version".into(), json!({"version_metadata": metadata, "secret_string": "s"}));
        let (op, body) = (op("ShowSecretVersion"), Value::Object(body));
        let mut into = Events::default();
        op.decode_into(&body, &mut into).unwrap();
        let mut want = Events::default();
        walk(&op.decode(body.clone()).unwrap(), &mut want);
        assert_eq!(into.0, want.0);
        assert!(want.0.contains(&"key create_time".to_owned()), "{:?}", want.0);
    }

    /// `value` as JSON text in many ways one reads to the same value: whitespace between
    /// tokens, members in any order, duplicate keys (an earlier value the last one
    /// overrides), escapes, `-0`; now and then a byte dropped or changed (often no longer JSON).
    fn text_of(rng: &mut Rng, value: &Value, out: &mut String) {
        let space = |rng: &mut Rng, out: &mut String| {
            if rng.below(4) == 0 {
                out.push([' ', '\n', '\t', '\r'][rng.below(4)]);
            }
        };
        space(rng, out);
        match value {
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    text_of(rng, v, out);
                }
                space(rng, out);
                out.push(']');
            }
            Value::Object(members) => {
                let mut members: Vec<(&String, &Value)> = members.iter().collect();
                for i in (1..members.len()).rev() {
                    members.swap(i, rng.below(i + 1));
                }
                out.push('{');
                space(rng, out);
                for (i, (k, v)) in members.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if rng.below(8) == 0 {
                        // A duplicate first: the value after it wins.
                        out.push_str(&format!("{}:{},", json!(k), any(rng, 3)));
                    }
                    text_of(rng, &Value::String(k.clone()), out);
                    space(rng, out);
                    out.push(':');
                    text_of(rng, v, out);
                }
                space(rng, out);
                out.push('}');
            }
            Value::String(s) if rng.below(10) == 0 && !s.is_empty() => {
                // An escape: the first character as `\u00XX`.
                let mut chars = s.chars();
                let first = chars.next().unwrap_or('a');
                out.push_str(&format!("\"\\u{:04x}{}\"", first as u32, chars.as_str()));
            }
            Value::Number(n) if n.as_u64() == Some(0) && rng.below(3) == 0 => out.push_str("-0"),
            Value::Number(n) if n.as_i64().is_some() && rng.below(10) == 0 => out.push_str(&format!("{n}.0")),
            v => out.push_str(&v.to_string()),
        }
        space(rng, out);
    }

    /// For every operation and thousands of bodies as text (whitespace, members in any
    /// order, duplicate keys, escapes, the operation's older wrapped shape, broken text):
    /// `parse_response_into`, which reads most bodies in place, gives the events of walking
    /// `parse_response`'s result, or its very error.
    #[test]
    fn parse_response_into_agrees_with_parse_response_on_any_text() {
        let mut rng = Rng(0x5851_f42d_4c95_7f2d);
        let (mut in_place, mut other, mut failed) = (0, 0, 0);
        for op in OPERATIONS {
            for i in 0..300 {
                let mut body = if i % 40 == 0 { any(&mut rng, 0) } else { object_of(&mut rng, op.output, 0) };
                if let (Some(key), 0) = (op.unwrap, rng.below(4)) {
                    // The older shape: the result under `key`, or `key` holding something else.
                    let inner = if rng.below(3) == 0 { any(&mut rng, 1) } else { body };
                    body = json!({ key: inner, "request_id": "r" });
                }
                let mut text = String::new();
                text_of(&mut rng, &body, &mut text);
                let mut bytes = text.into_bytes();
                match rng.below(30) {
                    0 if !bytes.is_empty() => {
                        bytes.remove(rng.below(bytes.len()));
                    }
                    1 if !bytes.is_empty() => {
                        let at = rng.below(bytes.len());
                        bytes[at] = b"{}[]\",:0-e.a \x01\xff"[rng.below(15)];
                    }
                    2 => bytes = b" \n ".to_vec(),
                    _ => {}
                }
                let response = crate::HttpResponse::new(200, vec![], bytes.clone());
                let mut into = Events::default();
                let got = crate::parse_response_into(op, &response, &mut into).map_err(|e| format!("{e:?}"));
                if crate::operations::node::read_object(&bytes).is_some() {
                    in_place += 1;
                } else {
                    other += 1;
                }
                let text = String::from_utf8_lossy(&bytes);
                match crate::parse_response(op, &response) {
                    Ok(result) => {
                        let mut want = Events::default();
                        walk(&result, &mut want);
                        assert_eq!((got, into.0), (Ok(()), want.0), "{} {text}", op.name);
                    }
                    Err(e) => {
                        assert_eq!((got, into.0.len()), (Err(format!("{e:?}")), 0), "{} {text}", op.name);
                        failed += 1;
                    }
                }
            }
        }
        assert!(in_place > 3_000 && other > 3_000 && failed > 500, "{in_place} {other} {failed}");
    }

    /// What the typed output reads from the decoder's result, written back as JSON.
    fn typed_round_trip(name: &str, body: Value) -> Value {
        let decoded = crate::operation(name).unwrap().decode(body).unwrap();
        typed_decoder(name)(decoded).unwrap()
    }

    /// For every operation and thousands of bodies: where serde's typed round trip reads a
    /// body, the table decoder gives the same value; it reads every object body, and what it
    /// gives is always read by the typed output unchanged (so typed results never fail on a
    /// field).
    #[test]
    fn agrees_with_the_typed_outputs() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut same, mut coerced) = (0, 0);
        for op in OPERATIONS {
            let typed = typed_decoder(op.name);
            for _ in 0..400 {
                let body = object_of(&mut rng, op.output, 0);
                let Ok(table) = op.decode(body.clone()) else {
                    assert!(!body.is_object(), "{}: {body}", op.name);
                    continue;
                };
                assert_eq!(typed(table.clone()).as_ref(), Ok(&table), "{} {body}", op.name);
                match typed(body.clone()) {
                    Ok(b) => {
                        assert_eq!(table, b, "{} {body}", op.name);
                        same += 1;
                    }
                    Err(_) => coerced += 1,
                }
            }
        }
        assert!(same > 5_000 && coerced > 2_000, "same {same}, coerced {coerced}");
    }
}

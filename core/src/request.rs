//! Turning an operation's input into an unsigned request: path, query, headers, body.

use crate::config::Config;
use crate::encoding::encode_into;
use crate::error::{Error, Result};
use crate::http::HttpRequest;
use crate::input::Members;
use crate::operations::{OperationSpec, Type};
use crate::signer::canonical::{find_either, join_pairs};
use crate::util::{json_text, slice, write_json};
use crate::validate::{as_integer, check_input};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Validates `input` and builds the request for `op`, without credentials or signature.
pub(crate) fn build_unsigned(config: &Config, op: &OperationSpec, input: Members<'_>) -> Result<HttpRequest> {
    check_input(op, input)?;

    let mut url = String::with_capacity(config.endpoint.len() + op.path.len() + 64);
    url.push_str(&config.endpoint);
    render_path(&mut url, op, config, input)?;
    let query = query_string(op, input);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }

    let mut request = HttpRequest::new(op.method, url);
    request.headers.push(("Content-Type".to_owned(), op.content_type.to_owned()));
    if let Some(agent) = &config.user_agent {
        request.headers.push(("User-Agent".to_owned(), agent.clone()));
    }
    if !config.project_id.is_empty() {
        request.headers.push(("X-Project-Id".to_owned(), config.project_id.clone()));
    }
    if op.has_body {
        request.body = body_json(op, input).into_bytes();
    }
    Ok(request)
}

/// Appends the path with `{project_id}` and path members substituted, each percent-encoded
/// with nothing kept but unreserved characters (so `/` becomes `%2F`).
fn render_path(out: &mut String, op: &OperationSpec, config: &Config, input: Members<'_>) -> Result<()> {
    let mut rest = op.path;
    while let Some(open) = find_either(rest, b'{', b'{') {
        // (`slice`: no panic path for indexing; the braces are ASCII.)
        let close = open + find_either(slice(rest, open, rest.len()), b'}', b'}').expect("path templates are balanced");
        out.push_str(slice(rest, 0, open));
        let name = slice(rest, open + 1, close);
        if name == "project_id" {
            if config.project_id.is_empty() {
                return Err(Error::validation("project_id", format!("`{}` needs a project id", op.name)));
            }
            encode_into(out, &config.project_id);
        } else {
            // An unset path member with one documented value (ListResourceInstances'
            // `resource_instances`) takes that value; validation refused any other.
            let fixed = op.member(name).and_then(|m| match m.rules.allowed {
                [only] => Some(*only),
                _ => None,
            });
            let value = match (input.get(name).filter(|v| !v.is_null()), fixed) {
                (Some(v), _) => scalar_text(v),
                (None, Some(only)) => Cow::Borrowed(only),
                (None, None) => Cow::Borrowed(""),
            };
            if value.is_empty() || value == "." || value == ".." {
                // `.` and `..` would be removed from the path by URL layers, so the request
                // would go elsewhere than where it was signed for.
                return Err(Error::validation(name, "must not be empty, `.` or `..` (it is part of the path)"));
            }
            encode_into(out, &value);
        }
        rest = slice(rest, close + 1, rest.len());
    }
    out.push_str(rest);
    Ok(())
}

/// The query string: set query members as `name=value`, sorted and percent-encoded the way
/// the signature's canonical query is, so the two are the same text.
fn query_string(op: &OperationSpec, input: Members<'_>) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for member in op.members.iter().filter(|m| m.location.in_query()) {
        match input.get(member.name) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                pairs.extend(items.iter().map(|v| (member.name.to_owned(), scalar_text(v).into_owned())))
            }
            Some(v) => pairs.push((member.name.to_owned(), scalar_text(v).into_owned())),
        }
    }
    crate::util::sort(&mut pairs);
    join_pairs(&pairs)
}

/// A scalar as URL text: strings as they are (borrowed), numbers in decimal, booleans
/// `true`/`false`.
fn scalar_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Number(n) => Cow::Owned(as_integer(value).map_or_else(|| n.to_string(), |i| i.to_string())),
        other => Cow::Owned(json_text(other)),
    }
}

/// The JSON body: set body members in table order, compact, UTF-8.
fn body_json(op: &OperationSpec, input: Members<'_>) -> String {
    // Room for a usual body at once (growing from one byte reallocated it several times).
    let mut out = String::with_capacity(256);
    out.push('{');
    for member in op.members.iter().filter(|m| m.location.in_body()) {
        let Some(value) = input.get(member.name).filter(|v| !v.is_null()) else {
            continue;
        };
        if out.len() > 1 {
            out.push(',');
        }
        // Wire names are plain identifiers: nothing to escape.
        out.push('"');
        out.push_str(member.name);
        out.push_str("\":");
        write_json(&mut out, &normalized(member.ty, value));
    }
    out.push('}');
    out
}

/// A value as the official SDK sends it: as given (a number for a text member, a numeric
/// string for an integer member), except that integers that arrived as whole floats (from
/// JavaScript) are written as integers and `null` fields of models are left out.
fn normalized<'a>(ty: &Type, value: &'a Value) -> Cow<'a, Value> {
    match (ty, value) {
        (Type::Integer, Value::Number(n)) if n.as_i64().is_none() => {
            Cow::Owned(as_integer(value).map_or_else(|| value.clone(), Value::from))
        }
        (Type::List(item), Value::Array(items)) => {
            let mut list = Vec::with_capacity(items.len());
            for v in items {
                list.push(normalized(item, v).into_owned());
            }
            Cow::Owned(Value::Array(list))
        }
        (Type::Model(model), Value::Object(map)) => {
            // Inserted one by one: collecting into a map would sort (more code in WebAssembly).
            let mut out = Map::new();
            for (k, v) in map.iter().filter(|(_, v)| !v.is_null()) {
                let ty = model.fields.iter().find(|f| f.name == k).map(|f| f.ty);
                out.insert(k.clone(), ty.map_or_else(|| v.clone(), |t| normalized(t, v).into_owned()));
            }
            Cow::Owned(Value::Object(out))
        }
        _ => Cow::Borrowed(value),
    }
}

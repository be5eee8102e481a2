//! The Rust conformance runner: every vector in `tests/vectors/` and in
//! `$CSMS_EXTRA_VECTORS` (see `tests/vectors/FORMAT.md`). One line per failing vector.

use csms_core::{
    operation, parse_response, verify, AccessKey, Algorithm, Client, ClientOptions, DerivedScope, Error, HttpRequest,
    HttpResponse, Input, SdkDate, Signer,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn vector_files() -> Vec<PathBuf> {
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")];
    if let Some(extra) = std::env::var_os("CSMS_EXTRA_VECTORS").filter(|v| !v.is_empty()) {
        dirs.push(PathBuf::from(extra));
    }
    let mut files = Vec::new();
    for dir in dirs {
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read vectors in {}: {e}", dir.display()));
        let mut found: Vec<PathBuf> =
            entries.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
        found.sort();
        files.extend(found);
    }
    files
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

fn headers_of(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default()
}

fn access_key(credentials: &Value) -> AccessKey {
    let key = AccessKey::new(text(credentials, "ak"), text(credentials, "sk"));
    match credentials["security_token"].as_str() {
        Some(token) => key.with_security_token(token),
        None => key,
    }
}

/// `expected` headers are present in `request` with equal values (Content-Type: media type only).
fn check_headers(request: &HttpRequest, expected: &Value) -> Result<(), String> {
    for (name, want) in headers_of(expected) {
        let got = request.header(&name).ok_or_else(|| format!("header {name} missing"))?;
        let same = if name.eq_ignore_ascii_case("content-type") {
            let media = |s: &str| s.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            media(got) == media(&want)
        } else {
            got == want
        };
        if !same {
            return Err(format!("header {name}: got {got:?}, want {want:?}"));
        }
    }
    Ok(())
}

/// Every key of `expected` is in `actual` with an equal value (objects recursively).
fn is_subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|av| is_subset(v, av))),
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        _ => expected == actual,
    }
}

fn check_error(err: &Error, expected: &Value) -> Result<(), String> {
    if err.kind() != text(expected, "kind") {
        return Err(format!("got {} error ({err}), want {}", err.kind(), text(expected, "kind")));
    }
    let actual = match err {
        Error::Validation { field, .. } => {
            serde_json::json!({"kind": "validation", "field": field})
        }
        Error::Api { status, error_code, error_msg, request_id, .. } => {
            serde_json::json!({"kind": "api", "status": status, "error_code": error_code, "error_msg": error_msg, "request_id": request_id})
        }
        Error::Decode { .. } => serde_json::json!({"kind": "decode"}),
        other => serde_json::json!({"kind": other.kind()}),
    };
    if is_subset(expected, &actual) {
        Ok(())
    } else {
        Err(format!("error {actual} does not match {expected}"))
    }
}

fn run_sign(v: &Value) -> Result<(), String> {
    let algorithm: Algorithm = text(v, "algorithm").parse().map_err(|e: Error| e.to_string())?;
    let scope = v
        .get("derived")
        .map(|d| DerivedScope { region: text(d, "region_id").into(), service: text(d, "service").into() });
    let signer = Signer::new(access_key(&v["credentials"]), algorithm, scope).map_err(|e| e.to_string())?;
    let r = &v["request"];
    let mut request = HttpRequest::new(text(r, "method"), text(r, "url"));
    request.headers = headers_of(&r["headers"]);
    request.body = text(r, "body").as_bytes().to_vec();
    let at = SdkDate::parse(text(v, "at")).map_err(|e| e.to_string())?;
    signer.sign(&mut request, at).map_err(|e| e.to_string())?;
    let got = request.header("Authorization").unwrap_or_default();
    let want = text(&v["expect"], "authorization");
    if !want.is_empty() && got != want {
        return Err(format!("authorization: got {got:?}, want {want:?}"));
    }
    check_headers(&request, &v["expect"]["headers"])
}

fn run_build(v: &Value) -> Result<(), String> {
    let options = ClientOptions::from_json(&v["config"]).map_err(|e| format!("config: {e}"))?;
    let client = Client::new(options.into_config().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let at = SdkDate::parse(text(v, "at")).map_err(|e| e.to_string())?;
    let expect = &v["expect"];
    let result = client.build_request(text(v, "operation"), &v["input"], at);
    same_from_input_text(&client, v, at, &result)?;
    if let Some(expected_error) = expect.get("error") {
        return match result {
            Ok(r) => Err(format!("built {} {} instead of refusing", r.method, r.url)),
            Err(e) => check_error(&e, expected_error),
        };
    }
    let request = result.map_err(|e| format!("refused: {e}"))?;
    if request.method != text(expect, "method") {
        return Err(format!("method: got {}, want {}", request.method, text(expect, "method")));
    }
    if request.url != text(expect, "url") {
        return Err(format!("url: got {}, want {}", request.url, text(expect, "url")));
    }
    check_headers(&request, &expect["headers"])?;
    let body: Value = if request.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&request.body).map_err(|e| format!("body is not JSON: {e}"))?
    };
    if body != expect["body_json"] {
        return Err(format!("body: got {body}, want {}", expect["body_json"]));
    }
    if let Some(credentials) = v["config"]["credentials"].as_object().filter(|c| c.contains_key("sk")) {
        verify(&request, &access_key(&Value::Object(credentials.clone())))
            .map_err(|e| format!("signature does not verify: {e}"))?;
    }
    Ok(())
}

/// The request (or the error) built from the input as JSON text, through [`Input`] (the
/// bindings' path), is the one built from the `Value`.
fn same_from_input_text(
    client: &Client,
    v: &Value,
    at: SdkDate,
    built: &Result<HttpRequest, Error>,
) -> Result<(), String> {
    let Ok(op) = operation(text(v, "operation")) else { return Ok(()) };
    let from_text = Input::parse_json(&v["input"].to_string(), op.name).and_then(|input| {
        let mut request = client.prepare_input(op, &input)?;
        client.authenticate(&mut request, at)?;
        Ok(request)
    });
    let shown = |r: &Result<HttpRequest, Error>| match r {
        Ok(request) => format!("{} {} {:?} {:?}", request.method, request.url, request.headers, request.body),
        Err(e) => format!("{} error: {e}", e.kind()),
    };
    if shown(&from_text) != shown(built) {
        return Err(format!("from the input as text: {}; from the Value: {}", shown(&from_text), shown(built)));
    }
    Ok(())
}

fn run_parse(v: &Value) -> Result<(), String> {
    let op = operation(text(v, "operation")).map_err(|e| e.to_string())?;
    let r = &v["response"];
    let status = r["status"].as_u64().unwrap_or(0) as u16;
    let response = HttpResponse::new(status, headers_of(&r["headers"]), text(r, "body").as_bytes().to_vec());
    let expect = &v["expect"];
    match (parse_response(op, &response), expect.get("error")) {
        (Ok(value), None) => {
            if is_subset(&expect["ok"], &value) {
                Ok(())
            } else {
                Err(format!("result {value} does not contain {}", expect["ok"]))
            }
        }
        (Ok(value), Some(_)) => Err(format!("parsed as {value} instead of failing")),
        (Err(e), Some(expected)) => check_error(&e, expected),
        (Err(e), None) => Err(format!("failed: {e}")),
    }
}

#[test]
fn every_vector_passes() {
    let (mut passed, mut failed) = (0, 0);
    for file in vector_files() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", file.display()));
        for v in doc["vectors"].as_array().unwrap_or_else(|| panic!("{}: no `vectors` list", file.display())) {
            let outcome = match text(v, "kind") {
                "sign" => run_sign(v),
                "build" => run_build(v),
                "parse" => run_parse(v),
                other => Err(format!("unknown kind {other:?}")),
            };
            match outcome {
                Ok(()) => passed += 1,
                Err(why) => {
                    failed += 1;
                    println!("FAIL {} ({}): {why}", text(v, "id"), file.file_name().unwrap().to_string_lossy());
                }
            }
        }
    }
    println!("conformance: {passed} passed, {failed} failed");
    assert!(passed > 0, "no vector found");
    assert_eq!(failed, 0, "{failed} vectors failed");
}

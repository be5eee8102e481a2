//! `parse_response` and `api_error` on any response: any operation, any status, a few
//! headers, a body that is raw bytes or JSON shaped like CSMS documents. Must never panic.
#![no_main]

use arbitrary::Unstructured;
use csms_core::{api_error, parse_response, Error, HttpResponse, OPERATIONS};
use csms_core_fuzz::{json, text};
use libfuzzer_sys::fuzz_target;

const HEADER_NAMES: &[&str] = &["X-Request-Id", "x-request-id", "X-REQUEST-ID", "Content-Type", "Content-Length"];

fn run(u: &mut Unstructured) -> arbitrary::Result<()> {
    let op = OPERATIONS[usize::from(u.arbitrary::<u8>()?) % OPERATIONS.len()];
    let status: u16 = match u.int_in_range(0u8..=3)? {
        0 | 1 => 200 + u.int_in_range(0u16..=99)?,
        2 => *u.choose(&[0u16, 199, 300, 400, 401, 403, 404, 429, 500, 502, 503, 65535])?,
        _ => u.arbitrary()?,
    };
    let mut headers = Vec::new();
    for _ in 0..u.int_in_range(0u8..=3)? {
        let name = if u.ratio(3u8, 4)? { u.choose(HEADER_NAMES)?.to_string() } else { text(u)? };
        headers.push((name, text(u)?));
    }
    let body: Vec<u8> = match u.int_in_range(0u8..=3)? {
        0 => u.arbitrary::<Vec<u8>>()?,
        1 => {
            // A JSON document, possibly cut short or wrapped in whitespace.
            let mut b = serde_json::to_vec(&json(u, 5)?).expect("a Value always serializes");
            if u.ratio(1u8, 8)? {
                let cut = u.int_in_range(0..=b.len())?;
                b.truncate(cut);
            }
            if u.ratio(1u8, 8)? {
                b.splice(0..0, b" \n\t".iter().copied());
            }
            b
        }
        _ => {
            // An object at the top, the shape every successful response has.
            let mut map = serde_json::Map::new();
            for _ in 0..u.int_in_range(0usize..=6)? {
                let k = csms_core_fuzz::key(u)?;
                map.insert(k, json(u, 4)?);
            }
            serde_json::to_vec(&serde_json::Value::Object(map)).expect("a Value always serializes")
        }
    };
    let response = HttpResponse::new(status, headers, body);

    let result = parse_response(op, &response);
    if !(200..300).contains(&status) {
        assert!(matches!(result, Err(Error::Api { status: s, .. }) if s == status), "{}: {result:?}", op.name);
    } else if let Ok(value) = &result {
        assert!(value.is_object(), "{}: a result that is not an object: {value}", op.name);
    }
    let error = api_error(&response);
    assert!(matches!(error, Error::Api { status: s, .. } if s == status), "{error:?}");
    let _ = error.to_string();
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

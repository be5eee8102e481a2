//! The core's JSON reader against serde_json's on any bytes: the same value (numbers of the
//! same kind, floats bit for bit, keys in the same order) or an error from both. Must never
//! panic, however deep or long the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// `a` and `b` are the same value, floats compared by their bits (`-0.0` is not `0.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_u64(), x.as_i64(), x.as_f64().map(f64::to_bits), x.is_f64())
                == (y.as_u64(), y.as_i64(), y.as_f64().map(f64::to_bits), y.is_f64())
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy))
        }
        (x, y) => x == y,
    }
}

fuzz_target!(|data: &[u8]| {
    match (csms_core::json::parse(data), serde_json::from_slice::<Value>(data)) {
        (Ok(ours), Ok(theirs)) => assert!(same(&ours, &theirs), "ours {ours:?}, serde_json's {theirs:?}"),
        (Err(_), Err(_)) => {}
        (ours, theirs) => panic!("ours {ours:?}, serde_json's {theirs:?}"),
    }
});

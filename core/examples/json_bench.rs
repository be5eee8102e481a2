//! The core's JSON reader beside serde_json's, on the `ShowSecretVersion` answer of
//! `bindings-wasm/bench.mjs`: interleaved rounds, the median per call of each.
//!
//! ```sh
//! cargo run --release -p csms-core --example json_bench
//! ```

use csms_core::{operation, parse_response, HttpResponse};
use std::hint::black_box;
use std::time::Instant;

const BODY: &str = r#"{"version":{"version_metadata":{"id":"v3","create_time":1581507580000,"kms_key_id":"b168fe00ff56492495a7d22974df2d0b","secret_name":"db-password","version_stages":["SYSCURRENT"],"expire_time":null},"secret_string":"a value of some thirty characters"}}"#;

/// Nanoseconds per call of `f`, over `n` calls.
fn per_call(n: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    assert_eq!(
        csms_core::json::parse(BODY.as_bytes()).unwrap(),
        serde_json::from_str::<serde_json::Value>(BODY).unwrap()
    );
    let op = operation("ShowSecretVersion").unwrap();
    let response = HttpResponse::new(200, vec![], BODY);
    let (mut ours, mut serde, mut whole) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..31 {
        ours.push(per_call(20_000, || {
            black_box(csms_core::json::parse(black_box(BODY.as_bytes())).unwrap());
        }));
        serde.push(per_call(20_000, || {
            black_box(serde_json::from_slice::<serde_json::Value>(black_box(BODY.as_bytes())).unwrap());
        }));
        whole.push(per_call(20_000, || {
            black_box(parse_response(op, black_box(&response)).unwrap());
        }));
    }
    let (ours, serde, whole) = (median(ours), median(serde), median(whole));
    println!(
        "json::parse {ours:.0} ns, serde_json::from_slice {serde:.0} ns ({:.2}x), parse_response ShowSecretVersion {whole:.0} ns",
        serde / ours
    );
}

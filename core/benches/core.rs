//! Criterion benchmarks: signing with each algorithm, build+sign of UpdateSecret, parsing
//! UpdateSecret's response. Run with `cargo bench -p csms-core --bench core`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use csms_core::{
    AccessKey, Algorithm, Client, Config, DerivedScope, HttpRequest, HttpResponse, SdkDate, Signer, UpdateSecretRequest,
};
use serde_json::json;

const UPDATE_RESPONSE: &str = r#"{"secret":{"id":"bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e","name":"test","state":"ENABLED","kms_key_id":"b168fe00ff56492495a7d22974df2d0b","description":"description","create_time":1581507580000,"update_time":1581507580000,"scheduled_delete_time":1581507580000,"secret_type":"RDS","auto_rotation":true,"rotation_config":"{'RDSInstanceId':'indstance id','SecretSubType':'MultiUser'}","rotation_period":"1d","rotation_time":1668567940000,"next_rotation_time":1668629140000,"event_subscriptions":["pocEvent"]}}"#;

fn request() -> HttpRequest {
    let mut r = HttpRequest::new(
        "PUT",
        "https://kms.cn-north-4.myhuaweicloud.com/v1/0123456789abcdef0123456789abcdef/secrets/test",
    );
    r.headers.push(("Content-Type".into(), "application/json;charset=utf-8".into()));
    r.headers.push(("User-Agent".into(), "csms-sdk-rust/0.1.0".into()));
    r.headers.push(("X-Project-Id".into(), "0123456789abcdef0123456789abcdef".into()));
    r.body = br#"{"description":"update description","event_subscriptions":["pocEvent2"]}"#.to_vec();
    r
}

fn benches(c: &mut Criterion) {
    let at = SdkDate::parse("20240806T000000Z").unwrap();
    let key = AccessKey::new("HPUAEXAMPLEAK0000001", "ExampleSecretKey0000000000000000000000001");
    for algorithm in Algorithm::ALL {
        let scope = Some(DerivedScope { region: "cn-north-4".into(), service: "csms".into() });
        let signer = Signer::new(key.clone(), algorithm, scope).unwrap();
        let template = request();
        c.bench_function(&format!("sign {algorithm}"), |b| {
            b.iter(|| {
                let mut r = template.clone();
                signer.sign(&mut r, at).unwrap();
                black_box(r)
            })
        });
    }

    let config = Config::for_region("cn-north-4", "0123456789abcdef0123456789abcdef", key).unwrap();
    let client = Client::new(config).unwrap();
    let typed = UpdateSecretRequest {
        secret_name: "test".into(),
        description: Some("update description".into()),
        event_subscriptions: Some(vec!["pocEvent2".into()]),
        ..Default::default()
    };
    c.bench_function("build+sign UpdateSecret (typed)", |b| {
        b.iter(|| black_box(client.build(black_box(&typed), at).unwrap()))
    });
    let input =
        json!({"secret_name": "test", "description": "update description", "event_subscriptions": ["pocEvent2"]});
    c.bench_function("build+sign UpdateSecret (by name, JSON)", |b| {
        b.iter(|| black_box(client.build_request("UpdateSecret", black_box(&input), at).unwrap()))
    });

    let response = HttpResponse::new(200, vec![("X-Request-Id".into(), "r".into())], UPDATE_RESPONSE);
    c.bench_function("parse UpdateSecret (typed)", |b| {
        b.iter(|| black_box(client.parse::<UpdateSecretRequest>(black_box(&response)).unwrap()))
    });
    c.bench_function("parse UpdateSecret (by name, JSON)", |b| {
        b.iter(|| black_box(client.parse_response("UpdateSecret", black_box(&response)).unwrap()))
    });
}

criterion_group!(core_benches, benches);
criterion_main!(core_benches);

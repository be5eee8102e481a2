//! `Client::build_request` on any JSON input for any operation, with a range of client
//! configurations (all five algorithms, regions or explicit endpoints, project ids,
//! temporary keys, user agents). Whenever a request is built, `verify` must accept it.
#![no_main]

use arbitrary::Unstructured;
use csms_core::{verify, AccessKey, Algorithm, Client, Config, SdkDate, OPERATIONS, REGIONS};
use csms_core_fuzz::{describe, json, members, sdk_seconds, text, value_for};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const ENDPOINTS: &[&str] =
    &["http://127.0.0.1:8080", "https://kms.example.com", "https://kms.example.com/", " http://[::1]:1 ", "http://h:0"];
const PROJECT_IDS: &[&str] = &["0123456789abcdef0123456789abcdef", "p", ""];

fn config(u: &mut Unstructured) -> arbitrary::Result<Option<(Config, AccessKey)>> {
    let mut key = AccessKey::new("AK", "SK");
    if u.ratio(1u8, 4)? {
        key = key.with_security_token(if u.arbitrary()? { "token-123".to_owned() } else { text(u)? });
    }
    let project_id = if u.ratio(3u8, 4)? { u.choose(PROJECT_IDS)?.to_string() } else { text(u)? };
    let made = match u.int_in_range(0u8..=3)? {
        0 | 1 => Config::for_region(u.choose(&REGIONS)?, project_id, key.clone()),
        2 => Config::for_endpoint(u.choose(ENDPOINTS)?, project_id, key.clone()).and_then(|c| {
            if u.arbitrary().unwrap_or(false) {
                c.with_region("cn-north-4")
            } else {
                Ok(c)
            }
        }),
        _ => Config::for_endpoint(&text(u)?, project_id, key.clone()),
    };
    let Ok(mut config) = made else { return Ok(None) };
    config = config.with_algorithm(*u.choose(&Algorithm::ALL)?);
    match u.int_in_range(0u8..=3)? {
        0 => config.user_agent = None,
        1 => config = config.with_user_agent_suffix(&text(u)?),
        _ => {}
    }
    if u.ratio(1u8, 8)? {
        config.derived_service = u.choose(&["kms", "csms", "dew"])?.to_string();
    }
    Ok(Some((config, key)))
}

fn run(u: &mut Unstructured) -> arbitrary::Result<()> {
    let Some((config, key)) = config(u)? else { return Ok(()) };
    let Ok(client) = Client::new(config) else { return Ok(()) };
    let op = OPERATIONS[usize::from(u.arbitrary::<u8>()?) % OPERATIONS.len()];
    let name = if u.ratio(15u8, 16)? { op.name.to_owned() } else { text(u)? };
    let at = SdkDate::from_unix(sdk_seconds(u)?);
    let input: Value = match u.int_in_range(0u8..=3)? {
        // The rest of the bytes as JSON text, as a binding would pass it.
        0 => match serde_json::from_slice(u.bytes(u.len())?) {
            Ok(v) => v,
            Err(_) => return Ok(()),
        },
        // Any JSON value, keys mostly field names.
        1 => json(u, 4)?,
        // An object of the operation's own members with values of (mostly) the right shape,
        // plus now and then a member with any value or an unknown key.
        _ => {
            let mut map: Map<String, Value> = members(u, op.members, 3)?;
            if u.ratio(1u8, 4)? && !op.members.is_empty() {
                let m = u.choose(op.members)?;
                let v = if u.arbitrary()? { json(u, 2)? } else { value_for(u, m.ty, &m.rules, 3)? };
                map.insert(m.name.to_owned(), v);
            }
            if u.ratio(1u8, 16)? {
                map.insert(csms_core_fuzz::key(u)?, json(u, 1)?);
            }
            Value::Object(map)
        }
    };

    if let Ok(request) = client.build_request(&name, &input, at) {
        if let Err(e) = verify(&request, &key) {
            panic!(
                "{} request for {:?} with {} does not verify: {e:?}\nconfig={:?}\ninput={input}\nat={at}\n{}",
                name,
                client.config().algorithm,
                client.config().endpoint,
                client.config(),
                describe(&request)
            );
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

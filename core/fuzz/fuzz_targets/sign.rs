//! Signing any request with each of the five algorithms, at any time in 1970..=9999.
//! Whenever `Signer::sign` succeeds, `verify` with the same key must accept the result.
#![no_main]

use arbitrary::Unstructured;
use csms_core::{verify, AccessKey, Algorithm, DerivedScope, HttpRequest, SdkDate, Signer};
use csms_core_fuzz::{describe, sdk_seconds, text};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "get", ""];
const SCHEMES: &[&str] = &["https://", "http://", "", "HTTPS://", "ftp://", "://", "https:/", "https:///"];
const HOSTS: &[&str] =
    &["kms.cn-north-4.myhuaweicloud.com", "127.0.0.1:8080", "[::1]:443", "", "user@host", "höst.example", "host:99999"];
const URL_PIECES: &[&str] = &[
    "/",
    "/",
    "/",
    "?",
    "&",
    "=",
    "#",
    "%",
    "%2F",
    "%2f",
    "%20",
    "%25",
    "%E4%B8%AD",
    "%FF",
    "%C3",
    "%zz",
    "%4",
    "+",
    " ",
    "ü",
    "中",
    "😀",
    "..",
    ".",
    "v1",
    "secrets",
    "limit=10",
    "marker=",
    "://",
    "\u{0}",
    ";",
];
const HEADER_NAMES: &[&str] = &[
    "Host",
    "host",
    "Content-Type",
    "X-Sdk-Date",
    "x-sdk-date",
    "X-Sdk-Content-Sha256",
    "X-Sdk-Content-Sm3",
    "X-Security-Token",
    "X-Project-Id",
    "User-Agent",
    "X-Custom_Underscore",
    "Authorization",
    "",
];
const CONTENT_TYPES: &[&str] =
    &["application/json", "application/json;charset=UTF-8", "APPLICATION/BSON", "text/plain", "", " application/json "];

fn signers() -> &'static [Signer] {
    static SIGNERS: OnceLock<Vec<Signer>> = OnceLock::new();
    SIGNERS.get_or_init(|| {
        let scope = DerivedScope { region: "cn-north-4".into(), service: "csms".into() };
        Algorithm::ALL
            .iter()
            .map(|&a| {
                let scope = (a == Algorithm::V11HmacSha256).then(|| scope.clone());
                Signer::new(AccessKey::new("AK", "SK"), a, scope).expect("a signer for AK/SK")
            })
            .collect()
    })
}

fn url(u: &mut Unstructured) -> arbitrary::Result<String> {
    if u.ratio(1u8, 8)? {
        return u.arbitrary();
    }
    let mut s = String::from(*u.choose(SCHEMES)?);
    s.push_str(if u.ratio(3u8, 4)? { u.choose(HOSTS)? } else { "" });
    for _ in 0..u.int_in_range(0u8..=10)? {
        if u.ratio(3u8, 4)? {
            s.push_str(u.choose(URL_PIECES)?);
        } else {
            s.push_str(&text(u)?);
        }
    }
    Ok(s)
}

fn run(u: &mut Unstructured) -> arbitrary::Result<()> {
    let method = if u.ratio(3u8, 4)? { u.choose(METHODS)?.to_string() } else { u.arbitrary()? };
    let mut request = HttpRequest::new(method, url(u)?);
    for _ in 0..u.int_in_range(0u8..=5)? {
        let name = match u.int_in_range(0u8..=3)? {
            0 | 1 => u.choose(HEADER_NAMES)?.to_string(),
            _ => text(u)?,
        };
        let value = if name.eq_ignore_ascii_case("content-type") && u.ratio(3u8, 4)? {
            u.choose(CONTENT_TYPES)?.to_string()
        } else {
            text(u)?
        };
        request.headers.push((name, value));
    }
    request.body = match u.int_in_range(0u8..=2)? {
        0 => Vec::new(),
        1 => br#"{"secret_string":"x"}"#.to_vec(),
        _ => u.arbitrary()?,
    };
    let at = SdkDate::from_unix(sdk_seconds(u)?);
    let key = AccessKey::new("AK", "SK");

    for signer in signers() {
        let mut signed = request.clone();
        if signer.sign(&mut signed, at).is_ok() {
            if let Err(e) = verify(&signed, &key) {
                panic!(
                    "{} signed a request that does not verify: {e:?}\nat={at}\n--- before signing\n{}\n--- after signing\n{}",
                    signer.algorithm(),
                    describe(&request),
                    describe(&signed)
                );
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

//! Verifying mutated signed requests. A request is signed (any algorithm, long-term or
//! temporary key, any time), then changed:
//! - anyhow (method, URL, any header name or value, `Authorization`, body): verifying must
//!   not panic;
//! - or by changes whose effect is known: each of "another method", "one more path
//!   segment", "one more query parameter", "a signed header's value longer by a visible
//!   character", "a hashed body longer by a byte", "another X-Sdk-Date" changes a part the
//!   signature covers, so the request must never verify; headers added after the others
//!   and bytes added to a body sent as `UNSIGNED-PAYLOAD` change nothing covered, so with
//!   only those it must still verify.
#![no_main]

use arbitrary::Unstructured;
use csms_core::{parse_authorization, HttpRequest, SdkDate, Verifier};
use csms_core_fuzz::{
    access_key, content_header, describe, may_refuse, request_to_sign, scope, sdk_seconds, signers, text, HEADER_NAMES,
    HOSTS,
};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// A verifier of each key (long-term, temporary) that pins the signers' V11 scope, made once
/// (it keeps the ECDSA and SM2 keys it derives).
fn verifier(temporary: bool) -> &'static Verifier {
    static VERIFIERS: OnceLock<[Verifier; 2]> = OnceLock::new();
    &VERIFIERS.get_or_init(|| [false, true].map(|t| Verifier::new(access_key(t)).expect_scope(scope())))
        [usize::from(temporary)]
}

/// Where the path of `url` ends (where a `?query` or `#fragment` starts, or the end), as
/// the signer splits it; `None` when it has no `scheme://`.
fn path_end(url: &str) -> Option<usize> {
    let start = url.find(':')? + 3;
    url.get(start - 3..start).filter(|s| *s == "://")?;
    let rest = &url[start..];
    let fragment = rest.find('#').unwrap_or(rest.len());
    let path_end = rest[..fragment].find('?').unwrap_or(fragment);
    Some(start + path_end)
}

/// Where the query of `url` ends (where a `#fragment` starts, or the end), and whether it
/// has a `?`.
fn query_end(url: &str) -> Option<(usize, bool)> {
    let at = path_end(url)?;
    let fragment = url[at..].find('#').map_or(url.len(), |i| at + i);
    Some((fragment, url[at..fragment].starts_with('?')))
}

/// Letters and digits, at least one.
fn word(u: &mut Unstructured) -> arbitrary::Result<String> {
    let n = u.int_in_range(1usize..=8)?;
    (0..n).map(|_| u.choose(b"abcdefghijklmnopqrstuvwxyz0123456789").map(|&b| b as char)).collect()
}

/// Changes `request` anyhow.
fn garble(u: &mut Unstructured, request: &mut HttpRequest) -> arbitrary::Result<()> {
    for _ in 0..u.int_in_range(1u8..=4)? {
        match u.int_in_range(0u8..=5)? {
            0 => request.method = text(u)?,
            1 => {
                let cut = u.int_in_range(0..=request.url.len())?;
                if request.url.is_char_boundary(cut) {
                    request.url.insert_str(cut, &text(u)?);
                }
            }
            2 | 3 if !request.headers.is_empty() => {
                let i = u.choose_index(request.headers.len())?;
                if u.arbitrary()? {
                    request.headers[i].0 = text(u)?;
                } else {
                    request.headers[i].1 = text(u)?;
                }
            }
            4 => {
                let authorization = request.header("Authorization").unwrap_or("").to_owned();
                let cut = u.int_in_range(0..=authorization.len())?;
                if authorization.is_char_boundary(cut) {
                    let mut value = authorization[..cut].to_owned();
                    value.push_str(&text(u)?);
                    request.set_header("Authorization", value);
                }
            }
            _ => request.body = u.arbitrary()?,
        }
    }
    Ok(())
}

fn run(u: &mut Unstructured) -> arbitrary::Result<()> {
    // Decided first, while the input lasts (an exhausted one gives the low ends of ranges).
    let garbled = !u.ratio(3u8, 4)?;
    let count = u.int_in_range(0u8..=4)?;
    let neutral_only = u.ratio(1u8, 3)?;
    let temporary: bool = u.arbitrary()?;
    let signer = u.choose(signers(temporary))?;
    let mut unsigned = request_to_sign(u)?;
    let at = SdkDate::from_unix(sdk_seconds(u)?);
    let mut signed = unsigned.clone();
    if signer.sign(&mut signed, at).is_err() {
        // Mostly a broken URL or header name: a tidied copy, so that most inputs get signed.
        unsigned.url = format!("https://{}/v1/{}", HOSTS[0], word(u)?);
        unsigned.headers.retain(|(name, _)| !name.is_empty() && HEADER_NAMES.contains(&name.as_str()));
        signed = unsigned.clone();
        if signer.sign(&mut signed, at).is_err() {
            return Ok(());
        }
    }
    let host = signed.header("Host").unwrap_or("").trim().to_owned();
    let plain = verifier(temporary);
    let pinned = plain.clone().expect_host(host);
    match pinned.verify_at(&signed, at) {
        Ok(_) => {}
        Err(e) if may_refuse(&unsigned, signer.algorithm(), &e) => return Ok(()),
        Err(e) => panic!("{} signed a request that does not verify: {e:?}\n{}", signer.algorithm(), describe(&signed)),
    }

    let mut request = signed.clone();
    if garbled {
        garble(u, &mut request)?;
        let _ = parse_authorization(request.header("Authorization").unwrap_or(""));
        let _ = plain.verify(&request);
        let _ = pinned.verify_at(&request, SdkDate::from_unix(sdk_seconds(u)?));
        return Ok(());
    }

    let auth = parse_authorization(signed.header("Authorization").unwrap_or("")).expect("it verified");
    let content_header = content_header(signer.algorithm());
    let unsigned_payload = auth.signed_headers.iter().any(|h| h.eq_ignore_ascii_case(content_header))
        && signed.header(content_header) == Some("UNSIGNED-PAYLOAD");
    let mut changes: Vec<&str> = Vec::new();
    for _ in 0..count {
        match if neutral_only { 6 } else { u.int_in_range(0u8..=6)? } {
            0 => {
                let method = text(u)?;
                if method != signed.method {
                    request.method = method;
                    changes.push("method");
                }
            }
            1 => {
                let at = path_end(&request.url).expect("a URL that was signed");
                request.url.insert_str(at, &format!("/{}", word(u)?));
                changes.push("path");
            }
            2 => {
                let (at, has_query) = query_end(&request.url).expect("a URL that was signed");
                let pair = format!("{}{}={}", if has_query { '&' } else { '?' }, word(u)?, word(u)?);
                request.url.insert_str(at, &pair);
                changes.push("query");
            }
            3 => {
                let name = u.choose(&auth.signed_headers)?;
                let slot = request.headers.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(name)).expect("signed");
                slot.1.push(char::from(u.int_in_range(0x21u8..=0x7e)?));
                changes.push("a signed header");
            }
            4 => {
                let covered = !(unsigned_payload && !request.body.is_empty());
                request.body.push(u.arbitrary()?);
                if covered {
                    changes.push("body");
                }
            }
            5 => {
                let date = SdkDate::from_unix(sdk_seconds(u)?);
                if date != at {
                    request.set_header("X-Sdk-Date", date.to_string());
                    changes.push("date");
                }
            }
            _ => {
                // After the others (the verifier reads the first header of a name), often one
                // that matters to it, such as an unsigned content-hash header.
                let name = match u.int_in_range(0u8..=3)? {
                    0 => content_header.to_owned(),
                    1 => u.choose(HEADER_NAMES)?.to_string(),
                    2 => text(u)?,
                    _ => u.choose(&auth.signed_headers)?.clone(),
                };
                let value = if u.arbitrary()? { "UNSIGNED-PAYLOAD".to_owned() } else { text(u)? };
                request.headers.push((name, value));
                if u.arbitrary()? && unsigned_payload && !request.body.is_empty() {
                    request.body.push(u.arbitrary()?);
                }
            }
        }
    }
    let (result, at_now) = (plain.verify(&request), pinned.verify_at(&request, at));
    // Changed where the signature covers: refused; otherwise (nothing, or what it leaves out): accepted.
    let accepted = changes.is_empty();
    assert!(
        result.is_ok() == accepted && at_now.is_ok() == accepted,
        "{}: after changes to {changes:?}, {result:?} / {at_now:?}\n--- signed\n{}\n--- sent\n{}",
        signer.algorithm(),
        describe(&signed),
        describe(&request)
    );
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

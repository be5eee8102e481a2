//! Signing any request with each of the five algorithms, at any time in 1970..=9999.
//! Whenever `Signer::sign` succeeds, `verify` with the same key must accept the result,
//! unless the caller gave a content-hash header that is not the body's.
#![no_main]

use arbitrary::Unstructured;
use csms_core::{verify, SdkDate};
use csms_core_fuzz::{access_key, describe, may_refuse, request_to_sign, sdk_seconds, signers};
use libfuzzer_sys::fuzz_target;

fn run(u: &mut Unstructured) -> arbitrary::Result<()> {
    let request = request_to_sign(u)?;
    let at = SdkDate::from_unix(sdk_seconds(u)?);
    let key = access_key(false);

    for signer in signers(false) {
        let mut signed = request.clone();
        if signer.sign(&mut signed, at).is_ok() {
            match verify(&signed, &key) {
                Err(e) if !may_refuse(&request, signer.algorithm(), &e) => panic!(
                    "{} signed a request that does not verify: {e:?}\nat={at}\n--- before signing\n{}\n--- after signing\n{}",
                    signer.algorithm(),
                    describe(&request),
                    describe(&signed)
                ),
                _ => {}
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

//! Request signing: the five algorithms of the official SDKs, as pure functions of the
//! request, the key and a time given by the caller.
//!
//! ```
//! use csms_core::{AccessKey, Algorithm, HttpRequest, SdkDate, Signer};
//!
//! let signer = Signer::new(AccessKey::new("AK", "SK"), Algorithm::HmacSha256, None).unwrap();
//! let mut request = HttpRequest::new("GET", "https://kms.cn-north-4.myhuaweicloud.com/v1/p/secrets");
//! signer.sign(&mut request, SdkDate::parse("20240806T101010Z").unwrap()).unwrap();
//! assert!(request.header("Authorization").unwrap().starts_with("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature="));
//! ```

mod asymmetric;
pub(crate) mod canonical;
mod curve;
mod hash;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod sha256_simd;
mod verify;

pub use verify::{parse_authorization, verify, Authorization, Verifier, VerifyError};

use crate::credentials::AccessKey;
use crate::error::{Error, Result};
use crate::http::HttpRequest;
use crate::time::SdkDate;
use crate::util::{slice, wipe, WipedString};
use asymmetric::KeyPair;
use canonical::{canonical_request_of, signed_headers, signed_list, split_url, Payload};
use hash::{hex, hex_into, HashKind, HmacKey};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

/// A signing algorithm, named as in the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// `SDK-HMAC-SHA256`, the default.
    #[default]
    HmacSha256,
    /// `SDK-HMAC-SM3`.
    HmacSm3,
    /// `V11-HMAC-SHA256`: HMAC-SHA256 with a key derived (HKDF) for a date, region and service.
    V11HmacSha256,
    /// `SDK-ECDSA-P256-SHA256`: ECDSA on P-256 with a key derived from AK/SK.
    EcdsaP256Sha256,
    /// `SDK-SM2-SM3`: SM2 with a key derived from AK/SK.
    Sm2Sm3,
}

impl Algorithm {
    /// Every algorithm, in the order of the official SDK's list.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::HmacSha256,
        Algorithm::HmacSm3,
        Algorithm::V11HmacSha256,
        Algorithm::EcdsaP256Sha256,
        Algorithm::Sm2Sm3,
    ];

    /// The name used in the `Authorization` header (`SDK-HMAC-SHA256`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "SDK-HMAC-SHA256",
            Algorithm::HmacSm3 => "SDK-HMAC-SM3",
            Algorithm::V11HmacSha256 => "V11-HMAC-SHA256",
            Algorithm::EcdsaP256Sha256 => "SDK-ECDSA-P256-SHA256",
            Algorithm::Sm2Sm3 => "SDK-SM2-SM3",
        }
    }

    fn hash(self) -> HashKind {
        match self {
            Algorithm::HmacSm3 | Algorithm::Sm2Sm3 => HashKind::Sm3,
            _ => HashKind::Sha256,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses an algorithm name, ignoring letter case.
    fn from_str(s: &str) -> Result<Self> {
        Algorithm::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(s)).ok_or_else(|| {
            Error::validation(
                "algorithm",
                format!(
                    "unknown algorithm `{s}`; expected one of SDK-HMAC-SHA256, SDK-HMAC-SM3, V11-HMAC-SHA256, \
                     SDK-ECDSA-P256-SHA256, SDK-SM2-SM3"
                ),
            )
        })
    }
}

/// The headers of `req` as `(name, value)` borrows but any `Authorization` (see
/// [`unsigned`]), with room for the four a signature adds: what [`Signer::sign_borrowed`]
/// starts from, made from the request without a list between.
pub(crate) fn borrowed_headers(req: &HttpRequest) -> Vec<(&str, Cow<'_, str>)> {
    // Plain loops: iterator adapters and `collect` are sizeable where code size counts.
    let mut headers: Vec<(&str, Cow<'_, str>)> = Vec::with_capacity(req.headers.len() + 4);
    for (name, value) in &req.headers {
        if unsigned(name) {
            headers.push((name, Cow::Borrowed(value)));
        }
    }
    headers
}

/// Whether a header called `name` is signed as given: all but `Authorization`, which
/// signing again (a retry) replaces rather than signs. (Leaving it out before the names are
/// checked changes nothing: `Authorization` is an HTTP header name.)
fn unsigned(name: &str) -> bool {
    !name.eq_ignore_ascii_case("Authorization")
}

/// Whether `name` is an HTTP header name (an RFC 9110 token). Anything else could not be
/// written into `SignedHeaders` and read back.
fn is_header_name(name: &str) -> bool {
    // A `match` of ranges rather than a search of the list of symbols for each byte:
    // `#`..`'` is `#$%&'`, `^`..`` ` `` is ``^_` ``.
    let token = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(b, b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'^'..=b'`' | b'|' | b'~')
    };
    !name.is_empty() && name.bytes().all(token)
}

/// The value of the first header named `name` (in any letter case).
fn find_header<'h>(headers: &'h [(&str, Cow<'_, str>)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref())
}

/// Sets the first header named `name` (in any letter case) to `value`, or adds it.
pub(crate) fn set_header<'a>(headers: &mut Vec<(&'a str, Cow<'a, str>)>, name: &'static str, value: Cow<'a, str>) {
    match headers.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
        Some(slot) => slot.1 = value,
        None => headers.push((name, value)),
    }
}

/// Whether `text` starts with `prefix` (ASCII), ignoring ASCII letter case.
fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len() && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The payload hash the official signers write, in the content-hash header, for bodies they
/// do not hash.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Whether the official rule sends [`UNSIGNED_PAYLOAD`] for a body of this `Content-Type`:
/// when it starts with neither `application/json` nor `application/bson` (in any letter
/// case).
fn sends_unsigned_payload(content_type: &str) -> bool {
    !starts_with_ignoring_case(content_type, "application/json")
        && !starts_with_ignoring_case(content_type, "application/bson")
}

/// The region and service a V11-HMAC-SHA256 key is derived for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedScope {
    /// Region id, such as `cn-north-4`.
    pub region: String,
    /// Service name, such as `csms`.
    pub service: String,
}

/// Signs requests with one access key and one algorithm.
///
/// Construction does the expensive work once (deriving the P-256 or SM2 key pair);
/// [`Signer::sign`] is then a pure function of the request and the time.
#[derive(Clone)]
pub struct Signer {
    key: AccessKey,
    algorithm: Algorithm,
    scope: Option<DerivedScope>,
    pair: Option<KeyPair>,
    /// The SK's HMAC state, for SDK-HMAC-SHA256 and SDK-HMAC-SM3.
    mac: Option<HmacKey>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("key", &self.key)
            .field("algorithm", &self.algorithm)
            .field("scope", &self.scope)
            .finish()
    }
}

impl Signer {
    /// A signer for `key` and `algorithm`. V11-HMAC-SHA256 needs `scope`; the others ignore it.
    /// Fails when the key cannot sign or be sent ([`AccessKey::validate`]).
    pub fn new(key: AccessKey, algorithm: Algorithm, scope: Option<DerivedScope>) -> Result<Self> {
        key.validate()?;
        if algorithm == Algorithm::V11HmacSha256 {
            match &scope {
                None => return Err(Error::validation("region", "V11-HMAC-SHA256 needs a region and a service name")),
                Some(s) if s.region.is_empty() => {
                    return Err(Error::validation("region", "V11-HMAC-SHA256 needs a region"))
                }
                Some(s) if s.service.is_empty() => {
                    return Err(Error::validation("service", "V11-HMAC-SHA256 needs a service name"))
                }
                Some(_) => {}
            }
        }
        let pair = match algorithm {
            Algorithm::EcdsaP256Sha256 => Some(KeyPair::p256(&key.ak, key.sk.expose())?),
            Algorithm::Sm2Sm3 => Some(KeyPair::sm2(&key.ak, key.sk.expose())?),
            _ => None,
        };
        let mac = match algorithm {
            Algorithm::HmacSha256 | Algorithm::HmacSm3 => {
                Some(HmacKey::new(algorithm.hash(), key.sk.expose().as_bytes()))
            }
            _ => None,
        };
        Ok(Signer { key, algorithm, scope, pair, mac })
    }

    /// The algorithm this signer uses.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.key.ak
    }

    /// Signs `req` for the time `at`: sets `X-Sdk-Date`, `Host` (unless present),
    /// `X-Security-Token` for temporary keys, the unsigned-payload header for bodies that
    /// are not JSON, trims header values, and adds `Authorization` (see [`Signer::sign_parts`]).
    pub fn sign(&self, req: &mut HttpRequest, at: SdkDate) -> Result<()> {
        let parts = self.sign_borrowed(&req.method, &req.url, borrowed_headers(req), &req.body, at)?;
        let mut signed: Vec<(String, String)> = Vec::with_capacity(parts.len());
        for (name, value) in parts {
            signed.push((name.to_owned(), value.into_owned()));
        }
        let mut before = std::mem::replace(&mut req.headers, signed);
        // Values may be secrets (a security token): wiped, as the request's own are.
        for (_, value) in before.iter_mut() {
            wipe(value);
        }
        Ok(())
    }

    /// The headers of a request (`method`, `url`, `headers`, `body`) signed for the time
    /// `at`, without copying it: the given headers but any `Authorization`, values trimmed,
    /// with `X-Sdk-Date` set, `Host` added unless present, `X-Security-Token` set for
    /// temporary keys, the unsigned-payload header set for bodies that are not JSON, and
    /// `Authorization` added last. Setting a header replaces the first of its name in any
    /// letter case. Bindings call this on their own strings; [`Signer::sign`] applies it.
    ///
    /// ```
    /// use csms_core::{AccessKey, Algorithm, SdkDate, Signer};
    /// let signer = Signer::new(AccessKey::new("AK", "SK"), Algorithm::HmacSha256, None).unwrap();
    /// let at = SdkDate::parse("20240806T101010Z").unwrap();
    /// let url = "https://kms.example.com/v1/p/secrets";
    /// let headers = signer.sign_parts("GET", url, &[("X-Project-Id", " p ")], b"", at).unwrap();
    /// let names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
    /// assert_eq!(names, ["X-Project-Id", "X-Sdk-Date", "Host", "Authorization"]);
    /// assert_eq!((headers[0].1.as_ref(), headers[2].1.as_ref()), ("p", "kms.example.com"));
    /// ```
    pub fn sign_parts<'a>(
        &'a self,
        method: &str,
        url: &'a str,
        headers: &[(&'a str, &'a str)],
        body: &[u8],
        at: SdkDate,
    ) -> Result<Vec<(&'a str, Cow<'a, str>)>> {
        let mut given: Vec<(&'a str, Cow<'a, str>)> = Vec::with_capacity(headers.len() + 4);
        for &(name, value) in headers {
            if unsigned(name) {
                given.push((name, Cow::Borrowed(value)));
            }
        }
        self.sign_borrowed(method, url, given, body, at)
    }

    /// [`Signer::sign_parts`] of the headers `given` (values borrowed, no `Authorization`:
    /// see [`borrowed_headers`]), made into the signed ones in place.
    pub(crate) fn sign_borrowed<'a>(
        &'a self,
        method: &str,
        url: &'a str,
        given: Vec<(&'a str, Cow<'a, str>)>,
        body: &[u8],
        at: SdkDate,
    ) -> Result<Vec<(&'a str, Cow<'a, str>)>> {
        let (mut out, list, canonical, date_bytes) = self.canonical_parts(method, url, given, body, at)?;
        let date = std::str::from_utf8(&date_bytes).unwrap_or_else(|_| panic!("ASCII digits"));
        let authorization = self.authorization(&canonical, &list, date);
        out.push(("Authorization", Cow::Owned(authorization)));
        Ok(out)
    }

    /// What a request signed for `at` signs: its canonical request with the values of
    /// `X-Security-Token` and `X-Auth-Token` shown as `***`, and its string to sign (which
    /// holds no secret). For an error that explains a refused signature.
    pub(crate) fn explain(&self, req: &HttpRequest, at: SdkDate) -> Option<(String, String)> {
        let (_, _, canonical, _) =
            self.canonical_parts(&req.method, &req.url, borrowed_headers(req), &req.body, at).ok()?;
        let (string_to_sign, _) = self.string_to_sign(&canonical, &at.text());
        Some((canonical::masked(&canonical), string_to_sign.to_string()))
    }

    /// From the given headers `out` (without `Authorization`), the headers of
    /// [`Signer::sign_parts`] but `Authorization`, their `SignedHeaders` list, the canonical
    /// request (wiped when dropped: it holds the security token), and the date's text.
    #[allow(clippy::type_complexity)]
    fn canonical_parts<'a>(
        &'a self,
        method: &str,
        url: &'a str,
        mut out: Vec<(&'a str, Cow<'a, str>)>,
        body: &[u8],
        at: SdkDate,
    ) -> Result<(Vec<(&'a str, Cow<'a, str>)>, String, WipedString, [u8; 16])> {
        at.check_writable()?;
        let url_parts = split_url(url).ok_or_else(|| Error::validation("url", "not an absolute URL"))?;
        if let Some((name, _)) = out.iter().find(|(name, _)| !is_header_name(name)) {
            return Err(Error::validation(
                "headers",
                format!("{} is not an HTTP header name", crate::util::quoted(name, '"')),
            ));
        }
        // The date's text on the stack; the header gets the one owned copy.
        let date_bytes = at.to_bytes();
        let date = std::str::from_utf8(&date_bytes).unwrap_or_else(|_| panic!("ASCII digits"));
        set_header(&mut out, "X-Sdk-Date", Cow::Owned(date.to_owned()));
        if find_header(&out, "Host").is_none() {
            out.push(("Host", Cow::Borrowed(url_parts.authority)));
        }
        if let Some(token) = &self.key.security_token {
            set_header(&mut out, "X-Security-Token", Cow::Borrowed(token.expose()));
        }
        let hash = self.algorithm.hash();
        // Decided on the value as sent (trimmed), which is what a verifier sees: the official
        // signer decides before trimming, so ` application/json ` would leave a JSON body
        // unsigned, which `Verifier` refuses.
        if find_header(&out, "Content-Type").is_some_and(|ct| sends_unsigned_payload(canonical::strip(ct))) {
            set_header(&mut out, hash.content_header(), Cow::Borrowed(UNSIGNED_PAYLOAD));
        }
        for (_, value) in out.iter_mut() {
            match value {
                Cow::Borrowed(text) => *text = canonical::strip(text),
                Cow::Owned(text) => {
                    if canonical::strip(text).len() != text.len() {
                        *text = canonical::strip(text).to_owned();
                    }
                }
            }
        }
        let mut signed = signed_headers(&out);
        let list = signed_list(&signed);
        // The names as signed: lower-case, from the list (header names are ASCII, never `;`),
        // written over the request's names in place (no second vector).
        let mut at_name = 0;
        for (name, _) in signed.iter_mut() {
            let len = name.len();
            *name = slice(&list, at_name, at_name + len);
            at_name += len + 1;
        }
        let payload = Payload { body, unsigned: find_header(&out, hash.content_header()) };
        // The canonical request holds the security token: wiped once signed.
        let canonical = WipedString(canonical_request_of(method, &url_parts, &signed, &list, payload, hash));
        Ok((out, list, canonical, date_bytes))
    }

    /// The `Authorization` value for the canonical request `canonical` over the headers of
    /// `list` (the `SignedHeaders` value), signed at `date` (`YYYYMMDDTHHMMSSZ`).
    fn authorization(&self, canonical: &str, list: &str, date: &str) -> String {
        let (string_to_sign, scope) = self.string_to_sign(canonical, date);
        let mut out = String::with_capacity(200 + list.len());
        out.push_str(self.algorithm.name());
        match scope {
            Some(info) => {
                out.push_str(" Credential=");
                out.push_str(&self.key.ak);
                out.push('/');
                out.push_str(&info);
            }
            None => {
                out.push_str(" Access=");
                out.push_str(&self.key.ak);
            }
        }
        out.push_str(", SignedHeaders=");
        out.push_str(list);
        out.push_str(", Signature=");
        self.signature_into(&mut out, &string_to_sign, date);
        out
    }

    /// The string to sign at `date` (`YYYYMMDDTHHMMSSZ`), wiped when dropped, and for V11
    /// the credential scope (`yyyymmdd/region/service`).
    fn string_to_sign(&self, canonical: &str, date: &str) -> (WipedString, Option<String>) {
        let name = self.algorithm.name();
        let mut out = WipedString(String::with_capacity(name.len() + 128));
        out.push_str(name);
        out.push('\n');
        out.push_str(date);
        out.push('\n');
        let scope = match (&self.algorithm, &self.scope) {
            (Algorithm::V11HmacSha256, Some(scope)) => {
                let info = format!("{}/{}/{}", slice(date, 0, 8), scope.region, scope.service);
                out.push_str(&info);
                out.push('\n');
                Some(info)
            }
            _ => None,
        };
        hex_into(&mut out, &self.algorithm.hash().digest(canonical.as_bytes()));
        (out, scope)
    }

    /// The hex signature of `string_to_sign` at `date` (`YYYYMMDDTHHMMSSZ`).
    fn signature(&self, string_to_sign: &str, date: &str) -> String {
        let mut out = String::with_capacity(64);
        self.signature_into(&mut out, string_to_sign, date);
        out
    }

    /// Appends the hex signature of `string_to_sign` to `out`.
    fn signature_into(&self, out: &mut String, string_to_sign: &str, date: &str) {
        let signature = match self.algorithm {
            Algorithm::HmacSha256 | Algorithm::HmacSm3 => {
                return hex_into(
                    out,
                    &self.mac.as_ref().expect("HMAC key made in new()").sign(string_to_sign.as_bytes()),
                )
            }
            Algorithm::V11HmacSha256 => {
                let key = self.v11_key(slice(date, 0, 8));
                HashKind::Sha256.hmac(key.as_bytes(), string_to_sign.as_bytes()).to_vec()
            }
            Algorithm::EcdsaP256Sha256 | Algorithm::Sm2Sm3 => {
                self.pair.as_ref().expect("asymmetric key pair made in new()").sign(string_to_sign.as_bytes())
            }
        };
        hex_into(out, &signature)
    }

    /// The V11 signing key for the day `day` (`yyyymmdd`): lower-case hex of
    /// HKDF-SHA256(salt = AK, IKM = SK, info), 32 bytes. It and its steps are wiped when
    /// dropped.
    fn v11_key(&self, day: &str) -> Zeroizing<String> {
        let scope = self.scope.as_ref().expect("V11 scope checked in new()");
        let info = format!("{day}/{}/{}", scope.region, scope.service);
        let prk = Zeroizing::new(HashKind::Sha256.hmac(self.key.ak.as_bytes(), self.key.sk.expose().as_bytes()));
        let mut block = info.into_bytes();
        block.push(1);
        let okm = Zeroizing::new(HashKind::Sha256.hmac(&*prk, &block));
        Zeroizing::new(hex(&*okm))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_twice_replaces_the_signature() {
        let key = AccessKey::new("AK", "SK");
        let signer = Signer::new(key.clone(), Algorithm::HmacSha256, None).unwrap();
        let mut request = HttpRequest::new("GET", "https://kms.cn-north-4.myhuaweicloud.com/v1/p/secrets");
        let at = SdkDate::from_unix(1_700_000_000);
        signer.sign(&mut request, at).unwrap();
        signer.sign(&mut request, at.offset(60)).unwrap();
        assert_eq!(request.headers.iter().filter(|(k, _)| k == "Authorization").count(), 1);
        verify(&request, &key).unwrap();
    }

    #[test]
    fn refuses_times_outside_the_years_x_sdk_date_can_write() {
        let signer = Signer::new(AccessKey::new("AK", "SK"), Algorithm::HmacSha256, None).unwrap();
        let request = || HttpRequest::new("GET", "http://127.0.0.1:1/");
        for (secs, date) in [(-62_135_596_800, "00010101T000000Z"), (253_402_300_799, "99991231T235959Z")] {
            let mut ok = request();
            signer.sign(&mut ok, SdkDate::from_unix(secs)).unwrap();
            assert_eq!(ok.header("X-Sdk-Date"), Some(date));
        }
        for secs in [-62_135_596_801, 253_402_300_800, i64::MAX, i64::MIN] {
            let err = signer.sign(&mut request(), SdkDate::from_unix(secs)).unwrap_err();
            assert!(matches!(&err, Error::Validation { field, .. } if field == "at"), "{secs}: {err}");
        }
    }

    #[test]
    fn header_names_are_rfc_9110_tokens() {
        for b in 0..=255u8 {
            let expected = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            let name = [b'x', b];
            assert_eq!(is_header_name(std::str::from_utf8(&name).unwrap_or("x;")), expected, "{b:#x}");
        }
    }

    #[test]
    fn refuses_header_names_that_cannot_be_signed() {
        let signer = Signer::new(AccessKey::new("AK", "SK"), Algorithm::HmacSha256, None).unwrap();
        for name in [";", "a,b", " x", ""] {
            let mut request = HttpRequest::new("GET", "http://127.0.0.1:1/");
            request.headers.push((name.into(), "v".into()));
            assert!(signer.sign(&mut request, SdkDate::from_unix(0)).is_err(), "{name:?}");
        }
    }

    #[test]
    fn a_token_with_spaces_around_it_verifies() {
        let key = AccessKey::new("AK", "SK").with_security_token(" token ");
        let signer = Signer::new(key.clone(), Algorithm::HmacSha256, None).unwrap();
        let mut request = HttpRequest::new("GET", "http://[::1]:1/");
        signer.sign(&mut request, SdkDate::from_unix(0)).unwrap();
        verify(&request, &key).unwrap();
    }
}

//! Checking a signed request, as a server does (the emulator uses it). The rules are
//! those of [`Verifier`].

use super::canonical::{canonical_request, masked, strip};
use super::hash::hex;
use super::{sends_unsigned_payload, Algorithm, DerivedScope, Signer, UNSIGNED_PAYLOAD};
use crate::credentials::AccessKey;
use crate::http::HttpRequest;
use crate::time::SdkDate;
use std::fmt;
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// The parts of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The algorithm named at its start.
    pub algorithm: Algorithm,
    /// The access key id (`Access=` or the first part of `Credential=`).
    pub access_key_id: String,
    /// For V11-HMAC-SHA256, the scope of `Credential=`: `(yyyymmdd, region, service)`.
    pub scope: Option<(String, String, String)>,
    /// The lower-case names in `SignedHeaders=`.
    pub signed_headers: Vec<String>,
    /// The hex signature.
    pub signature: String,
}

/// Why a request's signature was not accepted. The texts name headers and values that are
/// not secret (never the SK, a token or a derived key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// There is no `Authorization` header.
    MissingAuthorization,
    /// The `Authorization` header cannot be read; the text says which part.
    Malformed(String),
    /// The access key id named in `Authorization` is not the verifier's (a server with
    /// several keys looks the id up first; see [`parse_authorization`]).
    UnknownAccessKey(String),
    /// `X-Sdk-Date` is missing or not a valid time.
    BadDate,
    /// `X-Sdk-Date` is more than [`Verifier::MAX_SKEW_SECONDS`] before or after the
    /// server's time ([`Verifier::verify_at`]); the API gateway calls both "expired".
    Expired {
        /// The time of `X-Sdk-Date`.
        signed_at: SdkDate,
        /// The server's time it was checked against.
        now: SdkDate,
    },
    /// `SignedHeaders` leaves out a header every official SDK signs: `host`, `x-sdk-date`,
    /// and for a temporary key `x-security-token`. The text is its name.
    NotSigned(String),
    /// A header named in `SignedHeaders` is not in the request.
    MissingSignedHeader(String),
    /// The signed `Host` is not one the verifier was told to expect
    /// ([`Verifier::expect_host`]). The text is the request's host.
    UnexpectedHost(String),
    /// The V11 credential scope does not match the request's date.
    ScopeMismatch,
    /// The V11 credential scope names another region or service than the verifier was told
    /// to expect ([`Verifier::expect_scope`]).
    UnexpectedScope {
        /// The region of the request's scope.
        region: String,
        /// The service of the request's scope.
        service: String,
    },
    /// The request's security token is missing or differs from the key's.
    SecurityTokenMismatch,
    /// The signed content-hash header (`X-Sdk-Content-Sha256`, or `X-Sdk-Content-Sm3` for
    /// the SM3 algorithms) claims `UNSIGNED-PAYLOAD` where the official SDKs hash the body:
    /// the signed `Content-Type` is missing, JSON or BSON.
    UnsignedPayloadNotAllowed,
    /// The signed content-hash header holds a hash that is not the body's.
    PayloadHashMismatch,
    /// The signature does not match. The server's canonical request and string to sign
    /// are kept, to compare with the client's; in the canonical request, the values of
    /// `x-security-token` and `x-auth-token` read `***`.
    SignatureMismatch {
        /// The canonical request as the verifier built it.
        canonical_request: String,
        /// The string to sign as the verifier built it.
        string_to_sign: String,
    },
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::MissingAuthorization => f.write_str("the Authorization header is missing"),
            VerifyError::Malformed(part) => {
                write!(f, "the Authorization header is malformed: {part}")
            }
            VerifyError::UnknownAccessKey(ak) => write!(f, "the access key id `{ak}` is unknown"),
            VerifyError::BadDate => f.write_str("X-Sdk-Date is missing or invalid"),
            VerifyError::Expired { signed_at, now } => {
                write!(f, "signature expired, signature time:{signed_at},server time:{now}")
            }
            VerifyError::NotSigned(h) => {
                write!(f, "the signature does not cover `{h}` (SignedHeaders must include it)")
            }
            VerifyError::MissingSignedHeader(h) => write!(f, "signed header `{h}` is missing"),
            VerifyError::UnexpectedHost(h) => write!(f, "the request is signed for host `{h}`, not this server's"),
            VerifyError::ScopeMismatch => f.write_str("the credential scope does not match X-Sdk-Date"),
            VerifyError::UnexpectedScope { region, service } => {
                write!(f, "the credential scope is for region `{region}` and service `{service}`, not this server's")
            }
            VerifyError::SecurityTokenMismatch => f.write_str("the security token does not match"),
            VerifyError::UnsignedPayloadNotAllowed => f.write_str(
                "UNSIGNED-PAYLOAD is only accepted with a signed Content-Type that is neither JSON nor BSON",
            ),
            VerifyError::PayloadHashMismatch => f.write_str("the body does not match the signed content hash"),
            VerifyError::SignatureMismatch { .. } => f.write_str("the signature does not match"),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Reads an `Authorization` header value.
///
/// ```
/// use csms_core::{parse_authorization, Algorithm};
/// let a = parse_authorization("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=ab12").unwrap();
/// assert_eq!((a.algorithm, a.access_key_id.as_str()), (Algorithm::HmacSha256, "AK"));
/// assert_eq!(a.signed_headers, ["host", "x-sdk-date"]);
/// ```
pub fn parse_authorization(value: &str) -> Result<Authorization, VerifyError> {
    let malformed = |what: &str| VerifyError::Malformed(what.to_owned());
    let (name, rest) = value.trim().split_once(' ').ok_or_else(|| malformed("no algorithm"))?;
    let algorithm: Algorithm = name.parse().map_err(|_| malformed("unknown algorithm"))?;
    let (mut access, mut scope, mut signed, mut signature) = (None, None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or_else(|| malformed("a part without `=`"))?;
        match k {
            "Access" => access = Some(v.to_owned()),
            "Credential" => {
                let mut it = v.splitn(4, '/');
                let (ak, date, region, service) = (it.next(), it.next(), it.next(), it.next());
                match (ak, date, region, service) {
                    (Some(ak), Some(d), Some(r), Some(s)) => {
                        access = Some(ak.to_owned());
                        scope = Some((d.to_owned(), r.to_owned(), s.to_owned()));
                    }
                    _ => return Err(malformed("Credential is not AK/date/region/service")),
                }
            }
            "SignedHeaders" => signed = Some(v.split(';').map(str::to_owned).collect::<Vec<_>>()),
            "Signature" => signature = Some(v.to_owned()),
            _ => return Err(malformed("an unknown part")),
        }
    }
    let access_key_id = access.filter(|a| !a.is_empty()).ok_or_else(|| malformed("no access key"))?;
    if (algorithm == Algorithm::V11HmacSha256) != scope.is_some() {
        return Err(malformed("Credential= goes with V11-HMAC-SHA256 only"));
    }
    Ok(Authorization {
        algorithm,
        access_key_id,
        scope,
        signed_headers: signed.ok_or_else(|| malformed("no SignedHeaders"))?,
        signature: signature.ok_or_else(|| malformed("no Signature"))?,
    })
}

/// Verifies the signature of `req` with `key` (the key its AK names), by the rules of
/// [`Verifier`], without pinning a host or scope. Returns the parsed `Authorization` on
/// success. The age of `X-Sdk-Date` is not checked: a server passes its clock to
/// [`Verifier::verify_at`]. A server checking many requests of one key keeps a [`Verifier`].
pub fn verify(req: &HttpRequest, key: &AccessKey) -> Result<Authorization, VerifyError> {
    Verifier::new(key.clone()).verify(req)
}

/// Verifies requests signed with one key, keeping what it derives from the SK (the HMAC
/// state; for ECDSA and SM2 the key pair, whose derivation costs more than a verification)
/// from one request to the next.
///
/// A request is accepted when:
/// - its access key id is the key's, and `X-Sdk-Date` is a valid time (with
///   [`Verifier::verify_at`], at most [`Verifier::MAX_SKEW_SECONDS`] from the server's);
/// - `SignedHeaders` includes `host` and `x-sdk-date` (every official SDK signs both), and
///   `x-security-token` for a temporary key, whose token must be the request's;
/// - the signed `Host`, and for V11-HMAC-SHA256 the credential scope, are the expected
///   ones when the server pinned them ([`Verifier::expect_host`], [`Verifier::expect_scope`]);
///   the V11 scope's date is that of `X-Sdk-Date`;
/// - the payload hash is the body's: a content-hash header (`X-Sdk-Content-Sha256`, or
///   `X-Sdk-Content-Sm3` for SDK-HMAC-SM3 and SDK-SM2-SM3) counts only when it is signed,
///   and then either holds the body's hash, or `UNSIGNED-PAYLOAD` where the official SDKs
///   send it: with a signed `Content-Type` that starts with neither `application/json` nor
///   `application/bson`. An unsigned one is ignored, so a body cannot be swapped under it;
/// - and the signature is the one the key makes over that canonical request.
///
/// Each refusal has its own [`VerifyError`]. The canonical request and string to sign are
/// wiped once checked (they hold the security token).
///
/// ```
/// use csms_core::{AccessKey, Algorithm, HttpRequest, SdkDate, Signer, Verifier, VerifyError};
/// let key = AccessKey::new("AK", "SK");
/// let mut request = HttpRequest::new("GET", "https://kms.cn-north-4.myhuaweicloud.com/v1/p/secrets");
/// let at = SdkDate::from_unix(1_700_000_000);
/// Signer::new(key.clone(), Algorithm::EcdsaP256Sha256, None).unwrap().sign(&mut request, at).unwrap();
/// let verifier = Verifier::new(key).expect_host("kms.cn-north-4.myhuaweicloud.com");
/// assert!(verifier.verify_at(&request, at.offset(60)).is_ok());
/// assert!(matches!(verifier.verify_at(&request, at.offset(3600)), Err(VerifyError::Expired { .. })));
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    key: AccessKey,
    /// The hosts a request may be signed for (compared ignoring ASCII case); any when empty.
    hosts: Vec<String>,
    /// The V11 region and service a request may be signed for; any when `None`.
    scope: Option<DerivedScope>,
    /// The signer of each algorithm without a derived scope, made on first use.
    signers: [OnceLock<Result<Signer, String>>; 4],
}

impl Verifier {
    /// How far `X-Sdk-Date` may be from the server's time, in seconds (15 minutes, as the
    /// API gateway allows).
    pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

    /// A verifier of requests signed with `key`, for any host and V11 scope.
    pub fn new(key: AccessKey) -> Self {
        Verifier { key, hosts: Vec::new(), scope: None, signers: Default::default() }
    }

    /// Accepts requests whose signed `Host` is `host` (`name[:port]`, compared ignoring
    /// ASCII case). Called more than once, any of the hosts is accepted; never called, any.
    pub fn expect_host(mut self, host: impl Into<String>) -> Self {
        self.hosts.push(host.into());
        self
    }

    /// Accepts V11-HMAC-SHA256 requests only when their credential scope names this region
    /// and service. The other algorithms have no scope and are not affected.
    pub fn expect_scope(mut self, scope: DerivedScope) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Checks `req` as [`Verifier`] describes, but not the age of `X-Sdk-Date`: for
    /// checking signatures made at a known time. A server uses [`Verifier::verify_at`].
    pub fn verify(&self, req: &HttpRequest) -> Result<Authorization, VerifyError> {
        self.check(req, None)
    }

    /// Checks `req` as [`Verifier`] describes, at the server's time `now` (the verifier
    /// never reads a clock): `X-Sdk-Date` may be at most [`Verifier::MAX_SKEW_SECONDS`]
    /// before or after it.
    pub fn verify_at(&self, req: &HttpRequest, now: SdkDate) -> Result<Authorization, VerifyError> {
        self.check(req, Some(now))
    }

    fn check(&self, req: &HttpRequest, now: Option<SdkDate>) -> Result<Authorization, VerifyError> {
        let auth = parse_authorization(req.header("Authorization").ok_or(VerifyError::MissingAuthorization)?)?;
        if auth.access_key_id != self.key.ak {
            return Err(VerifyError::UnknownAccessKey(auth.access_key_id));
        }
        let at = req.header("X-Sdk-Date").and_then(|d| SdkDate::parse(strip(d)).ok()).ok_or(VerifyError::BadDate)?;
        if let Some(now) = now {
            if at.unix_seconds().abs_diff(now.unix_seconds()) > Self::MAX_SKEW_SECONDS.unsigned_abs() {
                return Err(VerifyError::Expired { signed_at: at, now });
            }
        }
        let token = self.key.security_token.as_ref();
        let required = ["host", "x-sdk-date"].into_iter().chain(token.map(|_| "x-security-token"));
        for name in required {
            if !is_signed(&auth, name) {
                return Err(VerifyError::NotSigned(name.to_owned()));
            }
        }
        if let Some(token) = token {
            // The signer sends header values trimmed, as the official signer does.
            if req.header("X-Security-Token").map(strip) != Some(strip(token.expose())) {
                return Err(VerifyError::SecurityTokenMismatch);
            }
        }
        let host = req.header("Host").map(strip).ok_or_else(|| VerifyError::MissingSignedHeader("host".into()))?;
        if !self.hosts.is_empty() && !self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Err(VerifyError::UnexpectedHost(host.to_owned()));
        }
        let derived;
        let signer = match &auth.scope {
            Some((date, region, service)) => {
                if *date != at.date_stamp() {
                    return Err(VerifyError::ScopeMismatch);
                }
                if self.scope.as_ref().is_some_and(|s| s.region != *region || s.service != *service) {
                    return Err(VerifyError::UnexpectedScope { region: region.clone(), service: service.clone() });
                }
                let scope = DerivedScope { region: region.clone(), service: service.clone() };
                derived = self.signer(auth.algorithm, Some(scope));
                &derived
            }
            None => self.signers[slot(auth.algorithm)].get_or_init(|| self.signer(auth.algorithm, None)),
        };
        let signer = signer.as_ref().map_err(|e| VerifyError::Malformed(e.clone()))?;
        let claim = payload_claim(req, &auth)?;
        let canonical = Zeroizing::new(
            canonical_request(req, &auth.signed_headers, claim, auth.algorithm.hash())
                .map_err(VerifyError::MissingSignedHeader)?,
        );
        let date = at.text();
        let (string_to_sign, _) = signer.string_to_sign(&canonical, &date);
        let valid = match &signer.pair {
            Some(pair) => {
                super::hash::unhex(&auth.signature).is_some_and(|der| pair.verify(string_to_sign.as_bytes(), &der))
            }
            None => constant_time_eq(signer.signature(&string_to_sign, &date).as_bytes(), auth.signature.as_bytes()),
        };
        if valid {
            Ok(auth)
        } else {
            let canonical_request = masked(&canonical);
            Err(VerifyError::SignatureMismatch { canonical_request, string_to_sign: string_to_sign.to_string() })
        }
    }

    fn signer(&self, algorithm: Algorithm, scope: Option<DerivedScope>) -> Result<Signer, String> {
        Signer::new(self.key.clone(), algorithm, scope).map_err(|e| e.to_string())
    }
}

/// Whether `SignedHeaders` names `name` (lower-case), in any letter case.
fn is_signed(auth: &Authorization, name: &str) -> bool {
    auth.signed_headers.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// What stands for the payload hash of a non-empty body in the canonical request: `None`
/// for the body's own hash, or the value of the content-hash header when it is signed and
/// either `UNSIGNED-PAYLOAD` where the official rule sends it or the body's hash. An unsigned
/// content-hash header is ignored (its value could be anything).
fn payload_claim<'r>(req: &'r HttpRequest, auth: &Authorization) -> Result<Option<&'r str>, VerifyError> {
    let hash = auth.algorithm.hash();
    let name = hash.content_header();
    if !is_signed(auth, name) {
        return Ok(None);
    }
    // Missing although signed: the canonical request reports it.
    let Some(value) = req.header(name).map(strip) else {
        return Ok(None);
    };
    if value == UNSIGNED_PAYLOAD {
        let content_type = if is_signed(auth, "content-type") { req.header("Content-Type") } else { None };
        return match content_type {
            Some(ct) if sends_unsigned_payload(strip(ct)) => Ok(Some(value)),
            _ => Err(VerifyError::UnsignedPayloadNotAllowed),
        };
    }
    if value.eq_ignore_ascii_case(&hex(&hash.digest(&req.body))) {
        Ok(Some(value))
    } else {
        Err(VerifyError::PayloadHashMismatch)
    }
}

/// The place of a scopeless algorithm in [`Verifier::signers`] (V11, whose scope comes with
/// each request, is derived per request and never looks its slot up).
fn slot(algorithm: Algorithm) -> usize {
    match algorithm {
        Algorithm::HmacSha256 | Algorithm::V11HmacSha256 => 0,
        Algorithm::HmacSm3 => 1,
        Algorithm::EcdsaP256Sha256 => 2,
        Algorithm::Sm2Sm3 => 3,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::super::canonical::{canonical_request_of, split_url, Payload};
    use super::super::hash::HashKind;
    use super::*;

    const URL: &str = "https://kms.example.com/v1/p/secrets/s/versions";
    const BODY: &[u8] = br#"{"secret_string": "original"}"#;

    /// A CreateSecretVersion as the core signs it.
    fn signed(signer: &Signer) -> HttpRequest {
        let mut request = HttpRequest::new("POST", URL);
        request.headers.push(("Content-Type".into(), "application/json;charset=utf-8".into()));
        request.body = BODY.to_vec();
        signer.sign(&mut request, SdkDate::from_unix(1_700_000_000)).unwrap();
        request
    }

    fn signer(key: &AccessKey, algorithm: Algorithm) -> Signer {
        let scope = (algorithm == Algorithm::V11HmacSha256)
            .then(|| DerivedScope { region: "cn-north-4".into(), service: "csms".into() });
        Signer::new(key.clone(), algorithm, scope).unwrap()
    }

    /// Signs `req` (which has its `X-Sdk-Date`) as a signer that covers only the headers
    /// `names` and writes `claim` as the payload hash of its body would.
    fn sign_covering(signer: &Signer, req: &mut HttpRequest, names: &[&str], claim: Option<&str>) {
        let headers: Vec<(&str, &str)> = names.iter().map(|n| (*n, req.header(n).unwrap())).collect();
        let list = names.join(";");
        let url = split_url(&req.url).unwrap();
        let payload = Payload { body: &req.body, unsigned: claim };
        let canonical = canonical_request_of(&req.method, &url, &headers, &list, payload, signer.algorithm.hash());
        let authorization = signer.authorization(&canonical, &list, req.header("X-Sdk-Date").unwrap());
        req.set_header("Authorization", authorization);
    }

    /// Asserts that `request`, signed by `algorithm`, does not verify with another body.
    fn refused_with_another_body(mut request: HttpRequest, key: &AccessKey, algorithm: Algorithm) {
        request.body = br#"{"secret_string": "attacker's"}"#.to_vec();
        let result = verify(&request, key);
        assert!(matches!(result, Err(VerifyError::SignatureMismatch { .. })), "{algorithm}: {result:?}");
    }

    #[test]
    fn an_unsigned_content_hash_header_does_not_let_the_body_be_swapped() {
        let key = AccessKey::new("AK", "SK");
        for algorithm in Algorithm::ALL {
            let mut request = signed(&signer(&key, algorithm));
            let hash = algorithm.hash();
            request.headers.push((hash.content_header().into(), hex(&hash.digest(BODY))));
            // The claim matches the body and is not signed: it changes nothing.
            assert_eq!(verify(&request, &key).map(|a| a.algorithm), Ok(algorithm));
            refused_with_another_body(request, &key, algorithm);
        }
    }

    #[test]
    fn an_unsigned_unsigned_payload_claim_is_not_trusted() {
        let key = AccessKey::new("AK", "SK");
        for algorithm in Algorithm::ALL {
            let signer = signer(&key, algorithm);
            let mut request = signed(&signer);
            let content = algorithm.hash().content_header();
            request.headers.push((content.into(), UNSIGNED_PAYLOAD.into()));
            // A client that hashed UNSIGNED-PAYLOAD for a JSON body without signing the header.
            sign_covering(&signer, &mut request, &["content-type", "host", "x-sdk-date"], Some(UNSIGNED_PAYLOAD));
            refused_with_another_body(request, &key, algorithm);
        }
    }

    #[test]
    fn a_signed_content_hash_must_be_the_bodys_or_unsigned_payload_where_the_sdks_send_it() {
        let key = AccessKey::new("AK", "SK");
        let names = ["content-type", "host", "x-sdk-content-sha256", "x-sdk-date"];
        let signer = signer(&key, Algorithm::HmacSha256);
        let with = |content_type: &str, claim: &str| {
            let mut request = signed(&signer);
            request.set_header("Content-Type", content_type);
            request.set_header("X-Sdk-Content-Sha256", claim);
            sign_covering(&signer, &mut request, &names, Some(claim));
            verify(&request, &key).map(|_| ())
        };
        let body_hash = hex(&HashKind::Sha256.digest(BODY));
        assert_eq!(with("application/json", &body_hash), Ok(()));
        assert_eq!(with("application/json", &body_hash.to_uppercase()), Ok(()));
        assert_eq!(
            with("application/json", &hex(&HashKind::Sha256.digest(b"other"))),
            Err(VerifyError::PayloadHashMismatch)
        );
        assert_eq!(with("text/plain", UNSIGNED_PAYLOAD), Ok(()));
        for json in ["application/json", "Application/JSON;charset=utf-8", "application/bson"] {
            assert_eq!(with(json, UNSIGNED_PAYLOAD), Err(VerifyError::UnsignedPayloadNotAllowed), "{json}");
        }
        // UNSIGNED-PAYLOAD with a Content-Type that is not signed, or none.
        let mut request = signed(&signer);
        request.set_header("Content-Type", "text/plain");
        request.set_header("X-Sdk-Content-Sha256", UNSIGNED_PAYLOAD);
        sign_covering(&signer, &mut request, &names[1..], Some(UNSIGNED_PAYLOAD));
        assert_eq!(verify(&request, &key).map(|_| ()), Err(VerifyError::UnsignedPayloadNotAllowed));
        request.headers.retain(|(name, _)| name != "Content-Type");
        assert_eq!(verify(&request, &key).map(|_| ()), Err(VerifyError::UnsignedPayloadNotAllowed));
        // What the signer does for a body that is not JSON verifies, and its body is not covered.
        let mut request = HttpRequest::new("PUT", URL);
        request.headers.push(("Content-Type".into(), "application/octet-stream".into()));
        request.body = b"bytes".to_vec();
        Signer::new(key.clone(), Algorithm::HmacSm3, None).unwrap().sign(&mut request, SdkDate::from_unix(0)).unwrap();
        assert_eq!(request.header("X-Sdk-Content-Sm3"), Some(UNSIGNED_PAYLOAD));
        assert!(verify(&request, &key).is_ok());
        request.body = b"other bytes".to_vec();
        assert!(verify(&request, &key).is_ok());
    }

    #[test]
    fn the_signer_hashes_a_json_body_whose_content_type_has_blanks_around_it() {
        let key = AccessKey::new("AK", "SK");
        let mut request = HttpRequest::new("PUT", URL);
        request.headers.push(("Content-Type".into(), " application/json ".into()));
        request.body = BODY.to_vec();
        signer(&key, Algorithm::HmacSha256).sign(&mut request, SdkDate::from_unix(0)).unwrap();
        assert_eq!(request.header("X-Sdk-Content-Sha256"), None);
        assert!(verify(&request, &key).is_ok());
    }

    #[test]
    fn a_signature_must_cover_host_and_date_and_a_temporary_keys_token() {
        let key = AccessKey::new("AK", "SK");
        for algorithm in Algorithm::ALL {
            let signer = signer(&key, algorithm);
            let mut request = signed(&signer);
            sign_covering(&signer, &mut request, &["x-sdk-date"], None);
            assert_eq!(verify(&request, &key).map(|_| ()), Err(VerifyError::NotSigned("host".into())), "{algorithm}");
            sign_covering(&signer, &mut request, &["content-type", "host"], None);
            let refused = verify(&request, &key).map(|_| ());
            assert_eq!(refused, Err(VerifyError::NotSigned("x-sdk-date".into())), "{algorithm}");
            sign_covering(&signer, &mut request, &["host", "x-sdk-date"], None);
            assert_eq!(verify(&request, &key).map(|a| a.algorithm), Ok(algorithm));
        }
        let key = AccessKey::new("AK", "SK").with_security_token("token");
        let signer = signer(&key, Algorithm::HmacSha256);
        let mut request = signed(&signer);
        assert!(verify(&request, &key).is_ok());
        sign_covering(&signer, &mut request, &["host", "x-sdk-date"], None);
        let refused = verify(&request, &key).map(|_| ());
        assert_eq!(refused, Err(VerifyError::NotSigned("x-security-token".into())));
        assert!(refused.unwrap_err().to_string().contains("does not cover `x-security-token`"));
    }

    #[test]
    fn a_server_can_pin_the_host_and_the_v11_scope() {
        let key = AccessKey::new("AK", "SK");
        let request = signed(&signer(&key, Algorithm::V11HmacSha256));
        let verifier = || Verifier::new(key.clone());
        let scope = |region: &str, service: &str| DerivedScope { region: region.into(), service: service.into() };
        assert!(verifier().expect_host("KMS.example.com").verify(&request).is_ok());
        assert!(verifier().expect_host("127.0.0.1:1").expect_host("kms.example.com").verify(&request).is_ok());
        assert_eq!(
            verifier().expect_host("kms.example.com:443").verify(&request).map(|_| ()),
            Err(VerifyError::UnexpectedHost("kms.example.com".into()))
        );
        assert!(verifier().expect_scope(scope("cn-north-4", "csms")).verify(&request).is_ok());
        for (region, service) in [("cn-north-1", "csms"), ("cn-north-4", "kms")] {
            assert_eq!(
                verifier().expect_scope(scope(region, service)).verify(&request).map(|_| ()),
                Err(VerifyError::UnexpectedScope { region: "cn-north-4".into(), service: "csms".into() })
            );
        }
        // A scope pinned leaves the algorithms without one alone.
        let plain = signed(&signer(&key, Algorithm::HmacSha256));
        assert!(verifier().expect_scope(scope("cn-north-1", "kms")).verify(&plain).is_ok());
    }

    #[test]
    fn the_date_must_be_within_15_minutes_of_the_servers_time() {
        let key = AccessKey::new("AK", "SK");
        let request = signed(&signer(&key, Algorithm::HmacSha256));
        let at = SdkDate::from_unix(1_700_000_000);
        let verifier = Verifier::new(key);
        for skew in [0, 900, -900] {
            assert!(verifier.verify_at(&request, at.offset(skew)).is_ok(), "{skew}");
        }
        for skew in [901, -901, 86_400 * 365 * 100, i64::MIN / 2] {
            let now = at.offset(skew);
            assert_eq!(
                verifier.verify_at(&request, now).map(|_| ()),
                Err(VerifyError::Expired { signed_at: at, now }),
                "{skew}"
            );
        }
        let refused = verifier.verify_at(&request, at.offset(3600)).unwrap_err().to_string();
        assert_eq!(refused, "signature expired, signature time:20231114T221320Z,server time:20231114T231320Z");
    }

    #[test]
    fn another_access_key_is_unknown() {
        let request = signed(&signer(&AccessKey::new("AK2", "SK"), Algorithm::HmacSha256));
        let refused = verify(&request, &AccessKey::new("AK", "SK")).map(|_| ());
        assert_eq!(refused, Err(VerifyError::UnknownAccessKey("AK2".into())));
    }

    #[test]
    fn one_verifier_checks_every_algorithm_again_and_again() {
        let key = AccessKey::new("AK", "SK");
        let verifier = Verifier::new(key.clone());
        let scope = || Some(DerivedScope { region: "cn-north-4".into(), service: "csms".into() });
        for algorithm in [
            Algorithm::HmacSha256,
            Algorithm::HmacSm3,
            Algorithm::V11HmacSha256,
            Algorithm::EcdsaP256Sha256,
            Algorithm::Sm2Sm3,
        ] {
            let derived = if algorithm == Algorithm::V11HmacSha256 { scope() } else { None };
            let signer = Signer::new(key.clone(), algorithm, derived).unwrap();
            for n in 0..2 {
                let mut request = HttpRequest::new("PUT", format!("https://kms.example.com/v1/p/secrets/s{n}"));
                request.body = format!("{{\"n\":{n}}}").into_bytes();
                signer.sign(&mut request, SdkDate::from_unix(1_700_000_000 + n)).unwrap();
                assert_eq!(verifier.verify(&request).map(|a| a.algorithm), Ok(algorithm));
                request.body.push(b' ');
                assert!(
                    matches!(verifier.verify(&request), Err(VerifyError::SignatureMismatch { .. })),
                    "{algorithm}: a changed body must not verify"
                );
            }
        }
        let other = Verifier::new(AccessKey::new("AK", "other SK"));
        let mut request = HttpRequest::new("GET", "https://kms.example.com/v1/p/secrets");
        Signer::new(key, Algorithm::Sm2Sm3, None).unwrap().sign(&mut request, SdkDate::from_unix(0)).unwrap();
        assert!(matches!(other.verify(&request), Err(VerifyError::SignatureMismatch { .. })));
    }

    #[test]
    fn a_mismatch_shows_the_canonical_request_without_the_token() {
        let key = AccessKey::new("AK", "SK").with_security_token("Token-SeCrEt");
        let mut request = HttpRequest::new("GET", "https://kms.example.com/v1/p/secrets");
        request.headers.push(("X-Auth-Token".into(), "Iam-SeCrEt".into()));
        Signer::new(key.clone(), Algorithm::HmacSha256, None)
            .unwrap()
            .sign(&mut request, SdkDate::from_unix(0))
            .unwrap();
        request.url.push_str("?changed=1");
        match verify(&request, &key) {
            Err(e @ VerifyError::SignatureMismatch { .. }) => {
                let VerifyError::SignatureMismatch { canonical_request, .. } = &e else { unreachable!() };
                assert!(canonical_request.contains("\nx-auth-token:***\n"), "{canonical_request}");
                assert!(canonical_request.contains("\nx-security-token:***\n"), "{canonical_request}");
                assert!(canonical_request.contains("changed=1"), "{canonical_request}");
                assert!(!format!("{e:?}").contains("SeCrEt"), "{e:?}");
            }
            other => panic!("expected a signature mismatch, got {other:?}"),
        }
    }
}

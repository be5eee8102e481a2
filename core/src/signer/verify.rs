//! Checking a signed request, as a server does (the emulator uses it).

use super::canonical::canonical_request;
use super::{Algorithm, DerivedScope, Signer};
use crate::credentials::AccessKey;
use crate::http::HttpRequest;
use crate::time::SdkDate;
use std::fmt;
use std::sync::OnceLock;
use zeroize::Zeroize;

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

/// Why a request's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// There is no `Authorization` header.
    MissingAuthorization,
    /// The `Authorization` header cannot be read; the text says which part.
    Malformed(String),
    /// `X-Sdk-Date` is missing or not a valid time.
    BadDate,
    /// A header named in `SignedHeaders` is not in the request.
    MissingSignedHeader(String),
    /// The V11 credential scope does not match the request's date.
    ScopeMismatch,
    /// The request's security token is missing or differs from the key's.
    SecurityTokenMismatch,
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
            VerifyError::BadDate => f.write_str("X-Sdk-Date is missing or invalid"),
            VerifyError::MissingSignedHeader(h) => write!(f, "signed header `{h}` is missing"),
            VerifyError::ScopeMismatch => f.write_str("the credential scope does not match X-Sdk-Date"),
            VerifyError::SecurityTokenMismatch => f.write_str("the security token does not match"),
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

/// Verifies the signature of `req` with `key` (the key its AK names). Returns the parsed
/// `Authorization` on success. Checking that `X-Sdk-Date` is close to the server's clock is
/// left to the caller, who owns the clock. A server checking many requests of one key keeps
/// a [`Verifier`] instead.
pub fn verify(req: &HttpRequest, key: &AccessKey) -> Result<Authorization, VerifyError> {
    Verifier::new(key.clone()).verify(req)
}

/// Verifies requests signed with one key, keeping what it derives from the SK (the HMAC
/// state; for ECDSA and SM2 the key pair, whose derivation costs more than a verification)
/// from one request to the next.
///
/// ```
/// use csms_core::{AccessKey, Algorithm, HttpRequest, SdkDate, Signer, Verifier};
/// let key = AccessKey::new("AK", "SK");
/// let mut request = HttpRequest::new("GET", "https://kms.cn-north-4.myhuaweicloud.com/v1/p/secrets");
/// Signer::new(key.clone(), Algorithm::EcdsaP256Sha256, None).unwrap().sign(&mut request, SdkDate::from_unix(0)).unwrap();
/// let verifier = Verifier::new(key);
/// assert!(verifier.verify(&request).is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    key: AccessKey,
    /// The signer of each algorithm without a derived scope, made on first use.
    signers: [OnceLock<Result<Signer, String>>; 4],
}

impl Verifier {
    /// A verifier of requests signed with `key`.
    pub fn new(key: AccessKey) -> Self {
        Verifier { key, signers: Default::default() }
    }

    /// [`verify`] with this verifier's key.
    pub fn verify(&self, req: &HttpRequest) -> Result<Authorization, VerifyError> {
        let auth = parse_authorization(req.header("Authorization").ok_or(VerifyError::MissingAuthorization)?)?;
        if auth.access_key_id != self.key.ak {
            return Err(VerifyError::Malformed("the access key id differs from the key's".into()));
        }
        let at = req.header("X-Sdk-Date").and_then(|d| SdkDate::parse(d.trim()).ok()).ok_or(VerifyError::BadDate)?;
        if let Some(token) = &self.key.security_token {
            // The signer sends header values trimmed, as the official signer does.
            if req.header("X-Security-Token").map(super::canonical::strip)
                != Some(super::canonical::strip(token.expose()))
            {
                return Err(VerifyError::SecurityTokenMismatch);
            }
        }
        let derived;
        let signer = match &auth.scope {
            Some((date, region, service)) => {
                if *date != at.date_stamp() {
                    return Err(VerifyError::ScopeMismatch);
                }
                let scope = DerivedScope { region: region.clone(), service: service.clone() };
                derived = self.signer(auth.algorithm, Some(scope));
                &derived
            }
            None => self.signers[slot(auth.algorithm)].get_or_init(|| self.signer(auth.algorithm, None)),
        };
        let signer = signer.as_ref().map_err(|e| VerifyError::Malformed(e.clone()))?;
        let canonical = canonical_request(req, &auth.signed_headers, auth.algorithm.hash())
            .map_err(VerifyError::MissingSignedHeader)?;
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
            let canonical_request = shown_canonical_request(req, &auth).unwrap_or(canonical);
            Err(VerifyError::SignatureMismatch { canonical_request, string_to_sign })
        }
    }

    fn signer(&self, algorithm: Algorithm, scope: Option<DerivedScope>) -> Result<Signer, String> {
        Signer::new(self.key.clone(), algorithm, scope).map_err(|e| e.to_string())
    }
}

/// Headers whose values are secrets, shown as `***` in [`VerifyError::SignatureMismatch`].
const SECRET_HEADERS: [&str; 2] = ["X-Security-Token", "X-Auth-Token"];

/// The canonical request of `req` as an error shows it: built from a copy whose secret
/// header values (a security token or an IAM token) read `***`, the rest as signed, so
/// that it can still be compared with the client's. `None` when nothing had to be hidden.
fn shown_canonical_request(req: &HttpRequest, auth: &Authorization) -> Option<String> {
    let secret = |name: &str| SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name));
    if !req.headers.iter().any(|(name, _)| secret(name)) {
        return None;
    }
    let mut shown = req.clone();
    for (name, value) in shown.headers.iter_mut() {
        if secret(name) {
            value.zeroize();
            value.push_str("***");
        }
    }
    canonical_request(&shown, &auth.signed_headers, auth.algorithm.hash()).ok()
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
    use super::*;

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

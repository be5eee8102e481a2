//! SDK-ECDSA-P256-SHA256 and SDK-SM2-SM3: private keys derived from AK/SK as the official
//! Python signer derives them, signatures written as hex DER.
//!
//! The official signer picks a random nonce; this one derives it deterministically
//! (RFC 6979), so signing needs no random source. Both give valid signatures under the
//! same public key.

use super::hash::HashKind;
use crate::error::{Error, Result};
use p256::elliptic_curve::bigint::{Encoding, U256};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::elliptic_curve::Curve;
use zeroize::{Zeroize, Zeroizing};

/// Derives the private scalar (big-endian bytes, wiped when dropped) for `label` from AK/SK:
/// the first `c = HMAC(SK, 00000001 || label || 00 || AK || counter || 00000100)` with
/// `c <= n - 2` gives `d = c + 1`.
fn derive_scalar(hash: HashKind, label: &str, order: U256, ak: &str, sk: &str) -> Result<Zeroizing<[u8; 32]>> {
    let limit = order.wrapping_sub(&U256::from_u8(2));
    for counter in 0u8..=254 {
        let mut data = Vec::with_capacity(4 + label.len() + 1 + ak.len() + 1 + 4);
        data.extend_from_slice(&[0, 0, 0, 1]);
        data.extend_from_slice(label.as_bytes());
        data.push(0);
        data.extend_from_slice(ak.as_bytes());
        data.push(counter);
        data.extend_from_slice(&[0, 0, 1, 0]);
        let mac = Zeroizing::new(hash.hmac(sk.as_bytes(), &data));
        let mut c = U256::from_be_slice(&*mac);
        let acceptable = c <= limit;
        let d = acceptable.then(|| Zeroizing::new(c.wrapping_add(&U256::ONE).to_be_bytes()));
        c.zeroize();
        if let Some(d) = d {
            return Ok(d);
        }
    }
    Err(Error::validation("sk", "no private key can be derived from this access key"))
}

/// A P-256 or SM2 key pair derived from an access key. The secret scalars are wiped when
/// dropped: `p256`'s signing key wipes its own; `sm2`'s does not, so [`KeyPair`]'s `Drop`
/// writes a key of scalar 1 over it.
#[derive(Clone)]
pub(crate) enum KeyPair {
    P256(p256::ecdsa::SigningKey),
    /// The signing key, and Z_A (which depends only on the public key) computed once.
    Sm2 {
        key: sm2::dsa::SigningKey,
        za: [u8; 32],
    },
}

impl Drop for KeyPair {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl KeyPair {
    /// Overwrites the SM2 secret scalar with 1 (`p256`'s key wipes itself when dropped).
    fn wipe(&mut self) {
        if let KeyPair::Sm2 { key, .. } = self {
            // The assignment writes over the secret scalar in place (the crate's own
            // `NonZeroScalar::zeroize` writes 1 as well); `black_box` keeps that store from
            // being removed as dead.
            let one = Option::<sm2::NonZeroScalar>::from(sm2::NonZeroScalar::new(sm2::Scalar::ONE));
            if let Some(Ok(one)) = one.map(|one| sm2::dsa::SigningKey::from_nonzero_scalar(SM2_ID, one)) {
                *key = one;
                std::hint::black_box(&*key);
            }
        }
    }

    pub(crate) fn p256(ak: &str, sk: &str) -> Result<Self> {
        let d = derive_scalar(HashKind::Sha256, "SDK-ECDSA-P256-SHA256", p256::NistP256::ORDER, ak, sk)?;
        let key = p256::ecdsa::SigningKey::from_slice(&*d)
            .map_err(|_| Error::validation("sk", "derived P-256 key is invalid"))?;
        Ok(KeyPair::P256(key))
    }

    pub(crate) fn sm2(ak: &str, sk: &str) -> Result<Self> {
        let d = derive_scalar(HashKind::Sm3, "SDK-SM2-SM3", sm2::Sm2::ORDER, ak, sk)?;
        let mut secret = Option::<sm2::NonZeroScalar>::from(sm2::NonZeroScalar::from_repr((*d).into()))
            .ok_or_else(|| Error::validation("sk", "derived SM2 key is invalid"))?;
        let key = sm2::dsa::SigningKey::from_nonzero_scalar(SM2_ID, secret);
        secret.zeroize();
        let key = key.map_err(|_| Error::validation("sk", "derived SM2 key is invalid"))?;
        let public = key.verifying_key().as_affine().to_encoded_point(false);
        let za = sm2_za(&public.as_bytes()[1..33], &public.as_bytes()[33..65]);
        Ok(KeyPair::Sm2 { key, za })
    }

    /// The DER signature of `string_to_sign`.
    pub(crate) fn sign(&self, string_to_sign: &[u8]) -> Vec<u8> {
        match self {
            KeyPair::P256(key) => {
                use p256::ecdsa::signature::Signer;
                // Failures are unreachable with a valid key. (A literal panic rather than
                // `expect`, which would bring the Debug code of every boxed error source.)
                let sig: p256::ecdsa::Signature =
                    key.try_sign(string_to_sign).unwrap_or_else(|_| panic!("P-256 signing with a valid key"));
                let (r, s) = sig.split_bytes();
                der_encode(&r, &s)
            }
            KeyPair::Sm2 { key, za } => {
                use sm2::dsa::signature::hazmat::PrehashSigner;
                // r = 0 or s = 0 happens with probability ~2^-256; it is treated as unreachable.
                let sig: sm2::dsa::Signature = key
                    .sign_prehash(&sm2_digest(za, string_to_sign))
                    .unwrap_or_else(|_| panic!("SM2 signing with a valid key"));
                der_encode(&sig.r_bytes(), &sig.s_bytes())
            }
        }
    }

    /// Whether `der` is a valid signature of `string_to_sign` under this key's public half.
    pub(crate) fn verify(&self, string_to_sign: &[u8], der: &[u8]) -> bool {
        let Some((r, s)) = der_decode(der) else {
            return false;
        };
        match self {
            KeyPair::P256(key) => {
                use p256::ecdsa::signature::Verifier;
                let Ok(sig) = p256::ecdsa::Signature::from_scalars(r, s) else {
                    return false;
                };
                key.verifying_key().verify(string_to_sign, &sig).is_ok()
            }
            KeyPair::Sm2 { key, za } => {
                use sm2::dsa::signature::hazmat::PrehashVerifier;
                let Ok(sig) = sm2::dsa::Signature::from_scalars(r, s) else {
                    return false;
                };
                key.verifying_key().verify_prehash(&sm2_digest(za, string_to_sign), &sig).is_ok()
            }
        }
    }
}

/// The SM2 distinguishing identifier the official signer uses.
const SM2_ID: &str = "1234567812345678";

/// Z_A of the public key `(x, y)`, writing every integer in its minimal length as the
/// official signer does (GM/T 0003 would pad the coordinates to 32 bytes).
fn sm2_za(x: &[u8], y: &[u8]) -> [u8; 32] {
    const A: &str = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC";
    const B: &str = "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93";
    const GX: &str = "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7";
    const GY: &str = "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0";
    let mut z = Vec::with_capacity(2 + 16 + 6 * 32);
    z.extend_from_slice(&[0x00, 0x80]);
    z.extend_from_slice(SM2_ID.as_bytes());
    for constant in [A, B, GX, GY] {
        z.extend_from_slice(&super::hash::unhex(constant).expect("constant hex"));
    }
    z.extend_from_slice(minimal(x));
    z.extend_from_slice(minimal(y));
    HashKind::Sm3.digest(&z)
}

/// `e = SM3(Z_A || M)`.
fn sm2_digest(za: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut m = Vec::with_capacity(32 + message.len());
    m.extend_from_slice(za);
    m.extend_from_slice(message);
    HashKind::Sm3.digest(&m)
}

/// `bytes` without its leading zero bytes (Python's minimal `int.to_bytes`).
fn minimal(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` for 32-byte big-endian r and s.
fn der_encode(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn integer(out: &mut Vec<u8>, v: &[u8]) {
        let v = minimal(v);
        let pad = v.first().is_none_or(|&b| b & 0x80 != 0);
        out.push(0x02);
        out.push((v.len() + usize::from(pad)) as u8);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
    }
    let mut body = Vec::with_capacity(72);
    integer(&mut body, r);
    integer(&mut body, s);
    let mut out = Vec::with_capacity(body.len() + 2);
    out.push(0x30);
    out.push(body.len() as u8);
    out.extend_from_slice(&body);
    out
}

/// The 32-byte `(r, s)` of a DER signature; `None` if it is not one.
fn der_decode(der: &[u8]) -> Option<([u8; 32], [u8; 32])> {
    fn integer(input: &[u8]) -> Option<([u8; 32], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let len = len as usize;
        if tag != 0x02 || len == 0 || len > 33 || rest.len() < len {
            return None;
        }
        let (value, rest) = rest.split_at(len);
        let value = minimal(value);
        if value.len() > 32 {
            return None;
        }
        let mut out = [0u8; 32];
        out[32 - value.len()..].copy_from_slice(value);
        Some((out, rest))
    }
    let (&tag, rest) = der.split_first()?;
    let (&len, body) = rest.split_first()?;
    if tag != 0x30 || len as usize != body.len() {
        return None;
    }
    let (r, rest) = integer(body)?;
    let (s, rest) = integer(rest)?;
    rest.is_empty().then_some((r, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_fails() {
        for pair in [KeyPair::p256("AK1", "SK1").unwrap(), KeyPair::sm2("AK1", "SK1").unwrap()] {
            let sig = pair.sign(b"message");
            assert!(pair.verify(b"message", &sig));
            assert!(!pair.verify(b"messagE", &sig));
            let mut bad = sig.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(!pair.verify(b"message", &bad));
        }
    }

    #[test]
    fn the_sm2_secret_is_overwritten_when_wiped() {
        use sm2::elliptic_curve::subtle::ConstantTimeEq;
        let mut pair = KeyPair::sm2("AK", "SK").unwrap();
        let KeyPair::Sm2 { key, .. } = &pair else { unreachable!() };
        let secret = key.clone();
        let one = sm2::NonZeroScalar::new(sm2::Scalar::ONE).unwrap();
        let one = sm2::dsa::SigningKey::from_nonzero_scalar(SM2_ID, one).unwrap();
        pair.wipe();
        let KeyPair::Sm2 { key, .. } = &pair else { unreachable!() };
        assert!(!bool::from(key.ct_eq(&secret)));
        assert!(bool::from(key.ct_eq(&one)));
    }

    #[test]
    fn der_round_trips_with_high_bits_and_leading_zeros() {
        let mut r = [0xffu8; 32];
        let mut s = [0u8; 32];
        s[31] = 1;
        r[0] = 0x80;
        assert_eq!(der_decode(&der_encode(&r, &s)), Some((r, s)));
    }

    #[test]
    fn minimal_strips_leading_zeros() {
        assert_eq!(minimal(&[0, 0, 5, 0]), &[5, 0]);
    }

    #[test]
    fn scalar_reduction_is_consistent() {
        // A derived key equals c + 1 for the first acceptable counter; for ordinary
        // inputs that is counter 0.
        let c =
            U256::from_be_slice(&HashKind::Sha256.hmac(
                b"SK",
                &[&[0u8, 0, 0, 1][..], b"SDK-ECDSA-P256-SHA256", &[0], b"AK", &[0], &[0, 0, 1, 0]].concat(),
            ));
        let d = derive_scalar(HashKind::Sha256, "SDK-ECDSA-P256-SHA256", p256::NistP256::ORDER, "AK", "SK").unwrap();
        assert_eq!(U256::from_be_slice(&*d), c.wrapping_add(&U256::ONE));
    }
}

//! SDK-ECDSA-P256-SHA256 and SDK-SM2-SM3: private keys derived from AK/SK as the official
//! Python signer derives them, signatures written as hex DER.
//!
//! The official signer picks a random nonce; this one derives it deterministically
//! (RFC 6979), so signing needs no random source. Both give valid signatures under the
//! same public key.
//!
//! The arithmetic is the core's own (`curve.rs`); the nonce is computed as the RustCrypto
//! `p256` and `sm2` crates compute it, so the signatures are the same bytes as theirs (the
//! tests compare them; the crates are dev-dependencies only).

use super::curve::{add_carry, from_be, is_zero, to_be, Curve, Limbs, Modulus, LIMBS, ONE, P256, SM2};
use super::hash::HashKind;
use crate::error::{Error, Result};
use zeroize::{Zeroize, Zeroizing};

/// Derives the private scalar (big-endian bytes, wiped when dropped) for `label` from AK/SK:
/// the first `c = HMAC(SK, 00000001 || label || 00 || AK || counter || 00000100)` with
/// `c <= n - 2` gives `d = c + 1`.
fn derive_small(hash: HashKind, label: &str, order: &Modulus, ak: &str, sk: &str) -> Result<Zeroizing<[u8; 32]>> {
    for counter in 0u8..=254 {
        let mut data = Vec::with_capacity(4 + label.len() + 1 + ak.len() + 1 + 4);
        data.extend_from_slice(&[0, 0, 0, 1]);
        data.extend_from_slice(label.as_bytes());
        data.push(0);
        data.extend_from_slice(ak.as_bytes());
        data.push(counter);
        data.extend_from_slice(&[0, 0, 1, 0]);
        let mac = Zeroizing::new(hash.hmac(sk.as_bytes(), &data));
        // c <= n - 2 exactly when c + 1 does not overflow and is below n.
        let (mut d, carry) = add_carry(&from_be(&mac), &ONE);
        let acceptable = carry == 0 && order.in_range(&d);
        let bytes = Zeroizing::new(to_be(&d));
        d.zeroize();
        if acceptable {
            return Ok(bytes);
        }
    }
    Err(Error::validation("sk", "no private key can be derived from this access key"))
}

/// RFC 6979's deterministic nonce for the secret `x` and the message representative `h`
/// (both big-endian), computed exactly as the `rfc6979` crate does (HMAC-DRBG with `hash`,
/// no additional data; K and V updated after every candidate), so that signatures are the
/// same bytes as the RustCrypto crates'. The DRBG state is wiped when dropped.
fn rfc6979_nonce(hash: HashKind, x: &[u8; 32], h: &[u8; 32], order: &Modulus) -> Zeroizing<Limbs> {
    let mut k = Zeroizing::new([0u8; 32]);
    let mut v = Zeroizing::new([1u8; 32]);
    let mut data = Zeroizing::new(Vec::with_capacity(32 + 1 + 32 + 32));
    for round in 0..=1u8 {
        data.clear();
        data.extend_from_slice(&*v);
        data.push(round);
        data.extend_from_slice(x);
        data.extend_from_slice(h);
        *k = hash.hmac(&*k, &data);
        *v = hash.hmac(&*k, &*v);
    }
    loop {
        *v = hash.hmac(&*k, &*v);
        let candidate = Zeroizing::new(from_be(&v));
        data.clear();
        data.extend_from_slice(&*v);
        data.push(0);
        *k = hash.hmac(&*k, &data);
        *v = hash.hmac(&*k, &*v);
        if order.in_range(&candidate) {
            return candidate;
        }
    }
}

/// The two curves, with their hash and key derivation label.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    P256,
    Sm2,
}

/// A P-256 or SM2 key pair derived from an access key. The secret scalar is wiped when
/// dropped (and there is no `Debug`).
#[derive(Clone)]
pub(crate) struct KeyPair {
    kind: Kind,
    /// The secret scalar, big-endian.
    secret: Zeroizing<[u8; 32]>,
    /// The public point's plain affine coordinates.
    public: (Limbs, Limbs),
    /// SM2's Z_A (which depends only on the public key), computed once; zeros for P-256.
    za: [u8; 32],
}

/// The plain affine coordinates of `k * G` for a secret scalar `k`; the projective point is
/// wiped. For `k` in `[1, n)`, never the point at infinity (`None`).
fn multiple_of_g(curve: &Curve, k: &Limbs) -> Option<(Limbs, Limbs)> {
    let mut point = curve.mul(k, &curve.generator());
    let affine = curve.to_affine(&point);
    point.zeroize();
    affine
}

/// `x` of `k * G` for the secret scalar `k` in `[1, n)`.
fn x_of_multiple(curve: &Curve, k: &Limbs) -> Limbs {
    multiple_of_g(curve, k).map_or([0; LIMBS], |(x, _)| x)
}

impl Kind {
    /// The curve of this kind.
    fn curve(self) -> &'static Curve {
        match self {
            Kind::P256 => &P256,
            Kind::Sm2 => &SM2,
        }
    }
}

impl KeyPair {
    /// The SDK-ECDSA-P256-SHA256 key pair of an access key.
    pub(crate) fn p256(ak: &str, sk: &str) -> Result<Self> {
        Self::derive(Kind::P256, ak, sk)
    }

    /// The SDK-SM2-SM3 key pair of an access key.
    pub(crate) fn sm2(ak: &str, sk: &str) -> Result<Self> {
        Self::derive(Kind::Sm2, ak, sk)
    }

    /// The key pair of `kind` derived from an access key, with SM2's Z_A.
    fn derive(kind: Kind, ak: &str, sk: &str) -> Result<Self> {
        let (hash, label) = match kind {
            Kind::P256 => (HashKind::Sha256, "SDK-ECDSA-P256-SHA256"),
            Kind::Sm2 => (HashKind::Sm3, "SDK-SM2-SM3"),
        };
        let curve = kind.curve();
        let secret = derive_small(hash, label, &curve.n, ak, sk)?;
        let d = Zeroizing::new(from_be(&secret));
        // d is in [1, n), so d * G is never the point at infinity.
        let public = multiple_of_g(curve, &d).ok_or_else(|| Error::validation("sk", "derived key is invalid"))?;
        let za = match kind {
            Kind::P256 => [0; 32],
            Kind::Sm2 => sm2_za(&to_be(&public.0), &to_be(&public.1)),
        };
        Ok(KeyPair { kind, secret, public, za })
    }

    /// The curve of this key pair.
    fn curve(&self) -> &'static Curve {
        self.kind.curve()
    }

    /// The DER signature of `string_to_sign`: ECDSA with SHA-256 (`s = k^-1 (z + r d)`) or
    /// SM2 with SM3 (`r = e + x1`, `s = (1 + d)^-1 (k - r d)`), `k` from RFC 6979.
    pub(crate) fn sign(&self, string_to_sign: &[u8]) -> Vec<u8> {
        let curve = self.curve();
        let n = &curve.n;
        let d = Zeroizing::new(from_be(&self.secret));
        let rd = |r: &Limbs| Zeroizing::new(n.mul_plain(r, &d));
        let (r, s) = match self.kind {
            Kind::P256 => {
                let digest = HashKind::Sha256.digest(string_to_sign);
                let z = n.reduce(&digest);
                let k = rfc6979_nonce(HashKind::Sha256, &self.secret, &digest, n);
                let r = n.reduce(&to_be(&x_of_multiple(curve, &k)));
                let k_inv = Zeroizing::new(n.invert_plain(&k));
                let sum = Zeroizing::new(n.add(&z, &rd(&r)));
                (r, n.mul_plain(&k_inv, &sum))
            }
            Kind::Sm2 => {
                let e = n.reduce(&sm2_digest(&self.za, string_to_sign));
                let k = rfc6979_nonce(HashKind::Sm3, &self.secret, &to_be(&e), n);
                let r = n.add(&e, &n.reduce(&to_be(&x_of_multiple(curve, &k))));
                // r = 0 or r + k = n happens with probability ~2^-256: treated as unreachable.
                if is_zero(&n.add(&r, &k)) {
                    panic!("SM2 signing with a valid key");
                }
                let inv = Zeroizing::new(n.invert_plain(&n.add(&d, &ONE)));
                let diff = Zeroizing::new(n.sub(&k, &rd(&r)));
                (r, n.mul_plain(&inv, &diff))
            }
        };
        // r = 0 or s = 0 happens with probability ~2^-256; it is treated as unreachable (a
        // literal panic rather than `expect`, which would bring Debug code).
        if is_zero(&r) || is_zero(&s) {
            panic!("signing with a valid key");
        }
        der_encode(&to_be(&r), &to_be(&s))
    }

    /// Whether `der` is a valid signature of `string_to_sign` under this key's public half
    /// (variable time: every input is public).
    pub(crate) fn verify(&self, string_to_sign: &[u8], der: &[u8]) -> bool {
        let Some((r, s)) = der_decode(der) else {
            return false;
        };
        let curve = self.curve();
        let n = &curve.n;
        let (r, s) = (from_be(&r), from_be(&s));
        if !n.in_range(&r) || !n.in_range(&s) {
            return false;
        }
        // ECDSA: x of (z / s) G + (r / s) Q is r. SM2: e + x of s G + (r + s) Q is r.
        let (u1, u2, e) = match self.kind {
            Kind::P256 => {
                let w = n.invert_plain(&s);
                let z = n.reduce(&HashKind::Sha256.digest(string_to_sign));
                (n.mul_plain(&z, &w), n.mul_plain(&r, &w), [0; LIMBS])
            }
            Kind::Sm2 => (s, n.add(&r, &s), n.reduce(&sm2_digest(&self.za, string_to_sign))),
        };
        if is_zero(&u2) {
            return false;
        }
        let q = curve.point(&self.public.0, &self.public.1);
        let point = curve.add(&curve.mul(&u1, &curve.generator()), &curve.mul(&u2, &q));
        curve.to_affine(&point).is_some_and(|(x, _)| n.add(&e, &n.reduce(&to_be(&x))) == r)
    }
}

/// The SM2 distinguishing identifier the official signer uses.
const SM2_ID: &str = "1234567812345678";

/// Z_A of the public key `(x, y)`, writing every integer in its minimal length as the
/// official signer does (GM/T 0003 would pad the coordinates to 32 bytes).
fn sm2_za(x: &[u8], y: &[u8]) -> [u8; 32] {
    let mut z = Vec::with_capacity(2 + 16 + 6 * 32);
    z.extend_from_slice(&[0x00, 0x80]);
    z.extend_from_slice(SM2_ID.as_bytes());
    for constant in SM2.coefficients() {
        z.extend_from_slice(&constant);
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
    use super::super::curve::{small, Point, Word};
    use super::*;
    use p256::ecdsa::signature::hazmat::{PrehashVerifier, RandomizedPrehashSigner};
    use p256::ecdsa::signature::rand_core::{CryptoRng, Error as RandError, RngCore};
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    /// A deterministic "random" source for the crates' randomized signing (other nonces
    /// than RFC 6979's, so that verification sees signatures it did not make itself).
    struct Counter(u64);
    impl RngCore for Counter {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 11
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for b in dest {
                *b = self.next_u64() as u8;
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> std::result::Result<(), RandError> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl CryptoRng for Counter {}

    /// How many (AK, SK, message) triples the differential tests try.
    const CASES: u32 = if cfg!(debug_assertions) { 200 } else { 3000 };

    /// The `i`-th triple: varied lengths (also empty and longer than a block) and bytes.
    fn case(i: u32) -> (String, String, Vec<u8>) {
        let message = (0..(i * 37) % 301).map(|j| (i.wrapping_mul(31) ^ (j * 7)) as u8).collect();
        (format!("AK{i:05}EXAMPLE"), format!("SK-{i}-{}", "x".repeat((i % 70) as usize)), message)
    }

    fn affine_bytes(curve: &Curve, point: &Point) -> Option<([u8; 32], [u8; 32])> {
        curve.to_affine(point).map(|(x, y)| (to_be(&x), to_be(&y)))
    }

    /// `bytes` with one bit flipped.
    fn flipped(bytes: &[u8; 32], bit: usize) -> [u8; 32] {
        let mut out = *bytes;
        out[bit / 8 % 32] ^= 1 << (bit % 8);
        out
    }

    /// Our verification rejects every tampered form of a valid `(r, s)` for `message`.
    fn rejects_tampering(pair: &KeyPair, message: &[u8], r: &[u8; 32], s: &[u8; 32], i: u32) {
        let n = to_be(&pair.curve().n.m);
        let zero = [0u8; 32];
        let mut n_plus_r = to_be(&add_carry(&pair.curve().n.m, &from_be(r)).0);
        if add_carry(&pair.curve().n.m, &from_be(r)).1 == 1 {
            n_plus_r = n;
        }
        for (bad_r, bad_s) in [
            (zero, *s),
            (*r, zero),
            (n, *s),
            (*r, n),
            (n_plus_r, *s),
            ([0xff; 32], *s),
            (flipped(r, i as usize), *s),
            (*r, flipped(s, i as usize * 7)),
            (*s, *r),
        ] {
            assert!(!pair.verify(message, &der_encode(&bad_r, &bad_s)), "case {i}");
        }
        let mut other = message.to_vec();
        other.push(b'!');
        assert!(!pair.verify(&other, &der_encode(r, s)), "case {i}");
    }

    /// Our public point is the crate's (uncompressed SEC1 `04 || x || y`).
    fn same_public(pair: &KeyPair, sec1: &[u8], i: u32) {
        assert_eq!((&sec1[1..33], &sec1[33..65]), (&to_be(&pair.public.0)[..], &to_be(&pair.public.1)[..]), "case {i}");
    }

    /// For `CASES` key pairs made by `derive` and messages: our signature verifies, `check`
    /// compares it with the crate's and returns a signature the crate made with another
    /// nonce, which must verify, and every tampered form of it must not.
    fn differential(
        derive: fn(&str, &str) -> Result<KeyPair>,
        mut check: impl FnMut(&KeyPair, &[u8], &[u8], u32) -> ([u8; 32], [u8; 32]),
    ) {
        for i in 0..CASES {
            let (ak, sk, message) = case(i);
            let pair = derive(&ak, &sk).unwrap();
            let ours = pair.sign(&message);
            assert!(pair.verify(&message, &ours), "case {i}");
            let (r, s) = check(&pair, &message, &ours, i);
            assert!(pair.verify(&message, &der_encode(&r, &s)), "case {i}");
            rejects_tampering(&pair, &message, &r, &s, i);
        }
    }

    #[test]
    fn p256_signatures_are_the_crates_bytes_and_verify_both_ways() {
        let mut rng = Counter(1);
        differential(KeyPair::p256, |pair, message, ours, i| {
            let theirs = p256::ecdsa::SigningKey::from_slice(&*pair.secret).unwrap();
            same_public(pair, theirs.verifying_key().as_affine().to_encoded_point(false).as_bytes(), i);
            let expected: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&theirs, message);
            let (r, s) = expected.split_bytes();
            assert_eq!(ours, der_encode(&r, &s), "case {i}");
            let digest = HashKind::Sha256.digest(message);
            let random: p256::ecdsa::Signature = theirs.sign_prehash_with_rng(&mut rng, &digest).unwrap();
            let (r, s) = random.split_bytes();
            (r.into(), s.into())
        });
    }

    #[test]
    fn sm2_signatures_are_the_crates_bytes_and_verify_both_ways() {
        let mut rng = Counter(2);
        differential(KeyPair::sm2, |pair, message, ours, i| {
            let theirs = sm2::dsa::SigningKey::from_slice(SM2_ID, &*pair.secret).unwrap();
            same_public(pair, theirs.verifying_key().as_affine().to_encoded_point(false).as_bytes(), i);
            let digest = sm2_digest(&pair.za, message);
            let expected: sm2::dsa::Signature =
                p256::ecdsa::signature::hazmat::PrehashSigner::sign_prehash(&theirs, &digest).unwrap();
            assert_eq!(ours, der_encode(&expected.r_bytes(), &expected.s_bytes()), "case {i}");
            let random: sm2::dsa::Signature = theirs.sign_prehash_with_rng(&mut rng, &digest).unwrap();
            assert!(theirs.verifying_key().verify_prehash(&digest, &random).is_ok());
            (random.r_bytes().into(), random.s_bytes().into())
        });
    }

    #[test]
    fn the_nonce_is_the_rfc6979_crates_also_after_rejected_candidates() {
        // With n just above 2^255, about half of the DRBG's candidates are >= n and rejected,
        // so K and V are updated between candidates (with P-256's or SM2's n, ~2^-32).
        let n = Modulus::new("8000000000000000000000000000000000000000000000000000000000000001");
        let n_bytes = to_be(&n.m).into();
        let mut rejected = 0;
        for i in 0..64u8 {
            let x = [i.wrapping_mul(13) | 1; 32];
            let h = core::array::from_fn(|j| (j as u8).wrapping_mul(i));
            let ours = to_be(&rfc6979_nonce(HashKind::Sha256, &x, &h, &n));
            let theirs = rfc6979::generate_k::<sha2::Sha256, _>(&x.into(), &n_bytes, &h.into(), &[]);
            assert_eq!(ours[..], theirs[..], "SHA-256, case {i}");
            let ours = to_be(&rfc6979_nonce(HashKind::Sm3, &x, &h, &n));
            let theirs = rfc6979::generate_k::<sm3::Sm3, _>(&x.into(), &n_bytes, &h.into(), &[]);
            assert_eq!(ours[..], theirs[..], "SM3, case {i}");
            // The first candidate is the DRBG's first output: count the cases that went on.
            let first = rfc6979::generate_k::<sha2::Sha256, _>(&x.into(), &[0xff; 32].into(), &h.into(), &[]);
            rejected += usize::from(first[..] != ours_sha256(&x, &h, &n)[..]);
        }
        assert!(rejected > 10, "{rejected} cases with a rejected candidate");
    }

    /// Our SHA-256 nonce for `n`, as bytes.
    fn ours_sha256(x: &[u8; 32], h: &[u8; 32], n: &Modulus) -> [u8; 32] {
        to_be(&rfc6979_nonce(HashKind::Sha256, x, h, n))
    }

    #[test]
    fn a_signature_whose_sum_is_the_point_at_infinity_is_rejected() {
        // ECDSA: with r = -z / d, (z + r d) / s = 0, so u1 G + u2 Q is the point at infinity.
        let pair = KeyPair::p256("AK", "SK").unwrap();
        let n = &P256.n;
        let d = from_be(&pair.secret);
        let z = n.reduce(&HashKind::Sha256.digest(b"message"));
        let r = n.sub(&[0; LIMBS], &n.mul_plain(&z, &n.invert_plain(&d)));
        assert!(!pair.verify(b"message", &der_encode(&to_be(&r), &to_be(&ONE))));
        // SM2: with s = -r d / (1 + d), s G + (r + s) Q is the point at infinity; with r = e,
        // "e + x" would equal r if the point at infinity were taken as x = 0.
        let pair = KeyPair::sm2("AK", "SK").unwrap();
        let n = &SM2.n;
        let d = from_be(&pair.secret);
        let r = n.reduce(&sm2_digest(&pair.za, b"message"));
        let s = n.sub(&[0; LIMBS], &n.mul_plain(&n.mul_plain(&r, &d), &n.invert_plain(&n.add(&d, &ONE))));
        let sum = SM2.add(&SM2.mul(&s, &SM2.generator()), &SM2.mul(&n.add(&r, &s), &SM2.mul(&d, &SM2.generator())));
        assert!(SM2.to_affine(&sum).is_none());
        assert!(!pair.verify(b"message", &der_encode(&to_be(&r), &to_be(&s))));
    }

    #[test]
    fn scalar_multiples_of_the_generators_are_known_points() {
        for curve in [&P256, &SM2] {
            let g = curve.generator();
            let (gx, gy) = curve.to_affine(&g).unwrap();
            assert_eq!(curve.to_affine(&curve.mul(&ONE, &g)), Some((gx, gy)));
            // (n - 1) G = -G = (gx, p - gy).
            let minus_one = curve.n.sub(&[0; LIMBS], &ONE);
            assert_eq!(curve.to_affine(&curve.mul(&minus_one, &g)), Some((gx, curve.p.sub(&[0; LIMBS], &gy))));
            assert_eq!(curve.to_affine(&curve.mul(&curve.n.m, &g)), None);
            assert_eq!(curve.to_affine(&curve.mul(&[0; LIMBS], &g)), None);
            // 2G by doubling, by complete addition of G to itself, and by the window.
            let two = curve.mul(&small(2), &g);
            assert_eq!(curve.to_affine(&curve.add(&g, &g)), curve.to_affine(&two));
            // (n - 1) G + G is the point at infinity; adding it changes nothing.
            let infinity = curve.add(&curve.mul(&minus_one, &g), &g);
            assert_eq!(curve.to_affine(&infinity), None);
            assert_eq!(curve.to_affine(&curve.add(&two, &infinity)), curve.to_affine(&two));
        }
        let two = affine_bytes(&P256, &P256.mul(&small(2), &P256.generator())).unwrap();
        let hex = |v: &[u8; 32]| v.iter().map(|b| format!("{b:02X}")).collect::<String>();
        assert_eq!(hex(&two.0), "7CF27B188D034F7E8A52380304B51AC3C08969E277F21B35A60B48FC47669978");
        assert_eq!(hex(&two.1), "07775510DB8ED040293D9AC69F7430DBBA7DADE63CE982299E04B79D227873D1");
        // Against the crates for a few scalars, including ones with every window digit.
        for k in [
            small(2),
            small(3),
            small(0xfedc_ba98),
            [Word::MAX; LIMBS],
            from_be(&core::array::from_fn(|i| (i * 37 + 11) as u8)),
        ] {
            let k_bytes = to_be(&P256.n.reduce(&to_be(&k)));
            let theirs = p256::SecretKey::from_slice(&k_bytes).unwrap().public_key().to_encoded_point(false);
            let ours = affine_bytes(&P256, &P256.mul(&k, &P256.generator())).unwrap();
            assert_eq!((&theirs.as_bytes()[1..33], &theirs.as_bytes()[33..]), (&ours.0[..], &ours.1[..]));
            let k_bytes = to_be(&SM2.n.reduce(&to_be(&k)));
            let theirs = sm2::SecretKey::from_slice(&k_bytes).unwrap().public_key().to_encoded_point(false);
            let ours = affine_bytes(&SM2, &SM2.mul(&k, &SM2.generator())).unwrap();
            assert_eq!((&theirs.as_bytes()[1..33], &theirs.as_bytes()[33..]), (&ours.0[..], &ours.1[..]));
        }
    }

    #[test]
    fn z_a_hashes_the_sm2_coefficients() {
        let hex = |v: &[u8; 32]| v.iter().map(|b| format!("{b:02X}")).collect::<String>();
        assert_eq!(
            SM2.coefficients().map(|c| hex(&c)),
            [
                "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC",
                "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93",
                "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7",
                "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0",
            ]
        );
    }

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
    fn the_derived_scalar_is_the_mac_plus_one() {
        // A derived key equals c + 1 for the first acceptable counter; for ordinary
        // inputs that is counter 0.
        let c =
            from_be(&HashKind::Sha256.hmac(
                b"SK",
                &[&[0u8, 0, 0, 1][..], b"SDK-ECDSA-P256-SHA256", &[0], b"AK", &[0], &[0, 0, 1, 0]].concat(),
            ));
        let d = derive_small(HashKind::Sha256, "SDK-ECDSA-P256-SHA256", &P256.n, "AK", "SK").unwrap();
        assert_eq!(from_be(&d), add_carry(&c, &ONE).0);
    }

    /// Signing time against the crates, interleaved in one process:
    /// `cargo test -p csms-core --release --lib signing_speed -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn signing_speed_against_the_crates() {
        use std::time::Instant;
        let message = vec![b'm'; 300];
        let pair = KeyPair::p256("AK", "SK").unwrap();
        let theirs = p256::ecdsa::SigningKey::from_slice(&*pair.secret).unwrap();
        let sm2_pair = KeyPair::sm2("AK", "SK").unwrap();
        let sm2_theirs = sm2::dsa::SigningKey::from_slice(SM2_ID, &*sm2_pair.secret).unwrap();
        let time = |f: &dyn Fn()| {
            let start = Instant::now();
            for _ in 0..100 {
                f();
            }
            start.elapsed().as_secs_f64() / 100.0 * 1e6
        };
        let (mut p256_ratios, mut sm2_ratios) = (Vec::new(), Vec::new());
        for round in 0..9 {
            let ours = time(&|| drop(std::hint::black_box(pair.sign(&message))));
            let crate_time = time(&|| {
                let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&theirs, &message);
                std::hint::black_box(sig);
            });
            let sm2_ours = time(&|| drop(std::hint::black_box(sm2_pair.sign(&message))));
            let sm2_crate = time(&|| {
                let digest = sm2_digest(&sm2_pair.za, &message);
                let sig: sm2::dsa::Signature =
                    p256::ecdsa::signature::hazmat::PrehashSigner::sign_prehash(&sm2_theirs, &digest).unwrap();
                std::hint::black_box(sig);
            });
            println!(
                "round {round}: P-256 sign ours {ours:.1} us, p256 {crate_time:.1} us; \
                 SM2 sign ours {sm2_ours:.1} us, sm2 {sm2_crate:.1} us"
            );
            p256_ratios.push(ours / crate_time);
            sm2_ratios.push(sm2_ours / sm2_crate);
        }
        p256_ratios.sort_by(f64::total_cmp);
        sm2_ratios.sort_by(f64::total_cmp);
        println!("median ratio ours / crate: P-256 {:.2}x, SM2 {:.2}x", p256_ratios[4], sm2_ratios[4]);
    }
}

//! P-256 and SM2 arithmetic, small rather than fast: one 256-bit Montgomery field over
//! 8 x 32-bit limbs (products in `u64`, one instruction in WebAssembly), used for both
//! curves' base field `p` and group order `n`, and projective points with the complete
//! formulas for `a = -3` of Renes, Costello and Batina 2016 (algorithms 4 and 6), so that no
//! input is an exceptional case.
//!
//! Constant time for secret data: no branch and no memory index depends on a scalar or a
//! coordinate (masks for the conditional subtraction and for selecting a table entry, which
//! reads the whole table). Inversion is by Fermat's little theorem, whose exponent is public.
//! Numbers are little-endian limbs; "plain" means not in Montgomery form.

use zeroize::Zeroize;

/// A 256-bit number as 8 little-endian 32-bit limbs.
pub(crate) type Limbs = [u32; 8];

/// The number 1.
pub(crate) const ONE: Limbs = [1, 0, 0, 0, 0, 0, 0, 0];

/// The big-endian hex text `s` (64 digits) as limbs, at compile time.
const fn hex(s: &str) -> Limbs {
    let s = s.as_bytes();
    assert!(s.len() == 64, "64 hex digits");
    let mut out = [0u32; 8];
    let mut i = 0;
    while i < 64 {
        let c = s[i];
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("upper-case hex digit"),
        };
        out[7 - i / 8] = (out[7 - i / 8] << 4) | digit as u32;
        i += 1;
    }
    out
}

/// `a + b` and the carry out (0 or 1).
pub(crate) const fn add_carry(a: &Limbs, b: &Limbs) -> (Limbs, u32) {
    let mut out = [0u32; 8];
    let mut carry = 0u64;
    let mut i = 0;
    while i < 8 {
        let sum = a[i] as u64 + b[i] as u64 + carry;
        out[i] = sum as u32;
        carry = sum >> 32;
        i += 1;
    }
    (out, carry as u32)
}

/// `a - b` and the borrow out (0 or 1).
const fn sub_borrow(a: &Limbs, b: &Limbs) -> (Limbs, u32) {
    let mut out = [0u32; 8];
    let mut borrow = 0u64;
    let mut i = 0;
    while i < 8 {
        let diff = (a[i] as u64).wrapping_sub(b[i] as u64 + borrow);
        out[i] = diff as u32;
        borrow = diff >> 63;
        i += 1;
    }
    (out, borrow as u32)
}

/// `b` where `mask` is all ones, `a` where it is zero, without a branch.
const fn select(mask: u32, a: &Limbs, b: &Limbs) -> Limbs {
    let mut out = [0u32; 8];
    let mut i = 0;
    while i < 8 {
        out[i] = a[i] ^ (mask & (a[i] ^ b[i]));
        i += 1;
    }
    out
}

/// All ones if `a == b`, else zero, without a branch.
fn eq_mask(a: u32, b: u32) -> u32 {
    let x = a ^ b;
    ((x | x.wrapping_neg()) >> 31).wrapping_sub(1)
}

/// `carry * 2^256 + t` reduced once by `m` (the value must be below `2m`).
const fn reduce_once(t: &Limbs, carry: u32, m: &Limbs) -> Limbs {
    let (d, borrow) = sub_borrow(t, m);
    // `d` is the answer unless `t < m` with no carry.
    select(0u32.wrapping_sub(carry | (borrow ^ 1)), t, &d)
}

/// `a * 2^256 mod m` for `a < m`, by doubling (compile-time constants only).
const fn times_r(mut a: Limbs, m: &Limbs) -> Limbs {
    let mut i = 0;
    while i < 256 {
        let (sum, carry) = add_carry(&a, &a);
        a = reduce_once(&sum, carry, m);
        i += 1;
    }
    a
}

/// Whether `a` is zero.
pub(crate) fn is_zero(a: &Limbs) -> bool {
    a.iter().fold(0, |acc, &limb| acc | limb) == 0
}

/// The big-endian bytes `bytes` as limbs.
pub(crate) fn from_be(bytes: &[u8; 32]) -> Limbs {
    let mut out = [0u32; 8];
    for (limb, chunk) in out.iter_mut().rev().zip(bytes.chunks_exact(4)) {
        *limb = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    out
}

/// `a` as 32 big-endian bytes.
pub(crate) fn to_be(a: &Limbs) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, limb) in out.chunks_exact_mut(4).zip(a.iter().rev()) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// An odd 256-bit modulus above `2^255` and its Montgomery constants (`R = 2^256`).
pub(crate) struct Modulus {
    /// The modulus.
    pub(crate) m: Limbs,
    /// `-m^-1 mod 2^32`.
    m0inv: u32,
    /// `R^2 mod m`.
    r2: Limbs,
}

impl Modulus {
    /// The modulus written as 64 upper-case hex digits, with its constants.
    const fn new(m: &str) -> Self {
        let m = hex(m);
        // Newton's iteration doubles the correct low bits of the inverse: 1, 2, 4, ... 32.
        let mut inv: u32 = 1;
        let mut i = 0;
        while i < 5 {
            inv = inv.wrapping_mul(2u32.wrapping_sub(m[0].wrapping_mul(inv)));
            i += 1;
        }
        Modulus { m, m0inv: inv.wrapping_neg(), r2: times_r(times_r(ONE, &m), &m) }
    }

    /// `a * b / R mod m` (Montgomery multiplication, CIOS) for `a, b < m`; also for any
    /// 256-bit `a` when `b < m`.
    #[allow(clippy::needless_range_loop)]
    pub(crate) fn mul(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let m = &self.m;
        let mut t = [0u32; 8];
        let mut top = 0u32;
        for &word in b {
            let mut carry = 0u64;
            for j in 0..8 {
                let sum = t[j] as u64 + a[j] as u64 * word as u64 + carry;
                t[j] = sum as u32;
                carry = sum >> 32;
            }
            let high = top as u64 + carry;
            let u = t[0].wrapping_mul(self.m0inv);
            let mut carry = (t[0] as u64 + u as u64 * m[0] as u64) >> 32;
            for j in 1..8 {
                let sum = t[j] as u64 + u as u64 * m[j] as u64 + carry;
                t[j - 1] = sum as u32;
                carry = sum >> 32;
            }
            let sum = high + carry;
            t[7] = sum as u32;
            top = (sum >> 32) as u32;
        }
        reduce_once(&t, top, m)
    }

    /// `a + b mod m` for `a, b < m` (either form).
    pub(crate) fn add(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let (sum, carry) = add_carry(a, b);
        reduce_once(&sum, carry, &self.m)
    }

    /// `a - b mod m` for `a, b < m` (either form).
    pub(crate) fn sub(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let (diff, borrow) = sub_borrow(a, b);
        add_carry(&diff, &select(0u32.wrapping_sub(borrow), &[0; 8], &self.m)).0
    }

    /// The Montgomery form `a * R mod m` of any 256-bit `a`.
    pub(crate) fn to_mont(&self, a: &Limbs) -> Limbs {
        self.mul(a, &self.r2)
    }

    /// The plain value of the Montgomery form `a`.
    pub(crate) fn from_mont(&self, a: &Limbs) -> Limbs {
        self.mul(a, &ONE)
    }

    /// The inverse of the Montgomery form `a` (zero for zero), as `a^(m-2)`: the exponent
    /// is public, so the branch on its bits reveals nothing about `a`.
    pub(crate) fn invert(&self, a: &Limbs) -> Limbs {
        let exponent = sub_borrow(&self.m, &[2, 0, 0, 0, 0, 0, 0, 0]).0;
        let mut out = self.to_mont(&ONE);
        for bit in (0..256).rev() {
            out = self.mul(&out, &out);
            if (exponent[bit / 32] >> (bit % 32)) & 1 == 1 {
                out = self.mul(&out, a);
            }
        }
        out
    }

    /// `a * b mod m` for plain `a, b < m`.
    pub(crate) fn mul_plain(&self, a: &Limbs, b: &Limbs) -> Limbs {
        self.mul(&self.mul(a, b), &self.r2)
    }

    /// `a^-1 mod m` for plain `a < m` (zero for zero).
    pub(crate) fn invert_plain(&self, a: &Limbs) -> Limbs {
        self.from_mont(&self.invert(&self.to_mont(a)))
    }

    /// The 256-bit big-endian `bytes` reduced mod `m` (one subtraction, as `m > 2^255`).
    pub(crate) fn reduce(&self, bytes: &[u8; 32]) -> Limbs {
        reduce_once(&from_be(bytes), 0, &self.m)
    }

    /// Whether `0 < a < m`.
    pub(crate) fn in_range(&self, a: &Limbs) -> bool {
        !is_zero(a) && sub_borrow(a, &self.m).1 == 1
    }
}

/// A point in projective coordinates `(X : Y : Z)`, each in Montgomery form; `Z = 0` is the
/// point at infinity.
#[derive(Clone, Copy, Zeroize)]
pub(crate) struct Point {
    x: Limbs,
    y: Limbs,
    z: Limbs,
}

/// A short Weierstrass curve `y^2 = x^3 - 3x + b` of prime order.
pub(crate) struct Curve {
    /// The base field.
    pub(crate) p: Modulus,
    /// The group order.
    pub(crate) n: Modulus,
    /// `b` in Montgomery form.
    b: Limbs,
    /// The generator, in Montgomery form.
    gx: Limbs,
    gy: Limbs,
}

impl Curve {
    /// The curve of the moduli `p`, `n`, the coefficient `b` and the generator `(gx, gy)`,
    /// each as 64 upper-case hex digits.
    const fn new(p: &str, n: &str, b: &str, gx: &str, gy: &str) -> Self {
        let p = Modulus::new(p);
        let (b, gx, gy) = (times_r(hex(b), &p.m), times_r(hex(gx), &p.m), times_r(hex(gy), &p.m));
        Curve { p, n: Modulus::new(n), b, gx, gy }
    }

    /// The point at infinity.
    fn identity(&self) -> Point {
        Point { x: [0; 8], y: self.p.to_mont(&ONE), z: [0; 8] }
    }

    /// The generator.
    pub(crate) fn generator(&self) -> Point {
        Point { x: self.gx, y: self.gy, z: self.p.to_mont(&ONE) }
    }

    /// The point of plain affine coordinates `(x, y)` (which the caller knows to be on the
    /// curve).
    pub(crate) fn from_affine(&self, x: &Limbs, y: &Limbs) -> Point {
        Point { x: self.p.to_mont(x), y: self.p.to_mont(y), z: self.p.to_mont(&ONE) }
    }

    /// The plain affine coordinates of `point`; `None` for the point at infinity.
    pub(crate) fn to_affine(&self, point: &Point) -> Option<(Limbs, Limbs)> {
        let f = &self.p;
        if is_zero(&point.z) {
            return None;
        }
        let z = f.invert(&point.z);
        Some((f.from_mont(&f.mul(&point.x, &z)), f.from_mont(&f.mul(&point.y, &z))))
    }

    /// `a + b` (complete: also for `a = b` and the point at infinity). RCB16 algorithm 4.
    pub(crate) fn add(&self, a: &Point, b: &Point) -> Point {
        let f = &self.p;
        let mul = |x: &Limbs, y: &Limbs| f.mul(x, y);
        let add = |x: &Limbs, y: &Limbs| f.add(x, y);
        let sub = |x: &Limbs, y: &Limbs| f.sub(x, y);
        let triple = |x: &Limbs| f.add(&f.add(x, x), x);
        let xx = mul(&a.x, &b.x);
        let yy = mul(&a.y, &b.y);
        let zz = mul(&a.z, &b.z);
        let xy = sub(&mul(&add(&a.x, &a.y), &add(&b.x, &b.y)), &add(&xx, &yy));
        let yz = sub(&mul(&add(&a.y, &a.z), &add(&b.y, &b.z)), &add(&yy, &zz));
        let xz = sub(&mul(&add(&a.x, &a.z), &add(&b.x, &b.z)), &add(&xx, &zz));
        let bzz3 = triple(&sub(&xz, &mul(&self.b, &zz)));
        let yy_minus = sub(&yy, &bzz3);
        let yy_plus = add(&yy, &bzz3);
        let zz3 = triple(&zz);
        let bxz3 = triple(&sub(&mul(&self.b, &xz), &add(&zz3, &xx)));
        let xx3_minus_zz3 = sub(&triple(&xx), &zz3);
        Point {
            x: sub(&mul(&yy_plus, &xy), &mul(&yz, &bxz3)),
            y: add(&mul(&yy_plus, &yy_minus), &mul(&xx3_minus_zz3, &bxz3)),
            z: add(&mul(&yy_minus, &yz), &mul(&xy, &xx3_minus_zz3)),
        }
    }

    /// `2a` (also for the point at infinity). RCB16 algorithm 6.
    fn double(&self, a: &Point) -> Point {
        let f = &self.p;
        let mul = |x: &Limbs, y: &Limbs| f.mul(x, y);
        let add = |x: &Limbs, y: &Limbs| f.add(x, y);
        let sub = |x: &Limbs, y: &Limbs| f.sub(x, y);
        let double = |x: &Limbs| f.add(x, x);
        let triple = |x: &Limbs| f.add(&f.add(x, x), x);
        let xx = mul(&a.x, &a.x);
        let yy = mul(&a.y, &a.y);
        let zz = mul(&a.z, &a.z);
        let xy2 = double(&mul(&a.x, &a.y));
        let xz2 = double(&mul(&a.x, &a.z));
        let bzz3 = triple(&sub(&mul(&self.b, &zz), &xz2));
        let yy_minus = sub(&yy, &bzz3);
        let yy_plus = add(&yy, &bzz3);
        let zz3 = triple(&zz);
        let bxz6 = triple(&sub(&mul(&self.b, &xz2), &add(&zz3, &xx)));
        let xx3_minus_zz3 = sub(&triple(&xx), &zz3);
        let yz2 = double(&mul(&a.y, &a.z));
        Point {
            x: sub(&mul(&yy_minus, &xy2), &mul(&bxz6, &yz2)),
            y: add(&mul(&yy_plus, &yy_minus), &mul(&xx3_minus_zz3, &bxz6)),
            z: double(&double(&mul(&yz2, &yy))),
        }
    }

    /// `k * point` for a plain scalar `k` (any 256-bit value), in constant time: a fixed
    /// 4-bit window over the multiples `0..16` of `point`, each window reading every entry.
    pub(crate) fn mul(&self, k: &Limbs, point: &Point) -> Point {
        let mut table = [self.identity(); 16];
        for i in 1..16 {
            table[i] = self.add(&table[i - 1], point);
        }
        let mut acc = self.identity();
        let mut entry = self.identity();
        for window in (0..64).rev() {
            for _ in 0..4 {
                acc = self.double(&acc);
            }
            let mut digit = (k[window / 8] >> (window % 8 * 4)) & 15;
            for (i, candidate) in table.iter().enumerate() {
                let mask = eq_mask(i as u32, digit);
                entry.x = select(mask, &entry.x, &candidate.x);
                entry.y = select(mask, &entry.y, &candidate.y);
                entry.z = select(mask, &entry.z, &candidate.z);
            }
            digit.zeroize();
            acc = self.add(&acc, &entry);
        }
        entry.zeroize();
        acc
    }
}

/// NIST P-256 (secp256r1).
pub(crate) static P256: Curve = Curve::new(
    "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
    "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B",
    "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296",
    "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
);

/// The SM2 curve of GB/T 32918 (sm2p256v1).
pub(crate) static SM2: Curve = Curve::new(
    "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF",
    "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123",
    "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93",
    "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7",
    "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0",
);

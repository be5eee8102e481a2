//! P-256 and SM2 arithmetic, small rather than fast: one 256-bit Montgomery field over
//! 8 x 32-bit limbs (products in `u64`, one instruction in WebAssembly), used for both
//! curves' base field `p` and group order `n`, and projective points with the complete
//! formulas for `a = -3` of Renes, Costello and Batina 2016 (algorithms 4 and 6), so that no
//! input is an exceptional case.
//!
//! The limbs are 64-bit (products in `u128`) where pointers are: the same code, a quarter
//! of the multiplications natively. `--cfg csms_limb32` forces 32-bit limbs, to test the
//! WebAssembly arithmetic natively.
//!
//! Constant time for secret data: no branch and no memory index depends on a scalar or a
//! coordinate (masks for the conditional subtraction and for selecting a table entry, which
//! reads the whole table). Inversion is by Fermat's little theorem, whose exponent is public.
//! Numbers are little-endian limbs; "plain" means not in Montgomery form.

use zeroize::Zeroize;

/// A limb: 32 bits on 32-bit targets (WebAssembly), else 64.
#[cfg(any(target_pointer_width = "32", csms_limb32))]
pub(crate) type Word = u32;
/// Twice a limb: a product of two limbs.
#[cfg(any(target_pointer_width = "32", csms_limb32))]
type Wide = u64;
/// A limb: 32 bits on 32-bit targets (WebAssembly), else 64.
#[cfg(not(any(target_pointer_width = "32", csms_limb32)))]
pub(crate) type Word = u64;
/// Twice a limb: a product of two limbs.
#[cfg(not(any(target_pointer_width = "32", csms_limb32)))]
type Wide = u128;

/// Bits in a limb.
const BITS: usize = Word::BITS as usize;
/// Limbs in a number.
pub(crate) const LIMBS: usize = 256 / BITS;

/// A 256-bit number as little-endian limbs.
pub(crate) type Limbs = [Word; LIMBS];

/// The number `small`.
pub(crate) const fn small(small: Word) -> Limbs {
    let mut out = [0; LIMBS];
    out[0] = small;
    out
}

/// The number 1.
pub(crate) const ONE: Limbs = small(1);

/// The big-endian hex text `s` (64 digits) as limbs, at compile time.
const fn hex(s: &str) -> Limbs {
    let s = s.as_bytes();
    assert!(s.len() == 64, "64 hex digits");
    let mut out = [0; LIMBS];
    let mut i = 0;
    while i < 64 {
        let c = s[i];
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("upper-case hex digit"),
        };
        let limb = LIMBS - 1 - i / (BITS / 4);
        out[limb] = (out[limb] << 4) | digit as Word;
        i += 1;
    }
    out
}

/// `a + b` and the carry out (0 or 1).
pub(crate) const fn add_carry(a: &Limbs, b: &Limbs) -> (Limbs, Word) {
    let mut out = [0; LIMBS];
    let mut carry: Wide = 0;
    let mut i = 0;
    while i < LIMBS {
        let sum = a[i] as Wide + b[i] as Wide + carry;
        out[i] = sum as Word;
        carry = sum >> BITS;
        i += 1;
    }
    (out, carry as Word)
}

/// `a - b` and the borrow out (0 or 1).
const fn sub_borrow(a: &Limbs, b: &Limbs) -> (Limbs, Word) {
    let mut out = [0; LIMBS];
    let mut borrow: Wide = 0;
    let mut i = 0;
    while i < LIMBS {
        let diff = (a[i] as Wide).wrapping_sub(b[i] as Wide + borrow);
        out[i] = diff as Word;
        borrow = diff >> (2 * BITS - 1);
        i += 1;
    }
    (out, borrow as Word)
}

/// `b` where `mask` is all ones, `a` where it is zero, without a branch.
const fn select(mask: Word, a: &Limbs, b: &Limbs) -> Limbs {
    let mut out = [0; LIMBS];
    let mut i = 0;
    while i < LIMBS {
        out[i] = a[i] ^ (mask & (a[i] ^ b[i]));
        i += 1;
    }
    out
}

/// All ones if `a == b`, else zero, without a branch.
fn eq_mask(a: Word, b: Word) -> Word {
    let x = a ^ b;
    ((x | x.wrapping_neg()) >> (BITS - 1)).wrapping_sub(1)
}

/// `carry * 2^256 + t` reduced once by `m` (the value must be below `2m`).
const fn reduce_once(t: &Limbs, carry: Word, m: &Limbs) -> Limbs {
    let (d, borrow) = sub_borrow(t, m);
    // `d` is the answer unless `t < m` with no carry.
    select((0 as Word).wrapping_sub(carry | (borrow ^ 1)), t, &d)
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
    let mut out = [0; LIMBS];
    for (limb, chunk) in out.iter_mut().rev().zip(bytes.chunks_exact(BITS / 8)) {
        *limb = chunk.iter().fold(0, |acc, &byte| (acc << 8) | byte as Word);
    }
    out
}

/// `a` as 32 big-endian bytes.
pub(crate) fn to_be(a: &Limbs) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, limb) in out.chunks_exact_mut(BITS / 8).zip(a.iter().rev()) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// An odd 256-bit modulus above `2^255` and its Montgomery constants (`R = 2^256`).
pub(crate) struct Modulus {
    /// The modulus.
    pub(crate) m: Limbs,
    /// `-m^-1` modulo `2^BITS`.
    m0inv: Word,
    /// `R^2 mod m`.
    r2: Limbs,
}

impl Modulus {
    /// The modulus written as 64 upper-case hex digits, with its constants.
    pub(crate) const fn new(m: &str) -> Self {
        let m = hex(m);
        // Newton's iteration doubles the correct low bits of the inverse: 1, 2, 4, ... 64.
        let mut inv: Word = 1;
        let mut i = 0;
        while i < 6 {
            inv = inv.wrapping_mul((2 as Word).wrapping_sub(m[0].wrapping_mul(inv)));
            i += 1;
        }
        Modulus { m, m0inv: inv.wrapping_neg(), r2: times_r(times_r(ONE, &m), &m) }
    }

    /// `a * b / R mod m` (Montgomery multiplication, CIOS) for `a, b < m`; also for any
    /// 256-bit `a` when `b < m`.
    #[allow(clippy::needless_range_loop)]
    pub(crate) fn mul(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let m = &self.m;
        let mut t = [0; LIMBS];
        let mut top: Word = 0;
        for &word in b {
            let mut carry: Wide = 0;
            for j in 0..LIMBS {
                let sum = t[j] as Wide + a[j] as Wide * word as Wide + carry;
                t[j] = sum as Word;
                carry = sum >> BITS;
            }
            let high = top as Wide + carry;
            let u = t[0].wrapping_mul(self.m0inv);
            let mut carry = (t[0] as Wide + u as Wide * m[0] as Wide) >> BITS;
            for j in 1..LIMBS {
                let sum = t[j] as Wide + u as Wide * m[j] as Wide + carry;
                t[j - 1] = sum as Word;
                carry = sum >> BITS;
            }
            let sum = high + carry;
            t[LIMBS - 1] = sum as Word;
            top = (sum >> BITS) as Word;
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
        add_carry(&diff, &select((0 as Word).wrapping_sub(borrow), &[0; LIMBS], &self.m)).0
    }

    /// The Montgomery form `a * R mod m` of any 256-bit `a`.
    pub(crate) fn to_mont(&self, a: &Limbs) -> Limbs {
        self.mul(a, &self.r2)
    }

    /// The plain value of the Montgomery form `a`.
    pub(crate) fn plain(&self, a: &Limbs) -> Limbs {
        self.mul(a, &ONE)
    }

    /// The inverse of the Montgomery form `a` (zero for zero), as `a^(m-2)`: the exponent
    /// is public, so the branch on its bits reveals nothing about `a`.
    pub(crate) fn invert(&self, a: &Limbs) -> Limbs {
        let exponent = sub_borrow(&self.m, &small(2)).0;
        let mut out = self.to_mont(&ONE);
        for bit in (0..256).rev() {
            out = self.mul(&out, &out);
            if (exponent[bit / BITS] >> (bit % BITS)) & 1 == 1 {
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
        self.plain(&self.invert(&self.to_mont(a)))
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

    /// `a = p - 3`, `b` and the generator's `x` and `y`, big-endian (SM2's Z_A hashes them).
    pub(crate) fn coefficients(&self) -> [[u8; 32]; 4] {
        let f = &self.p;
        [
            to_be(&f.sub(&[0; LIMBS], &small(3))),
            to_be(&f.plain(&self.b)),
            to_be(&f.plain(&self.gx)),
            to_be(&f.plain(&self.gy)),
        ]
    }

    /// The point at infinity.
    fn identity(&self) -> Point {
        Point { x: [0; LIMBS], y: self.p.to_mont(&ONE), z: [0; LIMBS] }
    }

    /// The generator.
    pub(crate) fn generator(&self) -> Point {
        Point { x: self.gx, y: self.gy, z: self.p.to_mont(&ONE) }
    }

    /// The point of plain affine coordinates `(x, y)` (which the caller knows to be on the
    /// curve).
    pub(crate) fn point(&self, x: &Limbs, y: &Limbs) -> Point {
        Point { x: self.p.to_mont(x), y: self.p.to_mont(y), z: self.p.to_mont(&ONE) }
    }

    /// The plain affine coordinates of `point`; `None` for the point at infinity.
    pub(crate) fn to_affine(&self, point: &Point) -> Option<(Limbs, Limbs)> {
        let f = &self.p;
        if is_zero(&point.z) {
            return None;
        }
        let z = f.invert(&point.z);
        Some((f.plain(&f.mul(&point.x, &z)), f.plain(&f.mul(&point.y, &z))))
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
            let mut digit = (k[window / (BITS / 4)] >> (window % (BITS / 4) * 4)) & 15;
            for (i, candidate) in table.iter().enumerate() {
                let mask = eq_mask(i as Word, digit);
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

//! The two hash functions of the signing algorithms, behind one small interface.

use zeroize::{Zeroize, Zeroizing};

/// SHA-256 or SM3 (both 32-byte digests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashKind {
    Sha256,
    Sm3,
}

impl HashKind {
    pub(crate) fn digest(self, data: &[u8]) -> [u8; 32] {
        self.hash_from(self.initial(), 0, data)
    }

    /// The state before anything is hashed.
    fn initial(self) -> [u32; 8] {
        match self {
            HashKind::Sha256 => SHA256_INITIAL,
            HashKind::Sm3 => SM3_INITIAL,
        }
    }

    /// Hashes one 64-byte block into `state`.
    fn compress(self, state: &mut [u32; 8], block: &[u8; 64]) {
        match self {
            // The npm package's module (WebAssembly with SIMD): a block function of our own.
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            HashKind::Sha256 => super::sha256_simd::compress(state, block),
            #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
            HashKind::Sha256 => {
                // Through a pointer: called here only, `sha2`'s unrolled block function would
                // otherwise be inlined, and compiled with the core's size-tuned settings in
                // a size-tuned build instead of its own speed-tuned ones.
                let compress256 = std::hint::black_box(sha2::compress256 as fn(&mut [u32; 8], &[_]));
                compress256(state, std::slice::from_ref(block.into()))
            }
            HashKind::Sm3 => sm3_compress(state, block),
        }
    }

    /// The hash of everything hashed into `state` so far (`done` bytes, whole blocks)
    /// followed by `data`: both hashes pad the same way (0x80, zeros, the length in bits as
    /// a big-endian `u64`) and write the state as big-endian words. SHA-256 is the hot path
    /// of signing: this drives a block function directly ([`HashKind::compress`]) instead of
    /// the generic `digest` wrappers, which are compiled with the calling crate's settings
    /// (size-tuned in the WebAssembly build).
    fn hash_from(self, mut state: [u32; 8], done: u64, data: &[u8]) -> [u8; 32] {
        // The blocks by reference (no copy of each into an array of its own).
        fn whole(block: &[u8]) -> &[u8; 64] {
            block.try_into().unwrap_or_else(|_| panic!("whole blocks"))
        }
        let mut blocks = data.chunks_exact(64);
        for block in &mut blocks {
            self.compress(&mut state, whole(block));
        }
        let rest = blocks.remainder();
        let mut tail = [0u8; 128];
        tail[..rest.len()].copy_from_slice(rest);
        tail[rest.len()] = 0x80;
        let end = if rest.len() < 56 { 64 } else { 128 };
        tail[end - 8..end].copy_from_slice(&((done + data.len() as u64) * 8).to_be_bytes());
        self.compress(&mut state, whole(&tail[..64]));
        if end == 128 {
            self.compress(&mut state, whole(&tail[64..]));
        }
        // An index loop: the iterator adapters of a `zip` are calls of their own where the
        // module is tuned for size.
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 8 {
            let [a, b, c, d] = state[i].to_be_bytes();
            out[4 * i] = a;
            out[4 * i + 1] = b;
            out[4 * i + 2] = c;
            out[4 * i + 3] = d;
            i += 1;
        }
        out
    }

    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> [u8; 32] {
        HmacKey::new(self, key).sign(data)
    }

    /// The header that marks an unsigned payload for this hash.
    /// The hexadecimal digest of nothing (an empty body's, on most requests), known.
    pub(crate) fn empty_hex(self) -> &'static str {
        match self {
            HashKind::Sha256 => "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            HashKind::Sm3 => "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b",
        }
    }

    pub(crate) fn content_header(self) -> &'static str {
        match self {
            HashKind::Sha256 => "X-Sdk-Content-Sha256",
            HashKind::Sm3 => "X-Sdk-Content-Sm3",
        }
    }
}

/// SHA-256's initial state.
const SHA256_INITIAL: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// SM3's initial state (GB/T 32905-2016).
const SM3_INITIAL: [u32; 8] =
    [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];

/// SM3's compression function (GB/T 32905-2016, 5.3): the message expansion and the 64
/// rounds as loops, not unrolled (the `sm3` crate's unrolled code was ~1.8 KB of the npm
/// module gzipped; SM3 is not on SHA-256's hot path). W'[j] = W[j] ^ W[j + 4] is computed
/// in the round that uses it.
fn sm3_compress(state: &mut [u32; 8], block: &[u8; 64]) {
    let p1 = |x: u32| x ^ x.rotate_left(15) ^ x.rotate_left(23);
    let mut w = [0u32; 68];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    for j in 16..68 {
        w[j] = p1(w[j - 16] ^ w[j - 9] ^ w[j - 3].rotate_left(15)) ^ w[j - 13].rotate_left(7) ^ w[j - 6];
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for j in 0..64 {
        let (t, ff, gg) = if j < 16 {
            (0x79cc4519u32, a ^ b ^ c, e ^ f ^ g)
        } else {
            (0x7a879d8a, (a & b) | (a & c) | (b & c), (e & f) | (!e & g))
        };
        let a12 = a.rotate_left(12);
        let ss1 = a12.wrapping_add(e).wrapping_add(t.rotate_left(j as u32 % 32)).rotate_left(7);
        let tt1 = ff.wrapping_add(d).wrapping_add(ss1 ^ a12).wrapping_add(w[j] ^ w[j + 4]);
        let tt2 = gg.wrapping_add(h).wrapping_add(ss1).wrapping_add(w[j]);
        d = c;
        c = b.rotate_left(9);
        b = a;
        a = tt1;
        h = g;
        g = f.rotate_left(19);
        f = e;
        e = tt2 ^ tt2.rotate_left(9) ^ tt2.rotate_left(17);
    }
    for (word, new) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *word ^= new;
    }
    w.zeroize();
}

/// An HMAC key, wiped when dropped: the hash's states after the inner and the outer pad
/// block, from which each signature starts instead of hashing the key again.
#[derive(Clone)]
pub(crate) struct HmacKey {
    hash: HashKind,
    inner: [u32; 8],
    outer: [u32; 8],
}

impl Drop for HmacKey {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl HmacKey {
    pub(crate) fn new(hash: HashKind, key: &[u8]) -> Self {
        let mut block = Zeroizing::new([0u8; 64]);
        if key.len() > 64 {
            let digest = Zeroizing::new(hash.digest(key));
            block[..32].copy_from_slice(&*digest);
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| {
            let mut padded = Zeroizing::new(*block);
            for b in padded.iter_mut() {
                *b ^= byte;
            }
            let mut state = hash.initial();
            hash.compress(&mut state, &padded);
            state
        };
        HmacKey { hash, inner: pad(0x36), outer: pad(0x5c) }
    }

    /// Writes zeros over the key's states.
    fn wipe(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }

    pub(crate) fn sign(&self, data: &[u8]) -> [u8; 32] {
        let inner = self.hash.hash_from(self.inner, 64, data);
        self.hash.hash_from(self.outer, 64, &inner)
    }
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    hex_into(&mut out, bytes);
    out
}

/// Appends `bytes` in lower-case hexadecimal to `out`.
pub(crate) fn hex_into(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // 32 bytes at a time through a buffer on the stack: one copy into `out` per chunk.
    for chunk in bytes.chunks(32) {
        let mut text = [0u8; 64];
        // Four bytes at a time in a word (a few operations for eight digits, rather than two
        // table reads and stores per byte), then any last ones from the table.
        let words = chunk.chunks_exact(4);
        let tail = words.remainder();
        let mut at = 0;
        for word in words {
            text[at..at + 8].copy_from_slice(&hex_word([word[0], word[1], word[2], word[3]]));
            at += 8;
        }
        for &b in tail {
            text[at] = HEX[(b >> 4) as usize];
            text[at + 1] = HEX[(b & 15) as usize];
            at += 2;
        }
        out.push_str(std::str::from_utf8(&text[..at]).unwrap_or_else(|_| panic!("hex digits are ASCII")));
    }
}

/// The eight lower-case hex digits of four bytes.
fn hex_word(word: [u8; 4]) -> [u8; 8] {
    // Each nibble spread to a byte of its own, in order: 0xAABBCCDD becomes 0x0A0A0B0B0C0C0D0D.
    let x = u64::from(u32::from_be_bytes(word));
    let x = (x & 0xffff_0000) << 16 | (x & 0xffff);
    let x = (x & 0x0000_ff00_0000_ff00) << 8 | (x & 0x0000_00ff_0000_00ff);
    let x = (x & 0x00f0_00f0_00f0_00f0) << 4 | (x & 0x000f_000f_000f_000f);
    // A byte from 10 up (n + 6 reaches 16: no carry between bytes) is a letter, 39 after '9' + 1.
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (x + 0x3030_3030_3030_3030 + letters * 39).to_be_bytes()
}

/// Bytes from hexadecimal (either case); `None` if it is not.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use hmac::{Hmac, Mac};
    use sm3::{Digest, Sm3};

    /// Every byte value, in every place of a word and in the tail, at lengths across a chunk.
    #[test]
    fn hex_into_writes_two_lower_case_digits_a_byte() {
        let bytes: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for len in (0..70).chain([255, 256, 511, 512]) {
            let mut out = String::from("x");
            hex_into(&mut out, &bytes[..len]);
            let want: String = bytes[..len].iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(out, format!("x{want}"), "{len}");
        }
    }

    #[test]
    fn hmac_keys_are_zeros_once_wiped() {
        for hash in [HashKind::Sha256, HashKind::Sm3] {
            let mut key = HmacKey::new(hash, b"SK");
            assert_ne!(key.inner, [0; 8]);
            key.wipe();
            assert_eq!((key.inner, key.outer), ([0; 8], [0; 8]));
        }
    }

    #[test]
    fn hmac_sm3_agrees_with_the_generic_implementation() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 11 + 5) as u8).collect();
        for len in [0, 1, 55, 56, 63, 64, 65, 200, 300] {
            for key_len in [0, 1, 32, 63, 64, 65, 130] {
                let mut mac = Hmac::<Sm3>::new_from_slice(&data[..key_len]).unwrap();
                mac.update(&data[..len]);
                let expected: [u8; 32] = mac.finalize().into_bytes().into();
                assert_eq!(HashKind::Sm3.hmac(&data[..key_len], &data[..len]), expected, "{len} {key_len}");
            }
        }
    }

    #[test]
    fn the_known_digests_of_nothing_are_the_digests_of_nothing() {
        for hash in [HashKind::Sha256, HashKind::Sm3] {
            assert_eq!(hash.empty_hex(), hex(&hash.digest(b"")));
        }
    }

    #[test]
    fn sm3_gives_the_standards_vectors() {
        // GB/T 32905-2016, appendix A: "abc" and "abcd" 16 times (exactly one block, so the
        // padding is a block of its own).
        assert_eq!(
            hex(&HashKind::Sm3.digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            hex(&HashKind::Sm3.digest(&b"abcd".repeat(16))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn sm3_agrees_with_the_sm3_crate_at_every_length_and_split() {
        // Lengths 0..300 (each block boundary: 55, 56, 63, 64, 119, 120, ...), pseudo-random
        // bytes; and every split after whole blocks, hashed on from the state they leave.
        let mut seed = 0x2545f491u32;
        let data: Vec<u8> = (0..300)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect();
        for len in 0..=300 {
            let expected: [u8; 32] = Sm3::digest(&data[..len]).into();
            assert_eq!(HashKind::Sm3.digest(&data[..len]), expected, "{len}");
            let mut state = SM3_INITIAL;
            for split in (64..=len).step_by(64) {
                let block: &[u8; 64] = data[split - 64..split].try_into().unwrap();
                sm3_compress(&mut state, block);
                assert_eq!(
                    HashKind::Sm3.hash_from(state, split as u64, &data[split..len]),
                    expected,
                    "{len} at {split}"
                );
            }
        }
    }

    #[test]
    fn sha256_and_hmac_agree_with_the_generic_implementations() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in (0..200).chain([255, 256, 300]) {
            let expected: [u8; 32] = sha2::Sha256::digest(&data[..len]).into();
            assert_eq!(HashKind::Sha256.digest(&data[..len]), expected, "{len}");
            for key_len in [0, 1, 32, 63, 64, 65, 130] {
                let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&data[..key_len]).unwrap();
                mac.update(&data[..len]);
                let expected: [u8; 32] = mac.finalize().into_bytes().into();
                assert_eq!(HashKind::Sha256.hmac(&data[..key_len], &data[..len]), expected, "{len} {key_len}");
            }
        }
    }
}

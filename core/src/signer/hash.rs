//! The two hash functions of the signing algorithms, behind one small interface.

use sm3::{Digest, Sm3};
use zeroize::{Zeroize, Zeroizing};

/// SHA-256 or SM3 (both 32-byte digests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashKind {
    Sha256,
    Sm3,
}

impl HashKind {
    pub(crate) fn digest(self, data: &[u8]) -> [u8; 32] {
        match self {
            HashKind::Sha256 => sha256_from(SHA256_INITIAL, 0, data),
            HashKind::Sm3 => Sm3::digest(data).into(),
        }
    }

    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> [u8; 32] {
        HmacKey::new(self, key).sign(data)
    }

    /// The header that marks an unsigned payload for this hash.
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

/// SHA-256 of everything hashed into `state` so far (`done` bytes, whole blocks) followed by
/// `data`. SHA-256 is the hot path of signing: this drives `sha2`'s block function directly
/// (compiled for speed in the WebAssembly build) instead of the generic `digest` wrappers,
/// which are compiled with the calling crate's size-tuned settings there.
fn sha256_from(mut state: [u32; 8], done: u64, data: &[u8]) -> [u8; 32] {
    fn compress(state: &mut [u32; 8], block: &[u8]) {
        let block: &[u8; 64] = block.try_into().unwrap_or_else(|_| panic!("whole blocks"));
        sha2::compress256(state, std::slice::from_ref(block.into()));
    }
    let mut blocks = data.chunks_exact(64);
    for block in &mut blocks {
        compress(&mut state, block);
    }
    let rest = blocks.remainder();
    let mut tail = [0u8; 128];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let end = if rest.len() < 56 { 64 } else { 128 };
    tail[end - 8..end].copy_from_slice(&((done + data.len() as u64) * 8).to_be_bytes());
    compress(&mut state, &tail[..64]);
    if end == 128 {
        compress(&mut state, &tail[64..]);
    }
    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// An HMAC key, wiped when dropped.
///
/// For SHA-256 (the hot path of signing), the states after the inner and the outer pad
/// block: each signature starts from a copy of them instead of hashing the key again. For
/// SM3, the key block itself: the `sm3` crate's state cannot be wiped, so none is kept
/// between signatures, and the one made for a signature is reset before it is dropped.
#[derive(Clone)]
pub(crate) enum HmacKey {
    /// The SHA-256 states after the inner and the outer pad block.
    Sha256 { inner: [u32; 8], outer: [u32; 8] },
    /// The key as HMAC pads it: itself, or its SM3 hash when longer than a block, then zeros.
    Sm3 { block: [u8; 64] },
}

impl Drop for HmacKey {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// `block` with every byte XORed with `byte` (an HMAC pad), wiped when dropped.
fn padded(block: &[u8; 64], byte: u8) -> Zeroizing<[u8; 64]> {
    let mut out = Zeroizing::new(*block);
    for b in out.iter_mut() {
        *b ^= byte;
    }
    out
}

/// SM3 of `first` then `second`; the hasher's state (which depends on the key when `first`
/// is a pad block) is reset before it is dropped.
fn sm3_of(first: &[u8], second: &[u8]) -> [u8; 32] {
    let mut hasher = Sm3::new();
    hasher.update(first);
    hasher.update(second);
    let out = hasher.finalize_reset().into();
    // The reset writes the initial state over the keyed one; `black_box` keeps that write
    // from being removed as dead.
    std::hint::black_box(&hasher);
    out
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
        match hash {
            HashKind::Sha256 => {
                let pad = |byte: u8| {
                    let padded = padded(&block, byte);
                    let mut state = SHA256_INITIAL;
                    sha2::compress256(&mut state, std::slice::from_ref((&*padded).into()));
                    state
                };
                HmacKey::Sha256 { inner: pad(0x36), outer: pad(0x5c) }
            }
            HashKind::Sm3 => HmacKey::Sm3 { block: *block },
        }
    }

    /// Writes zeros over the key's states or block.
    fn wipe(&mut self) {
        match self {
            HmacKey::Sha256 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
            HmacKey::Sm3 { block } => block.zeroize(),
        }
    }

    pub(crate) fn sign(&self, data: &[u8]) -> [u8; 32] {
        match self {
            HmacKey::Sha256 { inner, outer } => sha256_from(*outer, 64, &sha256_from(*inner, 64, data)),
            HmacKey::Sm3 { block } => {
                let inner = sm3_of(&*padded(block, 0x36), data);
                sm3_of(&*padded(block, 0x5c), &inner)
            }
        }
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
        for (i, &b) in chunk.iter().enumerate() {
            text[2 * i] = HEX[(b >> 4) as usize];
            text[2 * i + 1] = HEX[(b & 15) as usize];
        }
        out.push_str(std::str::from_utf8(&text[..2 * chunk.len()]).unwrap_or_else(|_| panic!("hex digits are ASCII")));
    }
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

    #[test]
    fn hmac_keys_are_zeros_once_wiped() {
        let mut sha = HmacKey::new(HashKind::Sha256, b"SK");
        let mut sm3 = HmacKey::new(HashKind::Sm3, b"SK");
        sha.wipe();
        sm3.wipe();
        assert!(matches!(&sha, HmacKey::Sha256 { inner, outer } if *inner == [0; 8] && *outer == [0; 8]));
        assert!(matches!(&sm3, HmacKey::Sm3 { block } if *block == [0; 64]));
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

//! The two hash functions of the signing algorithms, behind one small interface.

use hmac::{Hmac, Mac};
use sm3::{Digest, Sm3};
use zeroize::Zeroize;

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

/// An HMAC key with its inner and outer pad blocks already hashed: each signature with the
/// same SK starts from a copy of this state instead of hashing the key again.
#[derive(Clone)]
pub(crate) enum HmacKey {
    /// The SHA-256 states after the inner and the outer pad block.
    Sha256 {
        inner: [u32; 8],
        outer: [u32; 8],
    },
    Sm3(Hmac<Sm3>),
}

impl HmacKey {
    pub(crate) fn new(hash: HashKind, key: &[u8]) -> Self {
        match hash {
            HashKind::Sha256 => {
                let mut block = [0u8; 64];
                if key.len() > 64 {
                    block[..32].copy_from_slice(&hash.digest(key));
                } else {
                    block[..key.len()].copy_from_slice(key);
                }
                let pad = |byte: u8| {
                    let mut padded = block;
                    for b in padded.iter_mut() {
                        *b ^= byte;
                    }
                    let mut state = SHA256_INITIAL;
                    sha2::compress256(&mut state, std::slice::from_ref((&padded).into()));
                    padded.zeroize();
                    state
                };
                let key = HmacKey::Sha256 { inner: pad(0x36), outer: pad(0x5c) };
                block.zeroize();
                key
            }
            HashKind::Sm3 => HmacKey::Sm3(Hmac::new_from_slice(key).expect("HMAC accepts any key length")),
        }
    }

    pub(crate) fn sign(&self, data: &[u8]) -> [u8; 32] {
        match self {
            HmacKey::Sha256 { inner, outer } => sha256_from(*outer, 64, &sha256_from(*inner, 64, data)),
            HmacKey::Sm3(mac) => {
                let mut mac = mac.clone();
                mac.update(data);
                mac.finalize().into_bytes().into()
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

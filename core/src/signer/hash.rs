//! The two hash functions of the signing algorithms, behind one small interface.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sm3::Sm3;

/// SHA-256 or SM3 (both 32-byte digests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashKind {
    Sha256,
    Sm3,
}

impl HashKind {
    pub(crate) fn digest(self, data: &[u8]) -> [u8; 32] {
        match self {
            HashKind::Sha256 => Sha256::digest(data).into(),
            HashKind::Sm3 => Sm3::digest(data).into(),
        }
    }

    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> [u8; 32] {
        match self {
            HashKind::Sha256 => {
                let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
                mac.update(data);
                mac.finalize().into_bytes().into()
            }
            HashKind::Sm3 => {
                let mut mac = Hmac::<Sm3>::new_from_slice(key).expect("HMAC accepts any key length");
                mac.update(data);
                mac.finalize().into_bytes().into()
            }
        }
    }

    /// The header that marks an unsigned payload for this hash.
    pub(crate) fn content_header(self) -> &'static str {
        match self {
            HashKind::Sha256 => "X-Sdk-Content-Sha256",
            HashKind::Sm3 => "X-Sdk-Content-Sm3",
        }
    }
}

/// An HMAC key with its inner and outer pad blocks already hashed: each signature with the
/// same SK starts from a copy of this state instead of hashing the key again.
#[derive(Clone)]
pub(crate) enum HmacKey {
    Sha256(Hmac<Sha256>),
    Sm3(Hmac<Sm3>),
}

impl HmacKey {
    pub(crate) fn new(hash: HashKind, key: &[u8]) -> Self {
        match hash {
            HashKind::Sha256 => HmacKey::Sha256(Hmac::new_from_slice(key).expect("HMAC accepts any key length")),
            HashKind::Sm3 => HmacKey::Sm3(Hmac::new_from_slice(key).expect("HMAC accepts any key length")),
        }
    }

    pub(crate) fn sign(&self, data: &[u8]) -> [u8; 32] {
        match self {
            HmacKey::Sha256(mac) => {
                let mut mac = mac.clone();
                mac.update(data);
                mac.finalize().into_bytes().into()
            }
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
        out.push_str(std::str::from_utf8(&text[..2 * chunk.len()]).expect("hex digits are ASCII"));
    }
}

/// Bytes from hexadecimal (either case); `None` if it is not.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

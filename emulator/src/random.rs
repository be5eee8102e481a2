//! Random values: a small PRNG (SplitMix64) seeded from the operating system's randomness
//! (through std's `RandomState`) and the clock. Not for cryptography; the emulator only
//! needs ids and passwords that differ, and temporary file names nobody can guess ahead.

use std::sync::atomic::{AtomicU64, Ordering};

/// A thread-safe SplitMix64 generator.
#[derive(Debug)]
pub(crate) struct Rng {
    state: AtomicU64,
}

impl Rng {
    /// A generator seeded from the clock, the process id and an address.
    pub(crate) fn from_clock() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let local = 0u8;
        let seed = nanos ^ (u64::from(std::process::id()) << 32) ^ (&local as *const u8 as u64).rotate_left(17);
        Rng { state: AtomicU64::new(seed) }
    }

    /// A generator seeded from the operating system's random source (std seeds each
    /// thread's `RandomState` keys from it) mixed with the clock: its output cannot be
    /// foretold by another process.
    pub(crate) fn from_os() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(Rng::from_clock().next_u64());
        Rng { state: AtomicU64::new(hasher.finish()) }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&self) -> u64 {
        let mut z = self.state.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub(crate) fn below(&self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// A version-4-style UUID: `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
    pub(crate) fn uuid(&self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0x0FFF,
            b >> 48,
            b & 0xFFFF_FFFF_FFFF
        )
    }

    /// 32 lower-case hex digits, as Huawei Cloud request ids look.
    pub(crate) fn hex32(&self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }

    /// `len` characters drawn from `alphabet` (not empty).
    pub(crate) fn string_from(&self, alphabet: &[char], len: usize) -> String {
        (0..len).map(|_| alphabet[self.below(alphabet.len())]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_right_and_differ() {
        let r = Rng::from_clock();
        let (a, b) = (r.uuid(), r.uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_eq!(r.hex32().len(), 32);
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}

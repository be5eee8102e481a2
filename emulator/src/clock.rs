//! The emulator's clock: the system clock plus an adjustable offset, and the HTTP `Date`
//! format.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The system clock moved by an offset that tests may change while the emulator runs.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// A clock `offset_ms` milliseconds ahead of the system clock.
    pub(crate) fn new(offset_ms: i64) -> Self {
        Clock { offset_ms: AtomicI64::new(offset_ms) }
    }

    /// The offset, in milliseconds.
    pub(crate) fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Changes the offset.
    pub(crate) fn set_offset_ms(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::Relaxed);
    }

    /// Milliseconds since the Unix epoch, by this clock (kept within the years 1970 to 9999).
    pub(crate) fn now_ms(&self) -> i64 {
        system_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed)).clamp(0, MAX_MS)
    }
}

/// 9999-12-31T23:59:59.999Z.
const MAX_MS: i64 = 253_402_300_799_999;

/// Milliseconds since the Unix epoch, by the system clock.
pub(crate) fn system_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 IMF-fixdate) for a time in milliseconds.
pub(crate) fn http_date(ms: i64) -> String {
    csms_core::SdkDate::from_unix(ms.div_euclid(1000)).to_http_date()
}

/// Milliseconds at 00:00:00 UTC of a `YYYY-MM-DD` date, or `None` if it is not one.
pub(crate) fn date_ms(text: &str) -> Option<i64> {
    csms_core::SdkDate::from_ymd(text).ok().map(|d| d.unix_seconds() * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_http_dates() {
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(date_ms("1970-01-02"), Some(86_400_000));
        assert_eq!(date_ms("1970-13-02"), None);
    }

    #[test]
    fn offsets_move_the_clock() {
        let c = Clock::new(3_600_000);
        assert!(c.now_ms() - system_ms() >= 3_599_000);
        c.set_offset_ms(0);
        assert!((c.now_ms() - system_ms()).abs() < 1_000);
    }
}

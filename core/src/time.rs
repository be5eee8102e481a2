//! The signing time, as the `X-Sdk-Date` header writes it. The core never reads the clock:
//! callers pass the time in.

use crate::error::{Error, Result};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A signing time with one-second precision, written `YYYYMMDDTHHMMSSZ` (UTC).
///
/// ```
/// use csms_core::SdkDate;
/// let at = SdkDate::parse("20240806T101010Z").unwrap();
/// assert_eq!(at.unix_seconds(), 1_722_939_010);
/// assert_eq!(at.to_string(), "20240806T101010Z");
/// assert_eq!(SdkDate::from_unix(0).to_string(), "19700101T000000Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SdkDate(i64);

impl SdkDate {
    /// The time `secs` seconds after 1970-01-01T00:00:00Z.
    pub fn from_unix(secs: i64) -> Self {
        SdkDate(secs)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// The first and last seconds `X-Sdk-Date` can write: 0001-01-01T00:00:00Z and
    /// 9999-12-31T23:59:59Z.
    const WRITABLE: (i64, i64) = (-62_135_596_800, 253_402_300_799);

    /// `Ok` when the time falls in the years 1 to 9999, the ones `X-Sdk-Date` can write
    /// (signing refuses any other time, as field `at`, rather than write a wrong year).
    pub fn check_writable(self) -> Result<()> {
        if self.0 < Self::WRITABLE.0 || self.0 > Self::WRITABLE.1 {
            return Err(Error::validation("at", "is out of range: the years 1 to 9999"));
        }
        Ok(())
    }

    /// Parses `YYYYMMDDTHHMMSSZ`, the format of `X-Sdk-Date`.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = || Error::validation("at", format!("`{text}` is not a time of the form YYYYMMDDTHHMMSSZ"));
        let b = text.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return Err(invalid());
        }
        let num = |r: std::ops::Range<usize>| -> Result<i64> {
            let mut n = 0;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return Err(invalid());
                }
                n = n * 10 + i64::from(c - b'0');
            }
            Ok(n)
        };
        let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
        let (h, mi, s) = (num(9..11)?, num(11..13)?, num(13..15)?);
        if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
            return Err(invalid());
        }
        Ok(SdkDate(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s))
    }

    /// Parses a date `YYYY-MM-DD`, as midnight UTC.
    pub fn from_ymd(text: &str) -> Result<Self> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(Error::validation("date", format!("`{text}` is not a date YYYY-MM-DD")));
        }
        SdkDate::parse(&format!("{}{}{}T000000Z", &text[0..4], &text[5..7], &text[8..10]))
            .map_err(|_| Error::validation("date", format!("`{text}` is not a date YYYY-MM-DD")))
    }

    /// The time as an HTTP date (RFC 9110 IMF-fixdate), such as `Sun, 06 Nov 1994 08:49:37 GMT`.
    ///
    /// ```
    /// use csms_core::SdkDate;
    /// let at = SdkDate::from_unix(784_111_777);
    /// assert_eq!(at.to_http_date(), "Sun, 06 Nov 1994 08:49:37 GMT");
    /// assert_eq!(SdkDate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap(), at);
    /// ```
    pub fn to_http_date(self) -> String {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
        let month = MONTHS[(m - 1) as usize];
        format!("{weekday}, {d:02} {month} {y:04} {:02}:{:02}:{:02} GMT", secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// Parses an HTTP date in the IMF-fixdate form (the `Date` header of a response).
    pub fn parse_http_date(text: &str) -> Result<Self> {
        let invalid = || Error::validation("date", format!("`{text}` is not an HTTP date"));
        // The words between whitespace, by hand (`split_whitespace` and `format!` are
        // sizeable in the WebAssembly build).
        let mut parts = [""; 6];
        let mut count = 0;
        let mut start = 0;
        let mut word = |from: usize, to: usize| {
            if from < to {
                if count < parts.len() {
                    parts[count] = crate::util::slice(text, from, to);
                }
                count += 1;
            }
        };
        for (i, c) in text.char_indices() {
            if c.is_whitespace() {
                word(start, i);
                start = i + c.len_utf8();
            }
        }
        word(start, text.len());
        if count != parts.len() {
            return Err(invalid());
        }
        let [_, day, month, year, time, "GMT"] = parts else { return Err(invalid()) };
        let month = MONTHS.iter().position(|m| *m == month).ok_or_else(invalid)? + 1;
        // `YYYYMMDDTHHMMSSZ`: the year and day padded with zeros, the time without colons.
        let mut stamp = String::with_capacity(16);
        let padded = |stamp: &mut String, part: &str, width: usize| {
            // (Bytes, not characters: a word that is not ASCII digits is refused either way.)
            for _ in part.len()..width {
                stamp.push('0');
            }
            stamp.push_str(part);
        };
        padded(&mut stamp, year, 4);
        stamp.push(char::from(b'0' + (month / 10) as u8));
        stamp.push(char::from(b'0' + (month % 10) as u8));
        padded(&mut stamp, day, 2);
        stamp.push('T');
        for c in time.chars() {
            if c != ':' {
                stamp.push(c);
            }
        }
        stamp.push('Z');
        SdkDate::parse(&stamp).map_err(|_| invalid())
    }

    /// The date part, `YYYYMMDD` (used by V11-HMAC-SHA256 key derivation).
    pub fn date_stamp(self) -> String {
        self.to_bytes()[..8].iter().map(|&b| char::from(b)).collect()
    }

    /// This time moved by `secs` seconds (negative moves back), saturating at the ends of
    /// the `i64` range.
    pub fn offset(self, secs: i64) -> Self {
        SdkDate(self.0.saturating_add(secs))
    }
}

impl From<SystemTime> for SdkDate {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => SdkDate(d.as_secs() as i64),
            Err(e) => SdkDate(-(e.duration().as_secs_f64().ceil() as i64)),
        }
    }
}

impl SdkDate {
    /// `YYYYMMDDTHHMMSSZ` (what `to_string` gives, without `core::fmt`).
    pub(crate) fn text(self) -> String {
        std::str::from_utf8(&self.to_bytes()).unwrap_or_else(|_| panic!("ASCII digits")).to_owned()
    }

    /// `YYYYMMDDTHHMMSSZ` as bytes, written digit by digit (this is on every signature's
    /// path, where `core::fmt` is comparatively slow).
    pub(crate) fn to_bytes(self) -> [u8; 16] {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut out = *b"00000000T000000Z";
        // The year's last four digits as they always were (`rem_euclid` digits of a
        // truncating division, which decides what years before 0 look like)...
        let mut year = y;
        for i in (0..4).rev() {
            out[i] = b'0' + year.rem_euclid(10) as u8;
            year /= 10;
        }
        // ...and the rest, all below 100, two digits in `u32`: cheaper than `i64` division.
        let mut put = |at: usize, value: u32| {
            out[at] = b'0' + (value / 10) as u8;
            out[at + 1] = b'0' + (value % 10) as u8;
        };
        put(4, m as u32);
        put(6, d as u32);
        let secs = secs as u32;
        put(9, secs / 3600);
        put(11, secs / 60 % 60);
        put(13, secs % 60);
        out
    }
}

impl fmt::Display for SdkDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.to_bytes()).expect("ASCII digits"))
    }
}

/// Day names, starting from 1970-01-01 (a Thursday).
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The number of days of month `m` (1 to 12) of year `y`.
pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        for day in (-146_097 * 2..146_097 * 2).step_by(7) {
            let at = SdkDate::from_unix(day * 86_400 + 3_723);
            assert_eq!(SdkDate::parse(&at.to_string()).unwrap(), at);
        }
    }

    #[test]
    fn refuses_malformed_times() {
        for bad in
            ["", "20240230T000000Z", "20241301T000000Z", "20240101T240000Z", "2024-01-01T00:00:00Z", "20240101T000000"]
        {
            assert!(SdkDate::parse(bad).is_err(), "{bad}");
        }
    }
}

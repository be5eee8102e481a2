//! Fault injection: answer some requests with 503 or 429 without applying them, or close
//! the connection before or after applying them, as a seeded pseudo-random sequence.
//!
//! The SPEC syntax is documented on [`FaultSpec`].

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

/// One million: rates are kept in parts per million (1% = 10,000).
pub(crate) const PPM: u32 = 1_000_000;

/// What to do to one request instead of answering it normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Answer 503 (`CSMS.0503`) without applying the request.
    Unavailable,
    /// Answer 429 (`CSMS.0429`) with `Retry-After`, without applying the request.
    Throttled,
    /// Close the connection without applying the request and without answering.
    CloseBefore,
    /// Apply the request, then close the connection without answering.
    CloseAfter,
}

impl Fault {
    /// The SPEC key of this fault: `503`, `429`, `close-before`, `close-after`.
    pub fn key(self) -> &'static str {
        match self {
            Fault::Unavailable => "503",
            Fault::Throttled => "429",
            Fault::CloseBefore => "close-before",
            Fault::CloseAfter => "close-after",
        }
    }
}

/// Which faults to inject, how often, and from which seed.
///
/// The SPEC (`--faults` on the command line, [`FaultSpec`]'s `FromStr` in the library) is
/// a comma-separated list of `KEY=VALUE` parts:
///
/// | part | meaning |
/// |---|---|
/// | `seed=N` | seed of the fault sequence (unsigned 64-bit; default 0) |
/// | `503=P%` | answer 503 `CSMS.0503` without applying the request |
/// | `429=P%` | answer 429 `CSMS.0429` with `Retry-After`, without applying the request |
/// | `retry-after=N` | the `Retry-After` of those 429s, in seconds (default 1) |
/// | `close-before=P%` | close the connection without applying the request and without answering |
/// | `close-after=P%` | apply the request, then close the connection without answering |
/// | `clock-offset=S` | run the server clock S seconds ahead (negative: behind), added to `--clock-offset-ms` |
///
/// `P` is a percentage from 0 to 100 with at most 4 decimals; the four rates add up to at
/// most 100%. One number is drawn per request, in the order the requests arrive.
///
/// ```
/// use csms_emulator::{Fault, FaultSpec};
/// let spec: FaultSpec = "seed=42,503=10%,429=5%,retry-after=0,close-after=2.5%".parse().unwrap();
/// assert_eq!(spec.unavailable_ppm, 100_000);
/// assert_eq!(spec.close_after_ppm, 25_000);
/// assert_eq!(spec.to_string().parse::<FaultSpec>().unwrap(), spec);
/// // The same seed gives the same sequence.
/// let a: Vec<Option<Fault>> = spec.sequence().take(100).collect();
/// let b: Vec<Option<Fault>> = spec.sequence().take(100).collect();
/// assert_eq!(a, b);
/// assert!("503=ten%".parse::<FaultSpec>().unwrap_err().to_string().contains("`503=ten%`"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultSpec {
    /// Seed of the pseudo-random sequence.
    pub seed: u64,
    /// How often to answer 503, in parts per million.
    pub unavailable_ppm: u32,
    /// How often to answer 429, in parts per million.
    pub throttled_ppm: u32,
    /// The `Retry-After` of the 429 answers, in seconds.
    pub retry_after_secs: u64,
    /// How often to close the connection before applying the request, in parts per million.
    pub close_before_ppm: u32,
    /// How often to close the connection after applying the request, in parts per million.
    pub close_after_ppm: u32,
    /// Seconds added to the emulator's clock (on top of its `clock_offset_ms`) at start.
    pub clock_offset_secs: i64,
}

impl Default for FaultSpec {
    /// Seed 0, no fault, `retry-after=1`, no clock offset.
    fn default() -> Self {
        FaultSpec {
            seed: 0,
            unavailable_ppm: 0,
            throttled_ppm: 0,
            retry_after_secs: 1,
            close_before_ppm: 0,
            close_after_ppm: 0,
            clock_offset_secs: 0,
        }
    }
}

/// A SPEC that does not parse: the part at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpecError {
    /// The part at fault, as written (the whole SPEC when no single part is).
    pub part: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for FaultSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid fault spec part `{}`: {}", self.part, self.reason)
    }
}

impl std::error::Error for FaultSpecError {}

/// The largest `retry-after` accepted (one day).
const MAX_RETRY_AFTER: u64 = 86_400;
/// The largest `clock-offset` accepted, either way (about 100 years).
const MAX_CLOCK_OFFSET: i64 = 100 * 366 * 86_400;

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(text: &str) -> Result<Self, FaultSpecError> {
        let mut spec = FaultSpec::default();
        let mut seen: Vec<&str> = Vec::new();
        for raw in text.split(',') {
            let part = raw.trim();
            let fail = |reason: String| FaultSpecError { part: part.to_owned(), reason };
            if part.is_empty() {
                return Err(FaultSpecError {
                    part: text.to_owned(),
                    reason: "empty part (a comma too many, or nothing at all)".into(),
                });
            }
            let Some((key, value)) = part.split_once('=') else {
                return Err(fail(
                    "expected KEY=VALUE with KEY one of seed, 503, 429, retry-after, close-before, close-after, clock-offset"
                        .into(),
                ));
            };
            let (key, value) = (key.trim(), value.trim());
            let key = match key {
                "seed" | "503" | "429" | "retry-after" | "close-before" | "close-after" | "clock-offset" => key,
                other => {
                    return Err(fail(format!(
                        "unknown key `{other}`; expected seed, 503, 429, retry-after, close-before, close-after or clock-offset"
                    )))
                }
            };
            if seen.contains(&key) {
                return Err(fail(format!("`{key}` is given twice")));
            }
            seen.push(key);
            match key {
                "seed" => {
                    spec.seed = value.parse().map_err(|_| fail(format!("`{value}` is not an unsigned integer")))?
                }
                "retry-after" => {
                    spec.retry_after_secs = value.parse().ok().filter(|s| *s <= MAX_RETRY_AFTER).ok_or_else(|| {
                        fail(format!("`{value}` is not a number of seconds from 0 to {MAX_RETRY_AFTER}"))
                    })?
                }
                "clock-offset" => {
                    spec.clock_offset_secs = value
                        .parse()
                        .ok()
                        .filter(|s: &i64| s.unsigned_abs() <= MAX_CLOCK_OFFSET.unsigned_abs())
                        .ok_or_else(|| {
                            fail(format!(
                                "`{value}` is not a number of seconds from -{MAX_CLOCK_OFFSET} to {MAX_CLOCK_OFFSET} \
                                 (an integer, may be negative)"
                            ))
                        })?
                }
                _ => {
                    let ppm = parse_percent(value).map_err(fail)?;
                    match key {
                        "503" => spec.unavailable_ppm = ppm,
                        "429" => spec.throttled_ppm = ppm,
                        "close-before" => spec.close_before_ppm = ppm,
                        _ => spec.close_after_ppm = ppm,
                    }
                }
            }
        }
        spec.check().map_err(|reason| FaultSpecError { part: text.to_owned(), reason })?;
        Ok(spec)
    }
}

/// `12.5%` → 125,000 parts per million.
fn parse_percent(value: &str) -> Result<u32, String> {
    let bad = || format!("`{value}` is not a percentage such as 5% or 0.25% (from 0% to 100%, at most 4 decimals)");
    let number = value.strip_suffix('%').ok_or_else(bad)?;
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 3 || !digits(int) || frac.len() > 4 || !digits(frac) {
        return Err(bad());
    }
    if number.ends_with('.') {
        return Err(bad());
    }
    let int: u32 = int.parse().map_err(|_| bad())?;
    let frac: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<4}").parse().map_err(|_| bad())? };
    let ppm = int * 10_000 + frac;
    if ppm > PPM {
        return Err(bad());
    }
    Ok(ppm)
}

fn write_percent(f: &mut fmt::Formatter<'_>, ppm: u32) -> fmt::Result {
    let (int, frac) = (ppm / 10_000, ppm % 10_000);
    if frac == 0 {
        write!(f, "{int}%")
    } else {
        let frac = format!("{frac:04}");
        write!(f, "{int}.{}%", frac.trim_end_matches('0'))
    }
}

impl fmt::Display for FaultSpec {
    /// The canonical SPEC: every key, in the documented order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seed={},503=", self.seed)?;
        write_percent(f, self.unavailable_ppm)?;
        f.write_str(",429=")?;
        write_percent(f, self.throttled_ppm)?;
        write!(f, ",retry-after={},close-before=", self.retry_after_secs)?;
        write_percent(f, self.close_before_ppm)?;
        f.write_str(",close-after=")?;
        write_percent(f, self.close_after_ppm)?;
        write!(f, ",clock-offset={}", self.clock_offset_secs)
    }
}

impl FaultSpec {
    /// Checks the rates (each at most 100%, together at most 100%), `retry_after_secs` and
    /// `clock_offset_secs`. Returns the problem as text.
    pub fn check(&self) -> Result<(), String> {
        let total = self.total_ppm();
        if total > u64::from(PPM) {
            return Err(format!("the fault rates add up to {}.{:04}%, more than 100%", total / 10_000, total % 10_000));
        }
        if self.retry_after_secs > MAX_RETRY_AFTER {
            return Err(format!("retry-after must be at most {MAX_RETRY_AFTER} seconds"));
        }
        if self.clock_offset_secs.unsigned_abs() > MAX_CLOCK_OFFSET.unsigned_abs() {
            return Err(format!("clock-offset must be within ±{MAX_CLOCK_OFFSET} seconds"));
        }
        Ok(())
    }

    /// Whether any fault can be drawn at all.
    pub fn injects(&self) -> bool {
        self.total_ppm() > 0
    }

    /// The four rates added up (without overflow, whatever the fields hold).
    fn total_ppm(&self) -> u64 {
        [self.unavailable_ppm, self.throttled_ppm, self.close_before_ppm, self.close_after_ppm]
            .iter()
            .map(|r| u64::from(*r))
            .sum()
    }

    /// The fault (or `None`) for a draw `r` in `0..1_000_000`: the rates take consecutive
    /// ranges, in the order 503, 429, close-before, close-after.
    pub fn fault_for(&self, r: u32) -> Option<Fault> {
        let mut edge = 0u32;
        for (ppm, fault) in [
            (self.unavailable_ppm, Fault::Unavailable),
            (self.throttled_ppm, Fault::Throttled),
            (self.close_before_ppm, Fault::CloseBefore),
            (self.close_after_ppm, Fault::CloseAfter),
        ] {
            edge = edge.saturating_add(ppm);
            if r < edge {
                return Some(fault);
            }
        }
        None
    }

    /// The sequence of faults the emulator applies to requests 1, 2, 3, ... (in arrival
    /// order) for this spec: the same for the same seed and rates.
    pub fn sequence(&self) -> FaultSequence {
        FaultSequence { spec: *self, state: self.seed }
    }
}

/// The endless, deterministic sequence of [`FaultSpec::sequence`] (SplitMix64 from the seed).
#[derive(Debug, Clone)]
pub struct FaultSequence {
    spec: FaultSpec,
    state: u64,
}

impl Iterator for FaultSequence {
    type Item = Option<Fault>;

    fn next(&mut self) -> Option<Option<Fault>> {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let r = (((z >> 32) * u64::from(PPM)) >> 32) as u32;
        Some(self.spec.fault_for(r))
    }
}

/// What the fault injector did so far (since start, or since the last
/// [`crate::Emulator::set_faults`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FaultStats {
    /// Requests that drew a number (every request but `/_emulator/` ones, while faults are on).
    pub requests: u64,
    /// Answered 503 without applying.
    pub unavailable: u64,
    /// Answered 429 without applying.
    pub throttled: u64,
    /// Connections closed without applying the request.
    pub closed_before: u64,
    /// Requests applied, then their connection closed without an answer.
    pub closed_after: u64,
}

#[derive(Debug, Default)]
struct InjectorState {
    active: Option<FaultSequence>,
    stats: FaultStats,
}

/// The emulator's injector: one draw per request, under a lock, in arrival order.
#[derive(Debug, Default)]
pub(crate) struct FaultInjector {
    state: Mutex<InjectorState>,
}

impl FaultInjector {
    /// An injector for `spec` (none: never injects).
    pub(crate) fn new(spec: Option<FaultSpec>) -> Self {
        let injector = FaultInjector::default();
        injector.set(spec);
        injector
    }

    /// Replaces the spec, restarting its sequence from the seed and the counters from 0.
    pub(crate) fn set(&self, spec: Option<FaultSpec>) {
        let mut state = crate::service::lock(&self.state);
        state.active = spec.filter(FaultSpec::injects).map(|s| s.sequence());
        state.stats = FaultStats::default();
    }

    /// The spec in force.
    pub(crate) fn spec(&self) -> Option<FaultSpec> {
        crate::service::lock(&self.state).active.as_ref().map(|s| s.spec)
    }

    /// Draws the fault of the next request; counts it.
    pub(crate) fn draw(&self) -> Option<Fault> {
        let mut state = crate::service::lock(&self.state);
        let fault = state.active.as_mut()?.next().flatten();
        let stats = &mut state.stats;
        stats.requests += 1;
        match fault {
            Some(Fault::Unavailable) => stats.unavailable += 1,
            Some(Fault::Throttled) => stats.throttled += 1,
            Some(Fault::CloseBefore) => stats.closed_before += 1,
            Some(Fault::CloseAfter) => stats.closed_after += 1,
            None => {}
        }
        fault
    }

    /// The counters.
    pub(crate) fn stats(&self) -> FaultStats {
        crate::service::lock(&self.state).stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("0%"), Ok(0));
        assert_eq!(parse_percent("100%"), Ok(PPM));
        assert_eq!(parse_percent("0.0001%"), Ok(1));
        assert_eq!(parse_percent("12.5%"), Ok(125_000));
        for bad in ["5", "%", "1.%", ".5%", "100.0001%", "101%", "-1%", "1e2%", "0.00001%", " 5%"] {
            assert!(parse_percent(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_take_consecutive_ranges() {
        let spec: FaultSpec = "503=1%,429=1%,close-before=1%,close-after=1%".parse().unwrap();
        assert_eq!(spec.fault_for(0), Some(Fault::Unavailable));
        assert_eq!(spec.fault_for(10_000), Some(Fault::Throttled));
        assert_eq!(spec.fault_for(29_999), Some(Fault::CloseBefore));
        assert_eq!(spec.fault_for(39_999), Some(Fault::CloseAfter));
        assert_eq!(spec.fault_for(40_000), None);
    }

    #[test]
    fn extreme_fields_neither_overflow_nor_panic() {
        let spec = FaultSpec {
            unavailable_ppm: u32::MAX,
            throttled_ppm: u32::MAX,
            close_before_ppm: u32::MAX,
            close_after_ppm: u32::MAX,
            retry_after_secs: u64::MAX,
            clock_offset_secs: i64::MIN,
            ..FaultSpec::default()
        };
        assert!(spec.injects());
        assert!(spec.check().is_err());
        assert_eq!(spec.fault_for(PPM - 1), Some(Fault::Unavailable));
        let injector = FaultInjector::new(Some(spec));
        assert_eq!(injector.draw(), Some(Fault::Unavailable));
        let e = "clock-offset=-9223372036854775808".parse::<FaultSpec>().unwrap_err();
        assert!(e.reason.contains("seconds"), "{e}");
    }
}

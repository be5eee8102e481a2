//! The retry policy every transport applies: given what happened to an attempt, retry
//! after a delay or stop. Pure decisions; the loop that sleeps and resends lives in each
//! language's transport, which signs every attempt anew.

use crate::error::Error;
use crate::http::HttpResponse;
use crate::operations::OperationSpec;
use crate::time::SdkDate;
use std::time::Duration;

/// Statuses worth another attempt: timeouts, throttling and passing server failures.
pub const RETRYABLE_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// What happened to one attempt.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// A response came back (any status).
    Response(&'a HttpResponse),
    /// No response: an [`Error::Transport`] (its `maybe_sent` says whether the request may
    /// have reached the server).
    Failure(&'a Error),
}

/// The policy's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Sign the request again and resend it after this delay.
    Retry {
        /// How long to wait first.
        after: Duration,
    },
    /// Do not resend; the reason is `Some` when a retry was withheld on purpose.
    Stop {
        /// Why a failure that could have been retried was not.
        withheld: Option<String>,
    },
}

/// Retries with exponential backoff and full jitter.
///
/// What is retried: 408, 429 and 5xx responses and transport failures, at most
/// `max_attempts` attempts in all. A 429 is retried for every operation (throttling refuses
/// a request before it is applied); the other statuses, and a transport failure that may
/// have reached the server, only for an idempotent operation. A transport failure that
/// comes with `not_retried` set (the transport's HTTP stack refused the request before
/// sending it) is never retried. A `Retry-After` is honoured up to `max_retry_after`; a
/// longer one ends the call, saying so in the error, rather than retry earlier than asked.
///
/// ```
/// use csms_core::{operation, Decision, HttpResponse, Outcome, RetryPolicy};
/// use std::time::Duration;
///
/// let policy = RetryPolicy::default();
/// let show = operation("ShowSecret").unwrap();
/// let busy = HttpResponse::new(503, vec![], "");
/// // `random` is a number in [0, 1) from the caller (the core draws no randomness).
/// let decision = policy.decide(show, 1, Outcome::Response(&busy), 0.5, None);
/// assert_eq!(decision, Decision::Retry { after: Duration::from_millis(50) });
/// // The third attempt is the last.
/// assert!(matches!(policy.decide(show, 3, Outcome::Response(&busy), 0.5, None), Decision::Stop { .. }));
/// // A Retry-After above the backoff's cap is honoured, up to `max_retry_after` (60 s).
/// let throttled = HttpResponse::new(429, vec![("Retry-After".into(), "45".into())], "");
/// let rotate = operation("RotateSecret").unwrap();
/// assert_eq!(policy.decide(rotate, 1, Outcome::Response(&throttled), 0.5, None),
///     Decision::Retry { after: Duration::from_secs(45) });
/// let later = HttpResponse::new(429, vec![("Retry-After".into(), "600".into())], "");
/// assert!(matches!(policy.decide(rotate, 1, Outcome::Response(&later), 0.5, None), Decision::Stop { withheld: Some(_) }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The backoff of the first retry before jitter; it doubles with each attempt.
    pub base: Duration,
    /// The longest backoff.
    pub cap: Duration,
    /// The longest `Retry-After` honoured (it may exceed `cap`): a response asking for a
    /// longer wait ends the call with its [`Error::Api`], whose `retry_after_secs` holds what
    /// the server asked and whose `not_retried` says why.
    pub max_retry_after: Duration,
}

/// The longest `Retry-After` the default policy honours: 60 s.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl Default for RetryPolicy {
    /// At most 3 attempts, base 100 ms, cap 20 s, `Retry-After` honoured up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(20),
            max_retry_after: MAX_RETRY_AFTER,
        }
    }
}

/// The most attempts a policy may make ([`RetryPolicy::validate`]).
pub const MAX_ATTEMPTS_LIMIT: u32 = 100;

/// The longest backoff, backoff cap or `Retry-After` a policy may set: a day.
pub const MAX_RETRY_DURATION: Duration = Duration::from_secs(24 * 3600);

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// Checks the policy as every binding does with its options: `max_attempts` from 1 to
    /// [`MAX_ATTEMPTS_LIMIT`], `backoff_base` and `backoff_cap` at most a day with the cap
    /// not below the base, `max_retry_after` at most a day. A failure is
    /// [`Error::Validation`] whose `field` is the option's name in snake case (`max_attempts`,
    /// `backoff_base`, `backoff_cap`, `max_retry_after`); bindings rename it to their spelling.
    ///
    /// ```
    /// use csms_core::RetryPolicy;
    /// assert!(RetryPolicy::default().validate().is_ok());
    /// let none = RetryPolicy { max_attempts: 0, ..RetryPolicy::default() };
    /// assert!(matches!(none.validate(), Err(csms_core::Error::Validation { field, .. }) if field == "max_attempts"));
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&self.max_attempts) {
            let reason = format!("must be from 1 to {MAX_ATTEMPTS_LIMIT}, not {}", self.max_attempts);
            return Err(Error::validation("max_attempts", reason));
        }
        for (field, value) in
            [("backoff_base", self.base), ("backoff_cap", self.cap), ("max_retry_after", self.max_retry_after)]
        {
            if value > MAX_RETRY_DURATION {
                return Err(Error::validation(field, format!("must be at most a day, not {} s", value.as_secs())));
            }
        }
        if self.cap < self.base {
            let reason = format!(
                "must not be below backoff_base ({} ms), not {} ms",
                crate::util::millis(self.base),
                crate::util::millis(self.cap)
            );
            return Err(Error::validation("backoff_cap", reason));
        }
        Ok(())
    }

    /// Decides what to do after attempt number `attempt` (1 for the first; 0 counts as 1) of
    /// `op` ended in `outcome`. `random` is uniform in `[0, 1)` (for the jitter; other values
    /// are clamped, NaN counts as 0); `now` is the caller's clock, needed only to read a
    /// `Retry-After` written as a date.
    pub fn decide(
        &self,
        op: &OperationSpec,
        attempt: u32,
        outcome: Outcome<'_>,
        random: f64,
        now: Option<SdkDate>,
    ) -> Decision {
        let retryable = match outcome {
            Outcome::Response(response) if (200..300).contains(&response.status) => {
                return Decision::Stop { withheld: None }
            }
            // A signature refused for its time never reached the service: always safe.
            Outcome::Response(response) if clock_skew(response).is_some() => true,
            // Throttling refuses a request before it is applied: safe for every operation.
            Outcome::Response(response) if response.status == 429 => true,
            Outcome::Response(response) if RETRYABLE_STATUSES.contains(&response.status) => {
                if !op.idempotent {
                    return withheld(op, "the server may have applied it");
                }
                true
            }
            Outcome::Response(_) => false,
            // The transport says resending cannot mend it, and why, in the error itself (a request
            // its HTTP stack refused, a response over the size limit).
            Outcome::Failure(Error::Transport { not_retried: Some(_), .. }) => false,
            Outcome::Failure(Error::Transport { maybe_sent, .. }) => {
                if *maybe_sent && !op.idempotent {
                    return withheld(op, "the request may have reached the server");
                }
                true
            }
            Outcome::Failure(_) => false,
        };
        if !retryable {
            return Decision::Stop { withheld: None };
        }
        if attempt >= self.max_attempts {
            return Decision::Stop { withheld: None };
        }
        let backoff = self.base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20)).min(self.cap);
        // `random` outside [0, 1] is clamped, and NaN counts as 0; `mul_f64` would panic on
        // NaN, and on `Duration::MAX` (whose seconds round up as a float).
        let random = if random > 0.0 { random.min(1.0) } else { 0.0 };
        let mut after = Duration::try_from_secs_f64(backoff.as_secs_f64() * random).unwrap_or(backoff);
        if let Outcome::Response(response) = outcome {
            if let Some(wait) = retry_after(response, now) {
                if wait > self.max_retry_after {
                    return Decision::Stop {
                        withheld: Some(format!(
                            "the server asked to wait {} s (Retry-After), more than the {} s max_retry_after allows",
                            whole_seconds(wait),
                            whole_seconds(self.max_retry_after)
                        )),
                    };
                }
                after = after.max(wait);
            }
        }
        Decision::Retry { after }
    }
}

/// `duration` in whole seconds, as an `i64` (formatting a `u64` would bring one more number
/// formatter into the WebAssembly build).
pub(crate) fn whole_seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

fn withheld(op: &OperationSpec, why: &str) -> Decision {
    Decision::Stop { withheld: Some(format!("{} is not idempotent and {why}", op.name)) }
}

/// The `Retry-After` of a response: seconds, or an HTTP date (then `now` is needed).
pub fn retry_after(response: &HttpResponse, now: Option<SdkDate>) -> Option<Duration> {
    let value = response.header("Retry-After")?.trim();
    if let Some(seconds) = crate::util::parse_u64(value) {
        return Some(Duration::from_secs(seconds));
    }
    let at = SdkDate::parse_http_date(value).ok()?;
    let seconds = at.unix_seconds().saturating_sub(now?.unix_seconds());
    Some(Duration::from_secs(seconds.max(0) as u64))
}

/// When a response refuses a signature for its time (a 401 whose message says the
/// signature expired) and carries a `Date` header, the server's time.
///
/// The offset to keep is `server time - the time the request was signed at`; later
/// requests are signed at `local clock + offset`.
///
/// ```
/// use csms_core::{clock_skew, HttpResponse, SdkDate};
/// let refused = HttpResponse::new(401, vec![("Date".into(), "Mon, 23 Nov 2026 12:00:00 GMT".into())],
///     r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: signature expired, signature time:20261123T113000Z,server time:20261123T120000Z"}"#);
/// assert_eq!(clock_skew(&refused), Some(SdkDate::parse("20261123T120000Z").unwrap()));
/// ```
pub fn clock_skew(response: &HttpResponse) -> Option<SdkDate> {
    if response.status != 401 {
        return None;
    }
    const EXPIRED: &[u8] = b"signature expired";
    if !response.body.windows(EXPIRED.len()).any(|w| w.eq_ignore_ascii_case(EXPIRED)) {
        return None;
    }
    SdkDate::parse_http_date(response.header("Date")?).ok()
}

/// The server time a clock refusal's message gives, when it gives one: the API gateway
/// writes `signature expired, signature time:20230527T000431Z,server time:20230527T020608Z`.
///
/// ```
/// use csms_core::{message_server_time, HttpResponse, SdkDate};
/// let refused = HttpResponse::new(401, vec![],
///     r#"{"error_msg":"signature expired, signature time:20261123T113000Z,server time:20261123T120000Z"}"#);
/// assert_eq!(message_server_time(&refused), Some(SdkDate::parse("20261123T120000Z").unwrap()));
/// ```
pub fn message_server_time(response: &HttpResponse) -> Option<SdkDate> {
    const LABEL: &[u8] = b"server time:";
    let body = &response.body;
    // By hand: `windows` and `position` are sizeable in the WebAssembly build.
    let mut at = 0;
    while !body.get(at..at + LABEL.len())?.eq_ignore_ascii_case(LABEL) {
        at += 1;
    }
    at += LABEL.len();
    while body.get(at) == Some(&b' ') {
        at += 1;
    }
    SdkDate::parse(std::str::from_utf8(body.get(at..at + 16)?).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::operation;

    #[test]
    fn validate_names_the_option_out_of_range() {
        let field = |p: RetryPolicy| match p.validate() {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let d = RetryPolicy::default();
        assert_eq!(field(RetryPolicy { max_attempts: 0, ..d }), "max_attempts");
        assert_eq!(field(RetryPolicy { max_attempts: MAX_ATTEMPTS_LIMIT + 1, ..d }), "max_attempts");
        assert!(RetryPolicy { max_attempts: MAX_ATTEMPTS_LIMIT, ..d }.validate().is_ok());
        let day = MAX_RETRY_DURATION;
        assert_eq!(field(RetryPolicy { base: day + Duration::from_secs(1), cap: day * 2, ..d }), "backoff_base");
        assert_eq!(field(RetryPolicy { cap: day + Duration::from_secs(1), ..d }), "backoff_cap");
        assert_eq!(field(RetryPolicy { cap: Duration::from_millis(99), ..d }), "backoff_cap");
        assert_eq!(field(RetryPolicy { max_retry_after: day * 2, ..d }), "max_retry_after");
        assert!(RetryPolicy { base: day, cap: day, max_retry_after: day, ..d }.validate().is_ok());
    }

    fn response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse::new(status, headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), "")
    }

    fn transport(maybe_sent: bool) -> Error {
        Error::transport("reset", maybe_sent)
    }

    #[test]
    fn retries_idempotent_operations_on_retryable_statuses_only() {
        let p = RetryPolicy::default();
        let show = operation("ShowSecret").unwrap();
        for status in RETRYABLE_STATUSES {
            assert!(matches!(
                p.decide(show, 1, Outcome::Response(&response(status, &[])), 0.3, None),
                Decision::Retry { .. }
            ));
        }
        for status in [200, 204, 400, 401, 403, 404, 409] {
            assert_eq!(
                p.decide(show, 1, Outcome::Response(&response(status, &[])), 0.3, None),
                Decision::Stop { withheld: None }
            );
        }
        let invalid = Error::validation("x", "y");
        assert_eq!(p.decide(show, 1, Outcome::Failure(&invalid), 0.3, None), Decision::Stop { withheld: None });
    }

    #[test]
    fn non_idempotent_operations_are_resent_only_when_they_never_left() {
        let p = RetryPolicy::default();
        let rotate = operation("RotateSecret").unwrap();
        assert!(matches!(p.decide(rotate, 1, Outcome::Failure(&transport(false)), 0.3, None), Decision::Retry { .. }));
        for outcome in [Outcome::Failure(&transport(true)), Outcome::Response(&response(503, &[]))] {
            match p.decide(rotate, 1, outcome, 0.3, None) {
                Decision::Stop { withheld: Some(why) } => {
                    assert!(why.contains("RotateSecret is not idempotent"), "{why}")
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn backoff_doubles_with_full_jitter_and_honours_retry_after() {
        let p = RetryPolicy { max_attempts: 10, ..RetryPolicy::default() };
        let show = operation("ShowSecret").unwrap();
        let busy = response(503, &[]);
        let delay = |attempt, random| match p.decide(show, attempt, Outcome::Response(&busy), random, None) {
            Decision::Retry { after } => after,
            other => panic!("{other:?}"),
        };
        assert_eq!(delay(1, 0.999_999), Duration::from_micros(99_999) + Duration::from_nanos(900));
        assert_eq!(delay(3, 0.5), Duration::from_millis(200));
        assert_eq!(delay(9, 1.0), Duration::from_secs(20));
        assert_eq!(delay(2, 0.0), Duration::ZERO);
        let throttled = response(429, &[("Retry-After", "3")]);
        assert_eq!(
            p.decide(show, 1, Outcome::Response(&throttled), 0.0, None),
            Decision::Retry { after: Duration::from_secs(3) }
        );
        let dated = response(429, &[("retry-after", "Mon, 23 Nov 2026 12:00:05 GMT")]);
        let now = SdkDate::parse("20261123T120000Z").unwrap();
        assert_eq!(
            p.decide(show, 1, Outcome::Response(&dated), 0.0, Some(now)),
            Decision::Retry { after: Duration::from_secs(5) }
        );
    }

    #[test]
    fn a_refused_clock_is_retried_even_for_rotations() {
        let rotate = operation("RotateSecret").unwrap();
        let mut refused = response(401, &[("Date", "Mon, 23 Nov 2026 12:00:00 GMT")]);
        refused.body =
            br#"{"error_msg":"...: signature expired, signature time:20261123T113000Z,server time:20261123T120000Z"}"#
                .to_vec();
        assert!(matches!(
            RetryPolicy::default().decide(rotate, 1, Outcome::Response(&refused), 0.1, None),
            Decision::Retry { .. }
        ));
        assert_eq!(clock_skew(&response(401, &[("Date", "Mon, 23 Nov 2026 12:00:00 GMT")])), None);
    }

    #[test]
    fn edge_numbers_saturate_instead_of_panicking() {
        let show = operation("ShowSecret").unwrap();
        let busy = response(503, &[]);
        let delay = |policy: RetryPolicy, attempt, random| match policy.decide(
            show,
            attempt,
            Outcome::Response(&busy),
            random,
            None,
        ) {
            Decision::Retry { after } => after,
            other => panic!("{other:?}"),
        };
        let p = RetryPolicy::default();
        assert_eq!(delay(p, 0, 0.5), Duration::from_millis(50));
        assert_eq!(delay(p, 1, f64::NAN), Duration::ZERO);
        assert_eq!(delay(p, 1, f64::INFINITY), Duration::from_millis(100));
        assert_eq!(delay(p, 1, -1.0), Duration::ZERO);
        let unbounded = RetryPolicy {
            max_attempts: u32::MAX,
            base: Duration::MAX,
            cap: Duration::MAX,
            max_retry_after: Duration::MAX,
        };
        assert_eq!(delay(unbounded, 1, 1.0), Duration::MAX);
        assert_eq!(delay(unbounded, u32::MAX - 1, 1.0), Duration::MAX);
        assert!(delay(unbounded, 1, 0.5) > Duration::from_secs(u64::MAX / 4));
        let dated = response(429, &[("Retry-After", "Mon, 23 Nov 2026 12:00:05 GMT")]);
        let decision = p.decide(show, 1, Outcome::Response(&dated), 0.0, Some(SdkDate::from_unix(i64::MIN)));
        assert!(matches!(decision, Decision::Stop { withheld: Some(_) }), "{decision:?}");
        let patient = RetryPolicy { max_retry_after: Duration::MAX, ..p };
        let decision = patient.decide(show, 1, Outcome::Response(&dated), 0.0, Some(SdkDate::from_unix(i64::MIN)));
        assert!(matches!(decision, Decision::Retry { after } if after > Duration::from_secs(u64::MAX / 4)));
        let huge = response(503, &[("Retry-After", "18446744073709551615")]);
        assert!(matches!(patient.decide(show, 1, Outcome::Response(&huge), 0.0, None), Decision::Retry { .. }));
    }

    #[test]
    fn a_429_is_retried_for_every_operation() {
        let p = RetryPolicy::default();
        for name in ["RotateSecret", "CreateSecretVersion", "CreateSecret", "ShowSecret"] {
            let op = operation(name).unwrap();
            let decision = p.decide(op, 1, Outcome::Response(&response(429, &[])), 0.5, None);
            assert!(matches!(decision, Decision::Retry { .. }), "{name}: {decision:?}");
        }
        let rotate = operation("RotateSecret").unwrap();
        for status in [408, 500, 502, 503, 504] {
            let decision = p.decide(rotate, 1, Outcome::Response(&response(status, &[])), 0.5, None);
            assert!(matches!(decision, Decision::Stop { withheld: Some(_) }), "{status}: {decision:?}");
        }
    }

    #[test]
    fn operations_without_side_effects_count_as_idempotent() {
        for op in crate::operations::OPERATIONS {
            let read_only = op.method == "GET"
                || op.name.starts_with("Show")
                || op.name.starts_with("List")
                || op.name == "GenerateRandomPassword";
            if read_only {
                assert!(op.idempotent, "{} has no side effects but is not marked idempotent", op.name);
            }
        }
        for name in ["RotateSecret", "CreateSecretVersion", "CreateSecret", "RestoreSecret"] {
            assert!(!operation(name).unwrap().idempotent, "{name}");
        }
    }

    #[test]
    fn a_retry_after_beyond_the_cap_is_honoured_up_to_the_maximum() {
        let p = RetryPolicy::default();
        let rotate = operation("RotateSecret").unwrap();
        let decide = |policy: RetryPolicy, seconds: &str| {
            policy.decide(rotate, 1, Outcome::Response(&response(429, &[("Retry-After", seconds)])), 0.9, None)
        };
        for seconds in [21, 45, 60] {
            assert_eq!(decide(p, &seconds.to_string()), Decision::Retry { after: Duration::from_secs(seconds) });
        }
        match decide(p, "61") {
            Decision::Stop { withheld: Some(why) } => {
                assert!(why.contains("61 s (Retry-After)") && why.contains("60 s max_retry_after"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        let patient = RetryPolicy { max_retry_after: Duration::from_secs(3600), ..p };
        assert_eq!(decide(patient, "600"), Decision::Retry { after: Duration::from_secs(600) });
        // The last attempt stops as always, without a note.
        let last = p.decide(rotate, 3, Outcome::Response(&response(429, &[("Retry-After", "600")])), 0.9, None);
        assert_eq!(last, Decision::Stop { withheld: None });
    }

    #[test]
    fn a_failure_the_transport_marks_final_is_not_retried() {
        let show = operation("ShowSecret").unwrap();
        let refused = Error::Transport {
            reason: "invalid header value".into(),
            maybe_sent: false,
            timed_out: false,
            not_retried: Some("the HTTP stack refused the request before sending it".into()),
        };
        let decision = RetryPolicy::default().decide(show, 1, Outcome::Failure(&refused), 0.5, None);
        assert_eq!(decision, Decision::Stop { withheld: None });
    }

    #[test]
    fn the_server_time_of_a_refusal_message_is_read_where_there_is_one() {
        let with = |body: &str| HttpResponse::new(401, vec![], body.to_owned());
        let official = with(
            r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: signature expired, signature time:20230527T000431Z,server time:20230527T020608Z"}"#,
        );
        assert_eq!(message_server_time(&official), Some(SdkDate::parse("20230527T020608Z").unwrap()));
        assert_eq!(
            message_server_time(&with("Server Time: 20230527T020608Z")).map(|d| d.unix_seconds()),
            Some(SdkDate::parse("20230527T020608Z").unwrap().unix_seconds())
        );
        for body in ["signature expired", "server time:", "server time:2023", "server time:20231327T000000Z"] {
            assert_eq!(message_server_time(&with(body)), None, "{body}");
        }
    }
}

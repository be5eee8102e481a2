//! The attempts of one call, as a sans-IO state machine: every language's transport loop
//! is the same few lines around it, and every decision is taken here.
//!
//! ```text
//! let mut call = client.start(op, &input, policy)?;       // validated, built, unsigned
//! loop {
//!     let request = call.request(&client, clock_now())?;  // signed anew, clock corrected
//!     let outcome = send(request);                         // the transport's only job
//!     match call.receive(&client, outcome, clock_now(), random()) {
//!         Next::Wait(delay) => sleep(delay),
//!         Next::Done(result) => return result.and_then(|r| parse_response(op, &r)),
//!     }
//! }
//! ```

use crate::client::Client;
use crate::error::{Error, RefusedSignature, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::operations::OperationSpec;
use crate::response::api_error;
use crate::retry::{clock_skew, message_server_time, retry_after, whole_seconds, Decision, Outcome, RetryPolicy};
use crate::time::SdkDate;
use std::borrow::Cow;
use std::time::Duration;

/// Default time allowed to establish a connection (every default transport uses it).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole request, response body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What the transport loop does next.
#[derive(Debug)]
pub enum Next {
    /// Wait this long, then ask [`Attempts::request`] for the next attempt.
    Wait(Duration),
    /// The call is over: a 2xx response to parse, or the error to return (an API error for
    /// any other status, or the last transport failure), which says when a retry was
    /// withheld on purpose.
    Done(Result<HttpResponse>),
}

/// The attempts of one call of one operation (see [`Client::start`]).
///
/// ```
/// use csms_core::{operation, AccessKey, Client, Config, HttpResponse, Next, RetryPolicy, SdkDate};
/// use serde_json::json;
///
/// let client = Client::new(Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK")).unwrap()).unwrap();
/// let op = operation("ShowSecret").unwrap();
/// let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
/// let now = SdkDate::parse("20261123T120000Z").unwrap();
///
/// let first = call.request(&client, now).unwrap();
/// let busy = HttpResponse::new(503, vec![], "");
/// assert!(matches!(call.receive(&client, Ok(busy), now, 0.5), Next::Wait(_)));
///
/// let second = call.request(&client, now.offset(1)).unwrap();
/// assert_ne!(first.header("X-Sdk-Date"), second.header("X-Sdk-Date")); // signed anew
/// let ok = HttpResponse::new(200, vec![], r#"{"secret": {"name": "db"}}"#);
/// let Next::Done(Ok(response)) = call.receive(&client, Ok(ok), now, 0.5) else { panic!() };
/// assert_eq!(client.parse_response("ShowSecret", &response).unwrap()["secret"]["name"], "db");
/// ```
#[derive(Debug)]
pub struct Attempts {
    op: &'static OperationSpec,
    unsigned: HttpRequest,
    policy: RetryPolicy,
    /// The number of the attempt last signed (0 before the first).
    attempt: u32,
    /// The local clock (uncorrected) when the last attempt was signed.
    local_at: Option<SdkDate>,
    /// The time the last attempt was signed for (the local clock corrected).
    signed_at: Option<SdkDate>,
    /// How long the whole call may take, retries included ([`Attempts::with_deadline`]).
    deadline: Option<Duration>,
    /// How long the call has taken so far, as the host last said ([`Attempts::elapsed`]).
    elapsed: Duration,
}

impl Attempts {
    pub(crate) fn new(op: &'static OperationSpec, unsigned: HttpRequest, policy: RetryPolicy) -> Self {
        Attempts {
            op,
            unsigned,
            policy,
            attempt: 0,
            local_at: None,
            signed_at: None,
            deadline: None,
            elapsed: Duration::ZERO,
        }
    }

    /// The same attempts bounded to `deadline` in all, from the start of the call, retries
    /// and waits included. The host tells how long the call has taken ([`Attempts::elapsed`],
    /// from its monotonic clock) before each attempt and each [`Attempts::receive`]; each
    /// attempt's timeout is cut to what is left ([`Attempts::timeout`]), and a retry whose
    /// wait would pass the deadline is not made (the error's `not_retried` says so).
    ///
    /// ```
    /// use csms_core::{operation, AccessKey, Client, Config, HttpResponse, Next, RetryPolicy, SdkDate};
    /// use std::time::Duration;
    /// let client = Client::new(Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK")).unwrap()).unwrap();
    /// let op = operation("ShowSecret").unwrap();
    /// let input = serde_json::json!({"secret_name": "db"});
    /// let mut call = client.start(op, &input, RetryPolicy::default()).unwrap().with_deadline(Duration::from_secs(5));
    /// call.elapsed(Duration::from_secs(4));
    /// assert_eq!(call.timeout(Some(Duration::from_secs(60))).unwrap(), Some(Duration::from_secs(1)));
    /// ```
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// How long the call has taken so far (the host's monotonic clock, from its start).
    pub fn elapsed(&mut self, elapsed: Duration) {
        self.elapsed = elapsed;
    }

    /// The timeout of the next attempt: `per_attempt` (the client's or the call's; `None`:
    /// none), cut to what is left of the deadline. Nothing left: the transport error the
    /// deadline ends the call with (timed out, nothing sent, not retried).
    pub fn timeout(&self, per_attempt: Option<Duration>) -> Result<Option<Duration>> {
        let Some(deadline) = self.deadline else { return Ok(per_attempt) };
        let left = deadline.saturating_sub(self.elapsed);
        if left.is_zero() {
            return Err(self.past_deadline(deadline));
        }
        Ok(Some(per_attempt.map_or(left, |t| t.min(left))))
    }

    fn past_deadline(&self, deadline: Duration) -> Error {
        let mut error =
            Error::timeout(format!("the call's deadline of {} ms passed", crate::util::millis(deadline)), false);
        if let Error::Transport { not_retried, .. } = &mut error {
            *not_retried = Some("the call's deadline passed".to_owned());
        }
        error
    }

    /// The operation being called.
    pub fn operation(&self) -> &'static OperationSpec {
        self.op
    }

    /// The number of the current attempt (1 for the first; 0 before it).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The request of the next attempt, signed by `client` for the local clock `now`
    /// corrected by the client's learnt [`Client::clock_offset`].
    ///
    /// An offset that would put the signing time outside what can be signed (the years 1 to
    /// 9999) is forgotten (set back to 0) rather than leave the client unable to sign.
    pub fn request(&mut self, client: &Client, now: SdkDate) -> Result<HttpRequest> {
        let (unsigned, headers) = self.request_headers(client, now)?;
        let mut request = HttpRequest::new(unsigned.method.as_str(), unsigned.url.as_str());
        request.body = unsigned.body.clone();
        request.headers = Vec::with_capacity(headers.len());
        for (name, value) in headers {
            request.headers.push((name.to_owned(), value.into_owned()));
        }
        Ok(request)
    }

    /// [`Attempts::request`] without copying the call's request: the request as built
    /// (its method, URL and body are the attempt's) and the attempt's headers
    /// ([`Client::authenticated_headers`]), for a binding that writes the request out itself.
    #[allow(clippy::type_complexity)]
    pub fn request_headers<'a>(
        &'a mut self,
        client: &'a Client,
        now: SdkDate,
    ) -> Result<(&'a HttpRequest, Vec<(&'a str, Cow<'a, str>)>)> {
        let mut at = now.offset(client.clock_offset());
        if at.check_writable().is_err() && client.clock_offset() != 0 {
            client.set_clock_offset(0);
            at = now;
        }
        let headers = client.authenticated_headers(&self.unsigned, at)?;
        self.attempt = self.attempt.saturating_add(1);
        self.local_at = Some(now);
        self.signed_at = Some(at);
        Ok((&self.unsigned, headers))
    }

    /// The method of the call's requests.
    pub fn method(&self) -> &str {
        &self.unsigned.method
    }

    /// The URL of the call's requests.
    pub fn url(&self) -> &str {
        &self.unsigned.url
    }

    /// The canonical request of the last attempt as `client` signed it, the values of
    /// `X-Security-Token` and `X-Auth-Token` shown as `***`: for a debug record, computed
    /// only when asked. `None` before the first attempt or for a client sending an IAM token.
    pub fn canonical_request(&self, client: &Client) -> Option<String> {
        client.explain(&self.unsigned, self.signed_at?).map(|(canonical, _)| canonical)
    }

    /// Takes what happened to the attempt (a response of any status, or the transport's
    /// failure) and answers what to do next. `now` is the local clock, `random` a number in
    /// `[0, 1)` for the jitter.
    ///
    /// A response refusing the signature for its time teaches `client` the server's clock
    /// offset (from its `Date`), which every later request of that client uses; unless the
    /// offset is beyond [`Config::max_clock_offset`](crate::Config::max_clock_offset), or the
    /// `Date` disagrees with the server time the refusal's message gives (by more than
    /// [`CLOCK_CROSS_CHECK`]): then the offset is kept as it was and the call ends with the
    /// refusal, its `not_retried` saying why.
    pub fn receive(&mut self, client: &Client, outcome: Result<HttpResponse>, now: SdkDate, random: f64) -> Next {
        if let (Ok(response), Some(signed)) = (&outcome, self.local_at) {
            if let Some(server) = clock_skew(response) {
                match learnt_offset(client, response, server, signed) {
                    Ok(offset) => client.set_clock_offset(offset),
                    Err(why) => return Next::Done(Err(with_note(self.error_of(client, response, now), Some(why)))),
                }
            }
        }
        let decision = match &outcome {
            Ok(response) => {
                self.policy.decide(self.op, self.attempt.max(1), Outcome::Response(response), random, Some(now))
            }
            Err(error) => self.policy.decide(self.op, self.attempt.max(1), Outcome::Failure(error), random, Some(now)),
        };
        let withheld = match decision {
            Decision::Retry { after } => match self.deadline {
                Some(deadline) if self.elapsed.saturating_add(after) >= deadline => Some(format!(
                    "the call's deadline of {} ms would pass before the next attempt",
                    crate::util::millis(deadline)
                )),
                _ => return Next::Wait(after),
            },
            Decision::Stop { withheld } => withheld,
        };
        Next::Done(match outcome {
            Ok(response) if (200..300).contains(&response.status) => Ok(response),
            Ok(response) => Err(with_note(self.error_of(client, &response, now), withheld)),
            Err(error) => Err(with_note(error, withheld)),
        })
    }
}

/// One attempt of a call, as a debug hook sees it (made by [`Attempts::record`]): what was
/// sent and what came of it, never a secret. Bindings give the same fields to the host's
/// function.
#[derive(Debug)]
pub struct AttemptRecord<'a> {
    /// The operation called.
    pub operation: &'static str,
    /// The number of the attempt (1 for the first).
    pub attempt: u32,
    /// The HTTP method.
    pub method: &'a str,
    /// The URL.
    pub url: &'a str,
    /// The response's status, when one came back.
    pub status: Option<u16>,
    /// The transport's failure (the error's message), when no response came back.
    pub error: Option<String>,
    /// The response's request id (empty without one or without a response).
    pub request_id: &'a str,
    /// How long the attempt took, as the transport measured it (the core reads no clock).
    pub duration: Duration,
    attempts: &'a Attempts,
    client: &'a Client,
}

impl AttemptRecord<'_> {
    /// The canonical request the attempt signed, the values of `X-Security-Token` and
    /// `X-Auth-Token` shown as `***` (computed when asked; `None` for an IAM token).
    pub fn canonical_request(&self) -> Option<String> {
        self.attempts.canonical_request(self.client)
    }
}

impl Attempts {
    /// The record of the last attempt for a debug hook: its `outcome` (before it is given to
    /// [`Attempts::receive`]) and the `duration` the transport measured.
    pub fn record<'a>(
        &'a self,
        client: &'a Client,
        outcome: &'a Result<HttpResponse>,
        duration: Duration,
    ) -> AttemptRecord<'a> {
        let (status, error, request_id) = match outcome {
            Ok(response) => (Some(response.status), None, response.request_id().unwrap_or_default()),
            Err(e) => (None, Some(e.to_string()), ""),
        };
        AttemptRecord {
            operation: self.op.name,
            attempt: self.attempt,
            method: self.method(),
            url: self.url(),
            status,
            error,
            request_id,
            duration,
            attempts: self,
            client,
        }
    }
}

/// How far a refusal's `Date` and the server time in its message may differ (both come from
/// the server's clock): 5 minutes, a third of the 15 minutes a signature's time may be off.
pub const CLOCK_CROSS_CHECK: Duration = Duration::from_secs(300);

/// The offset a clock refusal teaches (`server - signed`, `signed` being the local clock the
/// attempt was signed at), or why it is not learnt.
fn learnt_offset(
    client: &Client,
    response: &HttpResponse,
    server: SdkDate,
    signed: SdkDate,
) -> std::result::Result<i64, String> {
    let offset = server.unix_seconds().saturating_sub(signed.unix_seconds());
    let disagrees = message_server_time(response).is_some_and(|said| {
        said.unix_seconds().abs_diff(server.unix_seconds()) > whole_seconds(CLOCK_CROSS_CHECK).unsigned_abs()
    });
    let why = if disagrees {
        "the server time in the refusal's message disagrees with it"
    } else if offset.unsigned_abs() > whole_seconds(client.config().max_clock_offset).unsigned_abs() {
        "beyond max_clock_offset"
    } else {
        return Ok(offset);
    };
    Err(format!(
        "no clock offset learnt from the server's Date ({}, {offset} s off this machine's clock): {why}",
        server.text()
    ))
}

impl Attempts {
    /// The API error of a response, with its `Retry-After` read against the local clock
    /// `now` (in either form), and for a refused signature what the last attempt signed.
    fn error_of(&self, client: &Client, response: &HttpResponse, now: SdkDate) -> Error {
        let mut error = api_error(response);
        if let Error::Api { retry_after_secs, signature, error_code, .. } = &mut error {
            *retry_after_secs = retry_after(response, Some(now)).map(crate::response::secs_u32);
            // The API gateway's codes (`APIGW.0301`, `APIG.0303`...): the service never saw it.
            if response.status == 401 && error_code.starts_with("APIG") {
                *signature = self.refused_signature(client, response);
            }
        }
        error
    }

    /// What the last attempt signed, and how far the response's `Date` is from its time.
    fn refused_signature(&self, client: &Client, response: &HttpResponse) -> Option<Box<RefusedSignature>> {
        let at = self.signed_at?;
        let (canonical_request, string_to_sign) = client.explain(&self.unsigned, at)?;
        let server = response.header("Date").and_then(|date| SdkDate::parse_http_date(date).ok());
        let clock_off_secs = server.map(|server| server.unix_seconds().saturating_sub(at.unix_seconds()));
        Some(Box::new(RefusedSignature { canonical_request, string_to_sign, clock_off_secs }))
    }
}

fn with_note(mut error: Error, note: Option<String>) -> Error {
    if let Error::Api { not_retried, .. } | Error::Transport { not_retried, .. } = &mut error {
        if note.is_some() {
            *not_retried = note;
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::AccessKey;
    use crate::operations::operation;
    use crate::{Config, Verifier, VerifyError};
    use serde_json::json;

    fn client() -> Client {
        Client::new(Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK")).unwrap()).unwrap()
    }

    fn at(text: &str) -> SdkDate {
        SdkDate::parse(text).unwrap()
    }

    #[test]
    fn request_headers_are_the_headers_of_request_for_signed_and_token_clients() {
        let op = operation("UpdateSecret").unwrap();
        let input = json!({"secret_name": "db", "description": "d"});
        let mut token = Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK")).unwrap();
        token.credentials = crate::Credentials::Token("iam-token".into());
        let temporary = AccessKey::new("AK", "SK").with_security_token(" st ");
        let clients = [
            client(),
            Client::new(token).unwrap(),
            Client::new(Config::for_region("r", "pid", temporary).unwrap()).unwrap(),
        ];
        for client in clients {
            let now = at("20261123T113000Z");
            let mut owned = client.start(op, &input, RetryPolicy::default()).unwrap();
            let mut borrowed = client.start(op, &input, RetryPolicy::default()).unwrap();
            let request = owned.request(&client, now).unwrap();
            let (unsigned, headers) = borrowed.request_headers(&client, now).unwrap();
            assert_eq!(
                (unsigned.method.as_str(), unsigned.url.as_str()),
                (request.method.as_str(), request.url.as_str())
            );
            assert_eq!(unsigned.body, request.body);
            let headers: Vec<(String, String)> =
                headers.into_iter().map(|(k, v)| (k.to_owned(), v.into_owned())).collect();
            assert_eq!(headers, request.headers);
            assert!(headers.iter().any(|(k, _)| k == "Authorization" || k == "X-Auth-Token"), "{headers:?}");
            assert_eq!(
                (borrowed.attempt(), borrowed.canonical_request(&client)),
                (1, owned.canonical_request(&client))
            );
        }
    }

    #[test]
    fn a_deadline_cuts_the_attempts_timeouts_and_withholds_a_retry_that_would_pass_it() {
        let client = client();
        let op = operation("ShowSecret").unwrap();
        let input = json!({"secret_name": "db"});
        let now = at("20261123T113000Z");
        let secs = Duration::from_secs;
        // Without a deadline: the per-attempt timeout as it is.
        let plain = client.start(op, &input, RetryPolicy::default()).unwrap();
        assert_eq!(plain.timeout(Some(secs(60))).unwrap(), Some(secs(60)));
        assert_eq!(plain.timeout(None).unwrap(), None);

        let mut call = client.start(op, &input, RetryPolicy::default()).unwrap().with_deadline(secs(10));
        assert_eq!(call.timeout(Some(secs(60))).unwrap(), Some(secs(10)));
        assert_eq!(call.timeout(None).unwrap(), Some(secs(10)));
        call.request(&client, now).unwrap();
        call.elapsed(secs(3));
        let busy = || Ok(HttpResponse::new(503, vec![], ""));
        assert!(matches!(call.receive(&client, busy(), now, 0.5), Next::Wait(_)), "7 s left: retried");
        call.request(&client, now).unwrap();
        call.elapsed(Duration::from_millis(9_990));
        assert_eq!(call.timeout(Some(secs(60))).unwrap(), Some(Duration::from_millis(10)));
        let Next::Done(Err(error)) = call.receive(&client, busy(), now, 0.5) else { panic!("not retried") };
        assert_eq!(error.status(), Some(503), "the last answer's error");
        assert!(error.not_retried().unwrap().contains("deadline of 10000 ms would pass"), "{error}");

        call.elapsed(secs(10));
        let error = call.timeout(Some(secs(60))).unwrap_err();
        assert!(error.is_timeout() && error.not_retried().is_some(), "{error}");
        assert!(matches!(error, Error::Transport { maybe_sent: false, .. }));
    }

    /// `HttpResponse::HEADERS_READ` is every header the core reads, and
    /// `HttpResponse::headers_read` every one it reads of a response of that status: a call
    /// ends, waits and errs the same with only those headers as with all of them.
    #[test]
    fn the_headers_the_core_reads_are_the_headers_read() {
        let headers = |names: &[&str]| -> Vec<(String, String)> {
            [
                ("X-Request-Id", "req-1"),
                ("Retry-After", "7"),
                ("Date", "Mon, 23 Nov 2026 12:00:00 GMT"),
                ("Content-Type", "application/json"),
                ("Server", "s"),
                ("X-Auth-Token", "t"),
                ("Location", "/x"),
            ]
            .iter()
            .filter(|(name, _)| names.is_empty() || names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
        };
        let bodies = [
            (200, r#"{"secret":{"name":"db"}}"#),
            (200, "not json"),
            (401, r#"{"error_code":"APIGW.0301","error_msg":"signature expired"}"#),
            (429, r#"{"error_code":"CSMS.0429","error_msg":"slow down"}"#),
            (503, ""),
            (404, r#"{"error":{"error_code":"CSMS.0404","error_msg":"no such secret","request_id":"body-id"}}"#),
        ];
        let mut each_read = [false; 3];
        for (status, body) in bodies {
            let outcome = |names: &[&str]| {
                let client = client();
                let op = operation("UpdateSecret").unwrap();
                let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
                let local = at("20261123T113000Z");
                call.request(&client, local).unwrap();
                let response = HttpResponse::new(status, headers(names), body);
                // A response the call gives back is read for its result.
                let next = match call.receive(&client, Ok(response), local, 0.5) {
                    Next::Done(Ok(response)) => format!("done {:?}", crate::parse_response(op, &response)),
                    next => format!("{next:?}"),
                };
                format!("{next} {}", client.clock_offset())
            };
            let all = outcome(&[]);
            assert_eq!(outcome(&HttpResponse::HEADERS_READ), all, "{status} {body}");
            assert_eq!(outcome(HttpResponse::headers_read(status)), all, "{status} {body}");
            for (i, read) in HttpResponse::HEADERS_READ.iter().enumerate() {
                let others: Vec<&str> = HttpResponse::HEADERS_READ.iter().copied().filter(|n| n != read).collect();
                each_read[i] |= outcome(&others) != all;
            }
        }
        assert_eq!(each_read, [true; 3], "each header of the list is read");
    }

    #[test]
    fn a_refused_clock_is_learnt_and_used_by_the_next_attempt_and_later_calls() {
        let client = client();
        let op = operation("RotateSecret").unwrap();
        let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        let local = at("20261123T113000Z");
        call.request(&client, local).unwrap();
        let refused = HttpResponse::new(
            401,
            vec![("Date".into(), "Mon, 23 Nov 2026 12:00:00 GMT".into())],
            r#"{"error_code":"APIGW.0301","error_msg":"signature expired"}"#,
        );
        assert!(matches!(call.receive(&client, Ok(refused), local, 0.0), Next::Wait(_)));
        assert_eq!(client.clock_offset(), 1800);
        let retry = call.request(&client, local).unwrap();
        assert_eq!(retry.header("X-Sdk-Date"), Some("20261123T120000Z"));
        let later =
            client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap().request(&client, local);
        assert_eq!(later.unwrap().header("X-Sdk-Date"), Some("20261123T120000Z"));
    }

    #[test]
    fn a_refused_signature_carries_what_was_signed_and_the_likely_causes() {
        let key = AccessKey::new("AK", "SECRET-SK").with_security_token("SECRET-TOKEN");
        let client = Client::new(Config::for_region("cn-north-4", "pid", key.clone()).unwrap()).unwrap();
        let op = operation("ShowSecret").unwrap();
        let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        assert_eq!(call.canonical_request(&client), None);
        let now = at("20261123T120000Z");
        let sent = call.request(&client, now).unwrap();
        let refused = HttpResponse::new(
            401,
            vec![("Date".into(), "Mon, 23 Nov 2026 12:00:42 GMT".into())],
            r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail"}"#,
        );
        let Next::Done(Err(err)) = call.receive(&client, Ok(refused), now, 0.0) else { panic!() };
        let canonical = err.canonical_request().unwrap();
        assert!(canonical.starts_with("GET\n/v1/pid/secrets/db/\n"), "{canonical}");
        assert!(canonical.contains("\nx-security-token:***\n"), "{canonical}");
        let string_to_sign = err.string_to_sign().unwrap();
        assert!(string_to_sign.starts_with("SDK-HMAC-SHA256\n20261123T120000Z\n"), "{string_to_sign}");
        assert_eq!(err.refused_signature().unwrap().clock_off_secs, Some(42));
        assert_eq!(call.canonical_request(&client).as_deref(), Some(canonical));
        // The string to sign is the one the signature was made over: a verifier agrees.
        match Verifier::new(AccessKey::new("AK", "OTHER").with_security_token("SECRET-TOKEN")).verify(&sent) {
            Err(VerifyError::SignatureMismatch { canonical_request, string_to_sign: server }) => {
                assert_eq!((canonical_request.as_str(), server.as_str()), (canonical, string_to_sign));
            }
            other => panic!("{other:?}"),
        }
        let message = err.to_string();
        for text in [canonical, string_to_sign, &message, &format!("{err:?}")] {
            assert!(!text.contains("SECRET"), "{text}");
        }
        let clock = message.find("clock is more than 15 minutes off (the server's Date is 42 s").unwrap();
        let sk = message.find("wrong SK for this AK").unwrap();
        let proxy = message.find("a proxy changed the host, path or a signed header").unwrap();
        assert!(clock < sk && sk < proxy, "{message}");

        // Other refusals, and refusals of a token, carry nothing.
        let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        call.request(&client, now).unwrap();
        let forbidden = HttpResponse::new(403, vec![], r#"{"error_code":"CSMS.0403","error_msg":"no"}"#);
        let Next::Done(Err(err)) = call.receive(&client, Ok(forbidden), now, 0.0) else { panic!() };
        assert_eq!(err.canonical_request(), None);
        assert!(!err.to_string().contains("likely causes"), "{err}");
    }

    #[test]
    fn a_withheld_retry_is_said_in_the_error() {
        let client = client();
        let op = operation("RotateSecret").unwrap();
        let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        let now = at("20261123T120000Z");
        call.request(&client, now).unwrap();
        let busy = HttpResponse::new(503, vec![("X-Request-Id".into(), "r-9".into())], "");
        let Next::Done(Err(error)) = call.receive(&client, Ok(busy), now, 0.0) else { panic!() };
        assert_eq!(error.request_id(), Some("r-9"));
        assert_eq!(error.status(), Some(503));
        assert!(error.not_retried().unwrap().contains("RotateSecret is not idempotent"), "{error}");
        assert!(error.to_string().contains("not retried"), "{error}");
    }

    #[test]
    fn the_last_failure_is_returned_when_attempts_run_out() {
        let client = client();
        let op = operation("ShowSecret").unwrap();
        let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        let now = at("20261123T120000Z");
        for attempt in 1..=3 {
            call.request(&client, now).unwrap();
            assert_eq!(call.attempt(), attempt);
            let failure = Err(Error::transport("reset", true));
            match call.receive(&client, failure, now, 0.0) {
                Next::Wait(_) => assert!(attempt < 3),
                Next::Done(Err(e)) => {
                    assert_eq!(attempt, 3);
                    assert_eq!(e.not_retried(), None);
                    assert_eq!(e.kind(), "transport");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn extreme_clock_offsets_are_forgotten_rather_than_stop_signing() {
        let client = client();
        let op = operation("ShowSecret").unwrap();
        // An offset that puts the time beyond what X-Sdk-Date can write is forgotten.
        for (offset, now) in [(i64::MAX, SdkDate::from_unix(1)), (i64::MIN, SdkDate::from_unix(-1))] {
            client.set_clock_offset(offset);
            let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
            let request = call.request(&client, now).unwrap();
            assert_eq!(request.header("X-Sdk-Date"), Some(now.to_string().as_str()));
            assert_eq!(client.clock_offset(), 0);
        }
        // A local clock that cannot be written is still refused, as field `at`.
        let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        let err = call.request(&client, SdkDate::from_unix(i64::MAX)).unwrap_err();
        assert!(matches!(&err, Error::Validation { field, .. } if field == "at"), "{err}");
        // A server date learnt against a local clock at the far end of what can be signed.
        let lenient = Client::new(
            Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK"))
                .unwrap()
                .with_max_clock_offset(Duration::MAX),
        )
        .unwrap();
        let mut call = lenient.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        let first = SdkDate::from_unix(-62_135_596_800);
        call.request(&lenient, first).unwrap();
        call.receive(&lenient, Ok(expired("Mon, 23 Nov 2026 12:00:00 GMT")), first, 0.0);
        assert_eq!(lenient.clock_offset(), 1_795_435_200 + 62_135_596_800);
    }

    /// A 401 refusing a signature for its time, with the server's `Date`.
    fn expired(date: &str) -> HttpResponse {
        HttpResponse::new(
            401,
            vec![("Date".into(), date.into())],
            r#"{"error_code":"APIGW.0301","error_msg":"signature expired"}"#,
        )
    }

    /// One call of ShowSecret at local time `now` against a server whose clock reads
    /// `server` and accepts a signature within 15 minutes of it; returns the call's result
    /// (an error, or the signing time the server accepted).
    fn call_at(client: &Client, now: SdkDate, server: SdkDate) -> Result<SdkDate> {
        let op = operation("ShowSecret").unwrap();
        let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        loop {
            let request = call.request(client, now)?;
            let signed = SdkDate::parse(request.header("X-Sdk-Date").unwrap()).unwrap();
            let response = if signed.unix_seconds().abs_diff(server.unix_seconds()) <= 900 {
                HttpResponse::new(200, vec![], r#"{"secret": {"name": "db"}}"#)
            } else {
                expired(&server.to_http_date())
            };
            match call.receive(client, Ok(response), now, 0.0) {
                Next::Wait(_) => continue,
                Next::Done(result) => return result.map(|_| signed),
            }
        }
    }

    #[test]
    fn a_server_clock_that_jumps_years_ahead_and_back_never_stops_the_client() {
        let local = at("20261123T120000Z");
        let far = at("99991231T235000Z");

        // By default (24 h), a server years ahead is not followed: its calls fail, saying
        // why, and the client signs with its own clock again once the server is back.
        let client = client();
        let err = call_at(&client, local, far).unwrap_err();
        assert_eq!(err.status(), Some(401));
        assert!(err.not_retried().unwrap().contains("max_clock_offset"), "{err}");
        assert_eq!(client.clock_offset(), 0);
        assert_eq!(call_at(&client, local.offset(60), local.offset(60)).unwrap(), local.offset(60));

        // With no bound, the client follows the server to the year 9999 and back.
        let lenient = Client::new(
            Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK"))
                .unwrap()
                .with_max_clock_offset(Duration::MAX),
        )
        .unwrap();
        assert_eq!(call_at(&lenient, local, far).unwrap(), far);
        assert_eq!(lenient.clock_offset(), far.unix_seconds() - local.unix_seconds());
        // The server comes back: the next refusal teaches the offset back.
        assert_eq!(call_at(&lenient, local.offset(60), local.offset(60)).unwrap(), local.offset(60));
        assert_eq!(lenient.clock_offset(), 0);
        // Ahead again; then the local clock moves on until local + offset is past 9999: the
        // offset is forgotten instead of every request being refused before it is sent.
        assert_eq!(call_at(&lenient, local, far).unwrap(), far);
        let later = local.offset(3600);
        assert_eq!(call_at(&lenient, later, later).unwrap(), later);
        assert_eq!(lenient.clock_offset(), 0);
    }

    #[test]
    fn a_clock_offset_beyond_the_bound_or_at_odds_with_the_message_is_not_learnt() {
        let local = at("20261123T120000Z");
        let two_days = local.offset(2 * 86_400);
        let client = client();
        let err = call_at(&client, local, two_days).unwrap_err();
        let why = err.not_retried().unwrap();
        assert!(why.contains("172800 s off") && why.contains("max_clock_offset"), "{err}");
        assert_eq!(client.clock_offset(), 0);
        let wider = Client::new(
            Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK"))
                .unwrap()
                .with_max_clock_offset(Duration::from_secs(3 * 86_400)),
        )
        .unwrap();
        assert_eq!(call_at(&wider, local, two_days).unwrap(), two_days);

        // The message's server time must agree with the Date (within 5 minutes).
        let op = operation("RotateSecret").unwrap();
        let refusal = |said: &str| {
            HttpResponse::new(
                401,
                vec![("Date".into(), "Mon, 23 Nov 2026 12:30:00 GMT".into())],
                format!(
                    r#"{{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: signature expired, signature time:20261123T120000Z,server time:{said}"}}"#
                ),
            )
        };
        let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        call.request(&client, local).unwrap();
        let Next::Done(Err(err)) = call.receive(&client, Ok(refusal("20261125T000000Z")), local, 0.0) else { panic!() };
        assert!(err.not_retried().unwrap().contains("disagree"), "{err}");
        assert_eq!(client.clock_offset(), 0);
        let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        call.request(&client, local).unwrap();
        assert!(matches!(call.receive(&client, Ok(refusal("20261123T123100Z")), local, 0.0), Next::Wait(_)));
        assert_eq!(client.clock_offset(), 1800);
    }

    #[test]
    fn a_retry_after_beyond_the_maximum_ends_the_call_and_is_reported() {
        let client = client();
        let now = at("20261123T120000Z");
        for (header, seconds) in [("600", 600), ("Mon, 23 Nov 2026 12:10:00 GMT", 600)] {
            let op = operation("CreateSecretVersion").unwrap();
            let input = json!({"secret_name": "db", "secret_string": "v"});
            let mut call = client.start(op, &input, RetryPolicy::default()).unwrap();
            call.request(&client, now).unwrap();
            let throttled = HttpResponse::new(
                429,
                vec![("Retry-After".into(), header.into()), ("X-Request-Id".into(), "r-1".into())],
                r#"{"error_code":"CSMS.0429","error_msg":"throttled"}"#,
            );
            let Next::Done(Err(err)) = call.receive(&client, Ok(throttled), now, 0.5) else { panic!("{header}") };
            assert_eq!(err.retry_after(), Some(Duration::from_secs(seconds)), "{header}");
            assert!(err.not_retried().unwrap().contains("Retry-After"), "{err}");
            assert_eq!(err.request_id(), Some("r-1"));
        }
        // Within the maximum, a throttled rotation waits as long as it was asked, then goes on.
        let op = operation("RotateSecret").unwrap();
        let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        call.request(&client, now).unwrap();
        let throttled = HttpResponse::new(429, vec![("Retry-After".into(), "30".into())], "");
        assert!(
            matches!(call.receive(&client, Ok(throttled), now, 0.5), Next::Wait(d) if d == Duration::from_secs(30))
        );
    }
}

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
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::operations::OperationSpec;
use crate::response::api_error;
use crate::retry::{clock_skew, Decision, Outcome, RetryPolicy};
use crate::time::SdkDate;
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
}

impl Attempts {
    pub(crate) fn new(op: &'static OperationSpec, unsigned: HttpRequest, policy: RetryPolicy) -> Self {
        Attempts { op, unsigned, policy, attempt: 0, local_at: None }
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
    pub fn request(&mut self, client: &Client, now: SdkDate) -> Result<HttpRequest> {
        let mut request = self.unsigned.clone();
        client.authenticate(&mut request, now.offset(client.clock_offset()))?;
        self.attempt = self.attempt.saturating_add(1);
        self.local_at = Some(now);
        Ok(request)
    }

    /// Takes what happened to the attempt (a response of any status, or the transport's
    /// failure) and answers what to do next. `now` is the local clock, `random` a number in
    /// `[0, 1)` for the jitter.
    ///
    /// A response refusing the signature for its time teaches `client` the server's clock
    /// offset, which every later request of that client uses.
    pub fn receive(&mut self, client: &Client, outcome: Result<HttpResponse>, now: SdkDate, random: f64) -> Next {
        if let (Ok(response), Some(signed)) = (&outcome, self.local_at) {
            if let Some(server) = clock_skew(response) {
                client.set_clock_offset(server.unix_seconds().saturating_sub(signed.unix_seconds()));
            }
        }
        let decision = match &outcome {
            Ok(response) => {
                self.policy.decide(self.op, self.attempt.max(1), Outcome::Response(response), random, Some(now))
            }
            Err(error) => self.policy.decide(self.op, self.attempt.max(1), Outcome::Failure(error), random, Some(now)),
        };
        let withheld = match decision {
            Decision::Retry { after } => return Next::Wait(after),
            Decision::Stop { withheld } => withheld,
        };
        Next::Done(match outcome {
            Ok(response) if (200..300).contains(&response.status) => Ok(response),
            Ok(response) => Err(with_note(api_error(&response), withheld)),
            Err(error) => Err(with_note(error, withheld)),
        })
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
    use crate::Config;
    use serde_json::json;

    fn client() -> Client {
        Client::new(Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK")).unwrap()).unwrap()
    }

    fn at(text: &str) -> SdkDate {
        SdkDate::parse(text).unwrap()
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
    fn extreme_clock_offsets_saturate() {
        let client = client();
        let op = operation("ShowSecret").unwrap();
        // The sum saturates; a time X-Sdk-Date cannot write is refused, not signed.
        for (offset, now) in [(i64::MAX, SdkDate::from_unix(1)), (i64::MIN, SdkDate::from_unix(-1))] {
            client.set_clock_offset(offset);
            let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
            let err = call.request(&client, now).unwrap_err();
            assert!(matches!(&err, Error::Validation { field, .. } if field == "at"), "{err}");
        }
        // A server date learnt against a local clock at the far end of what can be signed.
        client.set_clock_offset(0);
        let mut call = client.start(op, &json!({"secret_name": "db"}), RetryPolicy::default()).unwrap();
        let first = SdkDate::from_unix(-62_135_596_800);
        call.request(&client, first).unwrap();
        let refused = HttpResponse::new(
            401,
            vec![("Date".into(), "Mon, 23 Nov 2026 12:00:00 GMT".into())],
            r#"{"error_msg":"signature expired"}"#,
        );
        call.receive(&client, Ok(refused), first, 0.0);
        assert_eq!(client.clock_offset(), 1_795_435_200 + 62_135_596_800);
    }
}

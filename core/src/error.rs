//! The one error type of the crate.

use std::fmt;
use std::time::Duration;

/// Everything that can go wrong on the way from an input to a result.
///
/// Every variant keeps what is needed to act on it: a validation error names the member,
/// an API error keeps what the server said. None of them ever contains a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input was refused before anything was built or sent.
    Validation {
        /// The member at fault, as a path of wire names (`secret_name`, `tags[0].key`).
        field: String,
        /// Why it was refused, in plain English.
        reason: String,
    },
    /// The server answered with an error status (anything outside 2xx).
    Api {
        /// HTTP status code.
        status: u16,
        /// The service's error code (`CSMS.0401`), or the status as text when the body has none.
        error_code: String,
        /// The service's message, or the raw body when it is not a recognised error document.
        error_msg: String,
        /// The `X-Request-Id` of the response (or `request_id` of the body), empty if absent.
        request_id: String,
        /// Set when the status is one that is normally retried but the call was not
        /// (`RotateSecret is not idempotent and the server may have applied it`, or a
        /// `Retry-After` beyond [`RetryPolicy::max_retry_after`](crate::RetryPolicy::max_retry_after)).
        not_retried: Option<String>,
        /// The response's `Retry-After` in seconds (given as seconds, or as an HTTP date read
        /// against the clock of the call; at most `u32::MAX`), when it had one: how long the
        /// server asked to wait before another attempt. [`Error::retry_after`] gives it as a
        /// `Duration`. (Whole seconds, as the header gives them: a `Duration` here would make
        /// every `Result` of the crate larger, and the WebAssembly build with it.)
        retry_after_secs: Option<u32>,
        /// When the service refused the signature (a 401 from the API gateway, `APIGW.0301`
        /// and its kin), what the client signed for the last attempt, to compare with what
        /// the server computed. Boxed: it is rare, and keeps every `Result` small.
        signature: Option<Box<RefusedSignature>>,
    },
    /// A 2xx response whose body is not what the operation returns.
    Decode {
        /// What did not match.
        reason: String,
        /// HTTP status code of the response.
        status: u16,
        /// The `X-Request-Id` of the response, empty if absent.
        request_id: String,
    },
    /// The request could not be sent or no response came back (raised by transports).
    Transport {
        /// What failed.
        reason: String,
        /// Whether the request may have reached the server (a timeout or a reset after
        /// writing). `false` means it certainly did not (refused connection, DNS failure, a
        /// request the transport could not build).
        maybe_sent: bool,
        /// Whether a timeout ended the attempt: the connect timeout (then `maybe_sent` is
        /// `false`) or the whole-request one.
        timed_out: bool,
        /// Set when such a failure is normally retried but the call was not, and why.
        ///
        /// A transport sets it itself for a failure that resending cannot mend: its HTTP stack
        /// refused the request before sending anything (a header value or URL it does not
        /// accept), with `maybe_sent: false`. The retry policy never retries a failure that
        /// comes with `not_retried` already set.
        not_retried: Option<String>,
    },
    /// A credential provider failed or gave something unusable (nothing was sent).
    Credentials {
        /// The provider: `environment`, `profile`, `metadata`, `default chain`, or the name
        /// an application gave its own.
        provider: String,
        /// What went wrong, never quoting a secret.
        reason: String,
    },
    /// A rotation stopped at a step of its own (the host's callback failed, the test refused
    /// the new value, another rotation was in progress, a task failed or did not finish).
    /// A CSMS call that fails during a rotation is its own [`Error::Api`] or
    /// [`Error::Transport`].
    Rotation {
        /// The step: `probe`, `create`, `apply`, `test`, `finish`, `wait`.
        step: String,
        /// What went wrong and what state the secret is left in, never quoting a secret.
        reason: String,
    },
}

/// What the client signed for an attempt whose signature the service refused (see
/// [`Error::Api`]). Nothing in it is secret: the values of `X-Security-Token` and
/// `X-Auth-Token` read `***`, and the SK is in neither string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedSignature {
    /// The canonical request the client signed, tokens shown as `***`.
    pub canonical_request: String,
    /// The string to sign (algorithm, date, scope, hash of the canonical request).
    pub string_to_sign: String,
    /// How many seconds the server's `Date` was ahead of the time the attempt was signed
    /// for (negative when behind), when the response had a `Date`.
    pub clock_off_secs: Option<i64>,
}

impl Error {
    /// The canonical request the client signed, when the service refused its signature
    /// (tokens shown as `***`).
    pub fn canonical_request(&self) -> Option<&str> {
        self.refused_signature().map(|s| s.canonical_request.as_str())
    }

    /// The string to sign of the attempt, when the service refused its signature.
    pub fn string_to_sign(&self) -> Option<&str> {
        self.refused_signature().map(|s| s.string_to_sign.as_str())
    }

    /// What was signed, when the service refused the signature.
    pub fn refused_signature(&self) -> Option<&RefusedSignature> {
        match self {
            Error::Api { signature, .. } => signature.as_deref(),
            _ => None,
        }
    }

    /// A validation error for `field`.
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Validation { field: field.into(), reason: reason.into() }
    }

    /// A transport failure; `maybe_sent` tells whether the request may have reached the server.
    pub fn transport(reason: impl Into<String>, maybe_sent: bool) -> Self {
        Error::Transport { reason: reason.into(), maybe_sent, timed_out: false, not_retried: None }
    }

    /// A transport failure because a timeout expired (connecting, when `maybe_sent` is
    /// `false`, or waiting for the whole response).
    ///
    /// ```
    /// let error = csms_core::Error::timeout("no complete response in 60000 ms", true);
    /// assert!(error.is_timeout());
    /// assert!(!csms_core::Error::transport("connection reset", true).is_timeout());
    /// ```
    pub fn timeout(reason: impl Into<String>, maybe_sent: bool) -> Self {
        Error::Transport { reason: reason.into(), maybe_sent, timed_out: true, not_retried: None }
    }

    /// The transport failure of a response whose body passed `limit` bytes (the client's
    /// `max_response_bytes`): it may have been sent (the server answered), it did not time
    /// out, and it is not retried, since the same request would most likely get the same
    /// answer. Every default transport reports this, in every language.
    ///
    /// ```
    /// let error = csms_core::Error::response_too_large(1024);
    /// assert_eq!(error.to_string(), "transport failure: the response body exceeded 1024 bytes \
    ///     (the request may have reached the server); not retried: a response over the limit would be over it again");
    /// ```
    pub fn response_too_large(limit: u64) -> Self {
        Error::Transport {
            reason: format!("the response body exceeded {limit} bytes"),
            maybe_sent: true,
            timed_out: false,
            not_retried: Some("a response over the limit would be over it again".to_owned()),
        }
    }

    /// Whether this is a transport failure that a timeout caused.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport { timed_out: true, .. })
    }

    /// Why a failure that is normally retried was not, for API and transport errors.
    pub fn not_retried(&self) -> Option<&str> {
        match self {
            Error::Api { not_retried, .. } | Error::Transport { not_retried, .. } => not_retried.as_deref(),
            _ => None,
        }
    }

    /// The `Retry-After` of the response an API error came from, when it had one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after_secs, .. } => retry_after_secs.map(|s| Duration::from_secs(s.into())),
            _ => None,
        }
    }

    /// A short machine-readable name of the variant: `validation`, `api`, `decode`,
    /// `transport`, `credentials`, `rotation`.
    ///
    /// The bindings expose it as the error's `kind`/`code`, and the conformance vectors use it.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Validation { .. } => "validation",
            Error::Api { .. } => "api",
            Error::Decode { .. } => "decode",
            Error::Transport { .. } => "transport",
            Error::Credentials { .. } => "credentials",
            Error::Rotation { .. } => "rotation",
        }
    }

    /// The HTTP status, for API and decode errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The request id the server gave, for API and decode errors (empty when it gave none).
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. } | Error::Decode { request_id, .. } => Some(request_id),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Validation { field, reason } => write!(f, "invalid `{field}`: {reason}"),
            Error::Api { status, error_code, error_msg, request_id, not_retried, signature, .. } => {
                write!(f, "CSMS error {status} {error_code}: {error_msg}")?;
                if !request_id.is_empty() {
                    write!(f, " (request id {request_id})")?;
                }
                write_not_retried(f, not_retried)?;
                match signature {
                    Some(signed) => write_causes(f, signed.clock_off_secs),
                    None => Ok(()),
                }
            }
            Error::Decode { reason, status, request_id } => {
                write!(f, "undecodable response (status {status}")?;
                if !request_id.is_empty() {
                    write!(f, ", request id {request_id}")?;
                }
                write!(f, "): {reason}")
            }
            Error::Transport { reason, maybe_sent, not_retried, .. } => {
                write!(f, "transport failure: {reason}")?;
                if *maybe_sent {
                    write!(f, " (the request may have reached the server)")?;
                }
                write_not_retried(f, not_retried)
            }
            Error::Credentials { provider, reason } => {
                write!(f, "no credentials from the {provider} provider: {reason}")
            }
            Error::Rotation { step, reason } => write!(f, "the rotation stopped at its {step} step: {reason}"),
        }
    }
}

fn write_not_retried(f: &mut fmt::Formatter<'_>, not_retried: &Option<String>) -> fmt::Result {
    match not_retried {
        Some(why) => write!(f, "; not retried: {why}"),
        None => Ok(()),
    }
}

/// The likely causes of a refused signature, most likely first.
fn write_causes(f: &mut fmt::Formatter<'_>, clock_off_secs: Option<i64>) -> fmt::Result {
    f.write_str("; likely causes in order: 1. the clock is more than 15 minutes off")?;
    if let Some(off) = clock_off_secs {
        write!(f, " (the server's Date is {off} s from the signing time)")?;
    }
    f.write_str("; 2. a wrong SK for this AK; 3. a proxy changed the host, path or a signed header")
}

impl std::error::Error for Error {}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

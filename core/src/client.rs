//! The client: a configuration and a signer, turning inputs into signed requests and
//! responses into results. It performs no I/O and never reads the clock.

use crate::attempts::Attempts;
use crate::config::Config;
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::http::HttpRequest;
use crate::http::HttpResponse;
use crate::input::{members_of, Input};
use crate::operations::{operation, Operation, OperationSpec};
use crate::request::build_unsigned;
use crate::response::{parse_response, success_body};
use crate::retry::RetryPolicy;
use crate::secret::{zeroize_json, SecretString};
use crate::signer::{self, DerivedScope, Signer};
use crate::time::SdkDate;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// How requests are authenticated.
#[derive(Debug, Clone)]
enum Auth {
    Signed(Box<Signer>),
    Token(SecretString),
}

/// A sans-IO CSMS client: [`Client::build_request`] gives the signed request to send,
/// [`Client::parse_response`] turns what came back into a result.
///
/// ```
/// use csms_core::{AccessKey, Client, Config, HttpResponse, SdkDate};
/// use serde_json::json;
///
/// let config = Config::for_region("cn-north-4", "0123456789abcdef0123456789abcdef", AccessKey::new("AK", "SK")).unwrap();
/// let client = Client::new(config).unwrap();
///
/// // Requests out...
/// let at = SdkDate::parse("20240806T000000Z").unwrap();
/// let request = client.build_request("UpdateSecret", &json!({"secret_name": "test", "description": "new"}), at).unwrap();
/// assert_eq!(request.method, "PUT");
/// assert_eq!(request.url, "https://kms.cn-north-4.myhuaweicloud.com/v1/0123456789abcdef0123456789abcdef/secrets/test");
/// assert_eq!(request.body, br#"{"description":"new"}"#);
///
/// // ...responses in.
/// let response = HttpResponse::new(200, vec![], r#"{"secret": {"name": "test", "state": "ENABLED"}}"#);
/// let result = client.parse_response("UpdateSecret", &response).unwrap();
/// assert_eq!(result["secret"]["state"], "ENABLED");
///
/// // Bad input is refused before anything is built, naming the member.
/// let err = client.build_request("UpdateSecret", &json!({"secret_name": "test", "rotation_period": "5h"}), at).unwrap_err();
/// assert!(matches!(err, csms_core::Error::Validation { ref field, .. } if field == "rotation_period"));
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    config: Config,
    auth: Auth,
    /// Seconds to add to the caller's clock, learnt from a signature refused for its time
    /// (shared by clones of the client).
    clock_offset: Arc<AtomicI64>,
}

impl Client {
    /// A client for `config`. Fails when a member of `config` could not be sent
    /// ([`Config::validate`]) or the credentials cannot sign with the chosen algorithm
    /// (V11-HMAC-SHA256 without a region).
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let auth = match &config.credentials {
            Credentials::AccessKey(key) => {
                let scope = config
                    .region
                    .as_ref()
                    .map(|region| DerivedScope { region: region.clone(), service: config.derived_service.clone() });
                Auth::Signed(Box::new(Signer::new(key.clone(), config.algorithm, scope)?))
            }
            Credentials::Token(token) => Auth::Token(token.clone()),
        };
        Ok(Client { config, auth, clock_offset: Arc::new(AtomicI64::new(0)) })
    }

    /// The same client signing with other credentials (from a provider): it shares this
    /// client's learnt clock offset. Fails as [`Client::new`] does for credentials that
    /// cannot be sent or sign.
    pub fn with_credentials(&self, credentials: Credentials) -> Result<Client> {
        let mut config = self.config.clone();
        config.credentials = credentials;
        let client = Client::new(config)?;
        Ok(Client { clock_offset: Arc::clone(&self.clock_offset), ..client })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Validates `input` (flat: path, query and body members under their wire names) and
    /// builds the signed request of `operation`, signed for the time `at`.
    pub fn build_request(&self, operation_name: &str, input: &Value, at: SdkDate) -> Result<HttpRequest> {
        self.build_for(operation(operation_name)?, input, at)
    }

    /// [`Client::build_request`] for an operation already looked up.
    pub fn build_for(&self, op: &OperationSpec, input: &Value, at: SdkDate) -> Result<HttpRequest> {
        let mut request = self.prepare(op, input)?;
        self.authenticate(&mut request, at)?;
        Ok(request)
    }

    /// Validates `input` and builds the request of `op` without authenticating it.
    /// Transports that retry keep it and call [`Client::authenticate`] on a copy for every
    /// attempt, so each one is signed with a fresh time.
    pub fn prepare(&self, op: &OperationSpec, input: &Value) -> Result<HttpRequest> {
        build_unsigned(&self.config, op, members_of(input, op.name)?)
    }

    /// [`Client::prepare`] of an [`Input`]: a binding's path (its members in a short list,
    /// not a map).
    ///
    /// ```
    /// # use csms_core::{AccessKey, Client, Config, Input};
    /// let client = Client::new(Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK")).unwrap()).unwrap();
    /// let op = csms_core::operation("ShowSecret").unwrap();
    /// let input = Input::parse_json(r#"{"secret_name": "db"}"#, op.name).unwrap();
    /// let request = client.prepare_input(op, &input).unwrap();
    /// assert!(request.url.ends_with("/v1/pid/secrets/db"));
    /// ```
    pub fn prepare_input(&self, op: &OperationSpec, input: &Input) -> Result<HttpRequest> {
        build_unsigned(&self.config, op, input.members())
    }

    /// Starts a call of `op` that a transport sends and retries: validates `input`, builds
    /// the request, and returns the [`Attempts`] that sign each try and decide what follows.
    pub fn start(&self, op: &'static OperationSpec, input: &Value, policy: RetryPolicy) -> Result<Attempts> {
        Ok(Attempts::new(op, self.prepare(op, input)?, policy))
    }

    /// [`Client::start`] of an [`Input`] (see [`Client::prepare_input`]).
    pub fn start_input(&self, op: &'static OperationSpec, input: &Input, policy: RetryPolicy) -> Result<Attempts> {
        Ok(Attempts::new(op, self.prepare_input(op, input)?, policy))
    }

    /// Seconds the server's clock is ahead of the caller's (negative when behind), learnt
    /// from a response that refused a signature for its time; 0 until then. Calls started
    /// with [`Client::start`] sign at the caller's time plus this offset.
    pub fn clock_offset(&self) -> i64 {
        self.clock_offset.load(Ordering::Relaxed)
    }

    /// Sets the offset [`Client::clock_offset`] returns.
    pub fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::Relaxed);
    }

    /// Builds the signed request of a typed input.
    ///
    /// ```
    /// use csms_core::{AccessKey, Client, Config, RotateSecretRequest, SdkDate};
    /// let client = Client::new(Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK")).unwrap()).unwrap();
    /// let input = RotateSecretRequest { secret_name: "db-password".into() };
    /// let request = client.build(&input, SdkDate::from_unix(1_700_000_000)).unwrap();
    /// assert!(request.url.ends_with("/v1/pid/secrets/db-password/rotate"));
    /// ```
    pub fn build<O: Operation>(&self, input: &O, at: SdkDate) -> Result<HttpRequest> {
        let mut value = serde_json::to_value(input).map_err(|e| Error::validation("input", e.to_string()))?;
        let request = self.build_for(O::SPEC, &value, at);
        zeroize_json(&mut value);
        request
    }

    /// The headers of `request` (unsigned) as [`Client::authenticate`] would leave them at
    /// `at`, borrowed from the request and the client where they can be: for a binding that
    /// writes the request out itself, without copying it first (see [`Signer::sign_parts`]).
    ///
    /// ```
    /// use csms_core::{AccessKey, Client, Config, SdkDate};
    /// let client = Client::new(Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK")).unwrap()).unwrap();
    /// let at = SdkDate::from_unix(1_700_000_000);
    /// let unsigned = client.prepare(csms_core::operation("ListSecrets").unwrap(), &serde_json::json!({})).unwrap();
    /// let mut signed = unsigned.clone();
    /// client.authenticate(&mut signed, at).unwrap();
    /// let headers = client.authenticated_headers(&unsigned, at).unwrap();
    /// let pairs: Vec<(String, String)> = headers.into_iter().map(|(k, v)| (k.to_owned(), v.into_owned())).collect();
    /// assert_eq!(pairs, signed.headers);
    /// ```
    pub fn authenticated_headers<'a>(
        &'a self,
        request: &'a HttpRequest,
        at: SdkDate,
    ) -> Result<Vec<(&'a str, Cow<'a, str>)>> {
        match &self.auth {
            Auth::Signed(signer) => signer.sign_borrowed(
                &request.method,
                &request.url,
                signer::borrowed_headers(request),
                &request.body,
                at,
            ),
            Auth::Token(token) => {
                let mut headers: Vec<(&'a str, Cow<'a, str>)> = Vec::with_capacity(request.headers.len() + 1);
                for (name, value) in &request.headers {
                    headers.push((name, Cow::Borrowed(value)));
                }
                signer::set_header(&mut headers, "X-Auth-Token", Cow::Borrowed(token.expose()));
                Ok(headers)
            }
        }
    }

    /// Signs (or attaches the token to) an unsigned request. Transports call it again with
    /// a fresh time for every retry.
    pub fn authenticate(&self, request: &mut HttpRequest, at: SdkDate) -> Result<()> {
        match &self.auth {
            Auth::Signed(signer) => signer.sign(request, at),
            Auth::Token(token) => {
                request.set_header("X-Auth-Token", token.expose());
                Ok(())
            }
        }
    }

    /// What `request` (unsigned) signs at `at`: its canonical request, tokens shown as
    /// `***`, and its string to sign. `None` for a client that sends an IAM token.
    pub(crate) fn explain(&self, request: &HttpRequest, at: SdkDate) -> Option<(String, String)> {
        match &self.auth {
            Auth::Signed(signer) => signer.explain(request, at),
            Auth::Token(_) => None,
        }
    }

    /// Turns the response of `operation` into its result (JSON with wire names), or an error.
    pub fn parse_response(&self, operation_name: &str, response: &HttpResponse) -> Result<Value> {
        parse_response(operation(operation_name)?, response)
    }

    /// Turns the response of a typed operation into its typed result. A field of an
    /// unexpected type is read as [`Client::parse_response`] reads it (coerced where the
    /// official SDK coerces it, else left out); only a body that is not a JSON object gives
    /// [`Error::Decode`], which never quotes the body.
    pub fn parse<O: Operation>(&self, response: &HttpResponse) -> Result<O::Output> {
        let mut body = success_body(O::SPEC, response)?;
        // Read from a borrow, so that the body is zeroized whether serde takes it or not.
        let output = O::Output::deserialize(&body);
        zeroize_json(&mut body);
        if let Ok(output) = output {
            return Ok(output);
        }
        // A field serde does not take: the table decoder reads the body as the by-name path
        // does, and what it gives always fits the typed output.
        let mut value = parse_response(O::SPEC, response)?;
        let output = O::Output::deserialize(&value);
        zeroize_json(&mut value);
        output.map_err(|_| Error::Decode {
            reason: format!("the body is not a {}Response", O::SPEC.name),
            status: response.status,
            request_id: response.request_id().unwrap_or_default().to_owned(),
        })
    }
}

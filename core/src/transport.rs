//! An async transport on `reqwest` (feature `reqwest`): sends any operation and returns
//! its typed result. It is the only part of the crate that reads the clock.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::operations::{operation, Operation};
use crate::time::SdkDate;
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// Default time allowed to establish a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A [`Client`] that sends its requests with `reqwest`.
///
/// ```no_run
/// # async fn run() -> csms_core::Result<()> {
/// use csms_core::{AccessKey, Client, Config, HttpClient, ShowSecretVersionRequest};
/// let config = Config::for_region("cn-north-4", "project-id", AccessKey::new("AK", "SK"))?;
/// let http = HttpClient::new(Client::new(config)?)?;
/// let latest = http
///     .execute(&ShowSecretVersionRequest { secret_name: "db".into(), version_id: "latest".into() })
///     .await?;
/// println!("{:?}", latest.version);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: Client,
    http: reqwest::Client,
}

impl HttpClient {
    /// A transport with the default timeouts (connect 10 s, whole request 60 s).
    pub fn new(client: Client) -> Result<Self> {
        Self::with_timeouts(client, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// A transport with the given timeouts.
    pub fn with_timeouts(client: Client, connect: Duration, request: Duration) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(request)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Transport { reason: e.to_string(), maybe_sent: false })?;
        Ok(HttpClient { client, http })
    }

    /// The sans-IO client inside.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends a typed input and returns its typed result.
    pub async fn execute<O: Operation>(&self, input: &O) -> Result<O::Output> {
        let request = self.client.build(input, now())?;
        let response = self.send(request).await?;
        self.client.parse::<O>(&response)
    }

    /// Sends the operation called `operation` with a JSON input; returns the JSON result.
    pub async fn call(&self, operation_name: &str, input: &Value) -> Result<Value> {
        let op = operation(operation_name)?;
        let request = self.client.build_for(op, input, now())?;
        let response = self.send(request).await?;
        crate::response::parse_response(op, &response)
    }

    /// Sends a request as it is and returns the response, whatever its status.
    pub async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| Error::validation("method", format!("`{}` is not an HTTP method", request.method)))?;
        let mut builder = self.http.request(method, request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder.body(std::mem::take(&mut request.body)).send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = response.bytes().await.map_err(transport_error)?.to_vec();
        Ok(HttpResponse::new(status, headers, body))
    }
}

/// The signing time: the transport's clock.
fn now() -> SdkDate {
    SdkDate::from(SystemTime::now())
}

fn transport_error(e: reqwest::Error) -> Error {
    // A failed connect never reached the server; anything later may have.
    Error::Transport { reason: e.to_string(), maybe_sent: !e.is_connect() }
}

//! What an emulator is started with: where it listens, who may call it, where it keeps
//! its state.

use crate::faults::FaultSpec;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The access key id of [`EmulatorConfig::default`].
pub const DEFAULT_AK: &str = "EMULATOR-AK";
/// The secret access key of [`EmulatorConfig::default`].
pub const DEFAULT_SK: &str = "EMULATOR-SK-0000000000000000000000000000";
/// The project id of [`EmulatorConfig::default`].
pub const DEFAULT_PROJECT_ID: &str = "emulatorproject000000000000000000";
/// The address of [`EmulatorConfig::default`]: loopback, any free port.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:0";
/// The largest request body accepted by default (64 KiB); larger bodies get 413.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// The largest `max_body_bytes` accepted (16 MiB).
pub const MAX_BODY_LIMIT: usize = 16 * 1024 * 1024;
/// How long a request (head and body) may take to arrive by default: 30 s.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest `request_timeout` accepted (one hour).
pub const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(3600);
/// The largest clock offset accepted either way, in milliseconds (about 100 years).
pub const MAX_CLOCK_OFFSET_MS: i64 = 100 * 366 * 86_400 * 1000;

/// How long the temporary keys of the metadata endpoints live by default: one hour.
pub const DEFAULT_TEMP_CREDENTIAL_TTL: Duration = Duration::from_secs(3600);
/// The longest `temp_credential_ttl` accepted: one day.
pub const MAX_TEMP_CREDENTIAL_TTL: Duration = Duration::from_secs(86_400);

/// An access key the emulator accepts, and the project its requests belong to.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// Access key id (AK).
    pub ak: String,
    /// Secret access key (SK).
    pub sk: String,
    /// The project of this key: `{project_id}` in paths must be this id, and the six
    /// operations without `{project_id}` act on it.
    pub project_id: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("ak", &self.ak)
            .field("sk", &"***")
            .field("project_id", &self.project_id)
            .finish()
    }
}

/// An IAM token the emulator accepts as `X-Auth-Token`, and the project it is scoped to.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// The token text, compared byte for byte.
    pub token: String,
    /// The project of requests made with this token.
    pub project_id: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token").field("token", &"***").field("project_id", &self.project_id).finish()
    }
}

/// `*`, `null`, or `http[s]://HOST[:PORT]` without a path: what a browser sends in `Origin`.
pub(crate) fn check_origin(origin: &str) -> Result<(), String> {
    let bad = || format!("CORS origin `{origin}` is not `*` or an origin such as http://localhost:3000");
    if origin == "*" || origin == "null" {
        return Ok(());
    }
    let rest = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")).ok_or_else(bad)?;
    if rest.is_empty() || rest.bytes().any(|b| !b.is_ascii_graphic() || b"/?#@,".contains(&b)) {
        return Err(bad());
    }
    Ok(())
}

/// A host name (or `name:port`, or `*`) for [`EmulatorConfig::allowed_hosts`].
pub(crate) fn check_allowed_host(host: &str) -> Result<(), String> {
    if host.is_empty() || host.bytes().any(|b| !b.is_ascii_graphic() || b"/?#@,".contains(&b)) {
        return Err(format!("allowed host `{host}` is not a host name (such as csms.example or *)"));
    }
    Ok(())
}

/// How to start an [`crate::Emulator`].
///
/// [`EmulatorConfig::default`] listens on `127.0.0.1:0` (a free port) and accepts one
/// access key: [`DEFAULT_AK`] / [`DEFAULT_SK`] for project [`DEFAULT_PROJECT_ID`].
/// [`EmulatorConfig::new`] starts with no credential at all; add them with the builder.
///
/// ```
/// use csms_emulator::EmulatorConfig;
/// let config = EmulatorConfig::default()
///     .with_credential("AK2", "SK2", "project2")
///     .with_token("my-token", "project2");
/// assert_eq!(config.credentials.len(), 2);
/// assert_eq!(config.tokens[0].project_id, "project2");
/// ```
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Access keys accepted, each with its project.
    pub credentials: Vec<Credential>,
    /// IAM tokens accepted as `X-Auth-Token`, each with its project.
    pub tokens: Vec<Token>,
    /// A JSON file holding the state: read at start when it exists, rewritten atomically
    /// after every acknowledged change. `None` keeps the state in memory only.
    pub data_file: Option<PathBuf>,
    /// Milliseconds added to the system clock to get the emulator's clock (tests use it to
    /// move time, e.g. past a scheduled deletion or a signature's 15-minute window).
    pub clock_offset_ms: i64,
    /// The largest request body accepted, in bytes; [`DEFAULT_MAX_BODY_BYTES`] by default.
    pub max_body_bytes: usize,
    /// Whether to write one line per request to stderr.
    pub log_requests: bool,
    /// Faults to inject (503, 429, closed connections, clock offset); `None` for none.
    pub faults: Option<FaultSpec>,
    /// How long a request, head and body together, may take to arrive once its first byte
    /// came; a slower one is answered 408 and its connection closed.
    /// [`DEFAULT_REQUEST_TIMEOUT`] by default.
    pub request_timeout: Duration,
    /// Origins that may call the emulator from a web page (CORS): `*` for any, or origins
    /// such as `http://localhost:3000`. Empty (the default): no CORS header is sent and
    /// `OPTIONS` is not answered as a preflight.
    pub cors_origins: Vec<String>,
    /// Host names accepted in `Host` besides the listening address and `localhost` (for
    /// setups behind a proxy): `NAME` accepts `NAME` and `NAME:ANY-PORT`; `*` accepts any
    /// `Host`. Other hosts get 421, so that a web page cannot reach the emulator through
    /// DNS rebinding.
    pub allowed_hosts: Vec<String>,
    /// Whether to serve the instance metadata endpoints (`/meta-data/latest/api/token`,
    /// `/openstack/latest/securitykey`), which issue temporary keys for the project of the
    /// first credential (or token).
    pub metadata: bool,
    /// How long the temporary keys of the metadata endpoints live (1 s to
    /// [`MAX_TEMP_CREDENTIAL_TTL`]); [`DEFAULT_TEMP_CREDENTIAL_TTL`] by default.
    pub temp_credential_ttl: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig::new().with_credential(DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT_ID)
    }
}

impl EmulatorConfig {
    /// A configuration without any credential, listening on `127.0.0.1:0`.
    pub fn new() -> Self {
        EmulatorConfig {
            listen: DEFAULT_LISTEN.parse().expect("constant address"),
            credentials: Vec::new(),
            tokens: Vec::new(),
            data_file: None,
            clock_offset_ms: 0,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            log_requests: false,
            faults: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            cors_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            metadata: false,
            temp_credential_ttl: DEFAULT_TEMP_CREDENTIAL_TTL,
        }
    }

    /// Also accept the access key `ak`/`sk`, for project `project_id`.
    pub fn with_credential(
        mut self,
        ak: impl Into<String>,
        sk: impl Into<String>,
        project_id: impl Into<String>,
    ) -> Self {
        self.credentials.push(Credential { ak: ak.into(), sk: sk.into(), project_id: project_id.into() });
        self
    }

    /// Also accept `X-Auth-Token: token`, for project `project_id`.
    pub fn with_token(mut self, token: impl Into<String>, project_id: impl Into<String>) -> Self {
        self.tokens.push(Token { token: token.into(), project_id: project_id.into() });
        self
    }

    /// Keep the state in `path` (loaded at start, rewritten after every change).
    pub fn with_data_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.data_file = Some(path.into());
        self
    }

    /// Listen on `addr` instead of `127.0.0.1:0`.
    pub fn with_listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Run the emulator's clock `offset_ms` milliseconds ahead of the system clock
    /// (negative: behind). [`crate::Emulator::set_clock_offset_ms`] changes it later.
    pub fn with_clock_offset_ms(mut self, offset_ms: i64) -> Self {
        self.clock_offset_ms = offset_ms;
        self
    }

    /// Accept request bodies up to `bytes` bytes.
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Write one line per request to stderr (method, path, status, request id, time).
    pub fn with_request_log(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// Inject the faults of `spec` (see [`FaultSpec`]): the same seed gives the same
    /// sequence of faults, drawn once per request in arrival order. Its `clock_offset_secs`
    /// is added to the clock offset at start.
    pub fn with_faults(mut self, spec: FaultSpec) -> Self {
        self.faults = Some(spec);
        self
    }

    /// Give every request (head and body) at most `timeout` to arrive once its first byte
    /// came (1 ms to [`MAX_REQUEST_TIMEOUT`]).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Let web pages of `origin` (`http://localhost:3000`, or `*` for any) call the
    /// emulator: answer CORS preflights and add `Access-Control-Allow-Origin`.
    pub fn with_cors_origin(mut self, origin: impl Into<String>) -> Self {
        self.cors_origins.push(origin.into());
        self
    }

    /// Also accept requests whose `Host` is `name` (with any port), as behind a proxy;
    /// `*` accepts any `Host`.
    pub fn with_allowed_host(mut self, name: impl Into<String>) -> Self {
        self.allowed_hosts.push(name.into());
        self
    }

    /// Serve the instance metadata endpoints, issuing temporary keys that live `ttl`.
    pub fn with_metadata(mut self, ttl: Duration) -> Self {
        self.metadata = true;
        self.temp_credential_ttl = ttl;
        self
    }

    /// Checks the configuration: at least one credential or token, no empty or duplicate
    /// AK or token, no empty project id or SK, numbers in range, well-formed CORS origins
    /// and host names. Returns the problem as text.
    pub fn check(&self) -> Result<(), String> {
        if self.credentials.is_empty() && self.tokens.is_empty() {
            return Err("no credential: give at least one --ak/--sk/--project-id or --token".into());
        }
        for (i, c) in self.credentials.iter().enumerate() {
            if c.ak.is_empty() || c.sk.is_empty() || c.project_id.is_empty() {
                return Err(format!("credential {}: the AK, SK and project id must not be empty", i + 1));
            }
            if c.project_id.contains(['/', '?', '#', '%']) {
                return Err(format!("credential {}: the project id must not contain / ? # or %", i + 1));
            }
            if self.credentials[..i].iter().any(|o| o.ak == c.ak) {
                return Err(format!("the access key id {} is given twice", c.ak));
            }
        }
        for (i, t) in self.tokens.iter().enumerate() {
            if t.token.is_empty() || t.project_id.is_empty() {
                return Err(format!("token {}: the token and its project id must not be empty", i + 1));
            }
            if self.tokens[..i].iter().any(|o| o.token == t.token) {
                return Err(format!("token {} is given twice", i + 1));
            }
        }
        if let Some(spec) = &self.faults {
            spec.check().map_err(|why| format!("faults: {why}"))?;
        }
        if self.max_body_bytes == 0 || self.max_body_bytes > MAX_BODY_LIMIT {
            return Err(format!("the maximum body size must be from 1 to {MAX_BODY_LIMIT} bytes"));
        }
        if self.clock_offset_ms.unsigned_abs() > MAX_CLOCK_OFFSET_MS.unsigned_abs() {
            return Err(format!("the clock offset must be within ±{MAX_CLOCK_OFFSET_MS} ms (about 100 years)"));
        }
        if self.request_timeout < Duration::from_millis(1) || self.request_timeout > MAX_REQUEST_TIMEOUT {
            return Err(format!("the request timeout must be from 1 to {} ms", MAX_REQUEST_TIMEOUT.as_millis()));
        }
        if self.temp_credential_ttl < Duration::from_secs(1) || self.temp_credential_ttl > MAX_TEMP_CREDENTIAL_TTL {
            return Err(format!(
                "the temporary credential lifetime must be from 1 to {} seconds",
                MAX_TEMP_CREDENTIAL_TTL.as_secs()
            ));
        }
        for origin in &self.cors_origins {
            check_origin(origin)?;
        }
        for host in &self.allowed_hosts {
            check_allowed_host(host)?;
        }
        Ok(())
    }
}

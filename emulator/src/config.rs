//! What an emulator is started with: where it listens, who may call it, where it keeps
//! its state.

use crate::faults::FaultSpec;
use std::net::SocketAddr;
use std::path::PathBuf;

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

    /// Checks the configuration: at least one credential or token, no empty or duplicate
    /// AK or token, no empty project id or SK. Returns the problem as text.
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
        if self.max_body_bytes == 0 {
            return Err("the maximum body size must be at least 1 byte".into());
        }
        Ok(())
    }
}

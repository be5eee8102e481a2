//! The in-process emulator: start it, point a client at [`Emulator::endpoint`], look at
//! what it holds, stop it (or drop it).

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::faults::{FaultInjector, FaultSpec, FaultStats};
use crate::metadata::Metadata;
use crate::persist;
use crate::random::Rng;
use crate::server::Server;
use crate::service::{lock, Live, Persister, Shared};
use crate::state::{AppliedCounts, Store, FORMAT};
use crate::web::{Cors, HostCheck};
use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

/// Why an emulator could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is unusable; the text says why.
    Config(String),
    /// The address could not be bound, or a thread could not be started.
    Io(std::io::Error),
    /// The data file could not be read or written.
    Data(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(why) => write!(f, "invalid emulator configuration: {why}"),
            Error::Io(e) => write!(f, "cannot start the emulator: {e}"),
            Error::Data(why) => write!(f, "data file: {why}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// The result of [`Emulator::start`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The applied-call counters of one secret, with where it lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretCounts {
    /// The project of the secret.
    pub project_id: String,
    /// The secret's name.
    pub secret_name: String,
    /// Its counters.
    pub counts: AppliedCounts,
}

/// A running emulator, serving HTTP on a background thread until it is stopped or dropped.
///
/// ```
/// use csms_emulator::{Emulator, EmulatorConfig};
/// let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
/// assert!(emulator.endpoint().starts_with("http://127.0.0.1:"));
/// emulator.stop();
/// ```
#[derive(Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
    server: Server,
    addr: SocketAddr,
    config: EmulatorConfig,
}

impl Emulator {
    /// Checks `config`, loads the data file if any, binds the address and starts serving.
    pub fn start(config: EmulatorConfig) -> Result<Emulator> {
        config.check().map_err(Error::Config)?;
        let mut store = match &config.data_file {
            Some(path) => persist::load(path).map_err(|e| Error::Data(e.to_string()))?,
            None => Store::default(),
        };
        store.format = FORMAT.to_owned();
        let persister = match &config.data_file {
            Some(path) => {
                // Write once now, so that an unwritable path fails at start, not later.
                let bytes = persist::encode(&store).map_err(|e| Error::Data(e.to_string()))?;
                persist::write_atomic(path, &bytes)
                    .map_err(|e| Error::Data(format!("cannot write {}: {e}", path.display())))?;
                Some(Persister { path: path.clone(), written: Mutex::new(0) })
            }
            None => None,
        };
        let listener = TcpListener::bind(config.listen).map_err(Error::Io)?;
        let addr = listener.local_addr().map_err(Error::Io)?;
        let shared = Arc::new(Shared {
            auth: Authenticator::new(config.credentials.clone(), config.tokens.clone()),
            clock: Clock::new(
                config
                    .clock_offset_ms
                    .saturating_add(config.faults.map_or(0, |f| f.clock_offset_secs.saturating_mul(1000))),
            ),
            rng: Rng::from_os(),
            live: Mutex::new(Live { store, generation: 0 }),
            persister,
            max_body: config.max_body_bytes,
            log: config.log_requests,
            faults: FaultInjector::new(config.faults),
            host: addr.to_string(),
            hosts: HostCheck::new(addr, &config.allowed_hosts),
            cors: Cors::new(&config.cors_origins),
            request_timeout: config.request_timeout,
            metadata: config.metadata.then(Metadata::default),
            metadata_project: first_project(&config).to_owned(),
            temp_credential_ttl_secs: config.temp_credential_ttl.as_secs(),
            operations: Mutex::new(Default::default()),
        });
        let server = Server::start(listener, shared.clone()).map_err(Error::Io)?;
        Ok(Emulator { shared, server, addr, config })
    }

    /// `http://ADDR:PORT`, the endpoint to give clients (an unspecified listen address
    /// such as `0.0.0.0` is written as `127.0.0.1`).
    pub fn endpoint(&self) -> String {
        let addr = match self.addr {
            SocketAddr::V4(a) if a.ip().is_unspecified() => SocketAddr::from(([127, 0, 0, 1], a.port())),
            SocketAddr::V6(a) if a.ip().is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, a.port())),
            other => other,
        };
        format!("http://{addr}")
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// The project of the first credential (or of the first token when there is no
    /// credential).
    pub fn project_id(&self) -> &str {
        first_project(&self.config)
    }

    /// Moves the emulator's clock to the system clock plus `offset_ms`.
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.shared.clock.set_offset_ms(offset_ms);
    }

    /// Replaces the faults injected from now on (`None`: none), restarting the sequence
    /// from the spec's seed and [`Emulator::fault_stats`] from 0. The spec's
    /// `clock_offset_secs` is not applied here (it is applied at start only; use
    /// [`Emulator::set_clock_offset_ms`]).
    pub fn set_faults(&self, spec: Option<FaultSpec>) {
        self.shared.faults.set(spec);
    }

    /// What the fault injector did since start (or since the last [`Emulator::set_faults`]).
    pub fn fault_stats(&self) -> FaultStats {
        self.shared.faults.stats()
    }

    /// The emulator's time, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    /// How many RotateSecret and CreateSecretVersion calls were applied to the secret
    /// `secret_name` of `project_id`; `None` when there is no such secret. The counters
    /// belong to the secret: they are kept in the data file and go when it is deleted.
    pub fn applied_counts(&self, project_id: &str, secret_name: &str) -> Option<AppliedCounts> {
        let live = lock(&self.shared.live);
        live.store.projects.get(project_id)?.secrets.get(secret_name).map(|s| s.applied)
    }

    /// The counters of every secret, by project then name.
    pub fn all_applied_counts(&self) -> Vec<SecretCounts> {
        let live = lock(&self.shared.live);
        live.store
            .projects
            .iter()
            .flat_map(|(project_id, project)| {
                project.secrets.values().map(move |s| SecretCounts {
                    project_id: project_id.clone(),
                    secret_name: s.name.clone(),
                    counts: s.applied,
                })
            })
            .collect()
    }

    /// The version ids of a secret, oldest first; `None` when there is no such secret.
    pub fn version_ids(&self, project_id: &str, secret_name: &str) -> Option<Vec<String>> {
        let live = lock(&self.shared.live);
        let secret = live.store.projects.get(project_id)?.secrets.get(secret_name)?;
        Some(secret.versions.iter().map(|v| v.id.clone()).collect())
    }

    /// The whole state as JSON, in the format of the data file (it holds secret values).
    pub fn state_json(&self) -> serde_json::Value {
        let live = lock(&self.shared.live);
        serde_json::to_value(&live.store).unwrap_or_default()
    }

    /// Stops serving: no new connection is accepted, open connections are closed after
    /// the request they are on. Every acknowledged change is already in the data file.
    pub fn stop(mut self) {
        self.server.stop();
    }

    /// Blocks the calling thread while the emulator serves (the binary's main thread).
    pub fn wait(mut self) {
        self.server.join();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.stop();
    }
}

/// The project of the first credential (or of the first token when there is no credential).
fn first_project(config: &EmulatorConfig) -> &str {
    config
        .credentials
        .first()
        .map(|c| c.project_id.as_str())
        .or_else(|| config.tokens.first().map(|t| t.project_id.as_str()))
        .unwrap_or_default()
}

//! One fetch from a built-in source, as a sans-IO state machine: the same steps in every
//! language, the host doing only the I/O each step names.
//!
//! ```text
//! let mut fetch = Fetch::new(source, memory);        // memory: what the last fetch learnt
//! let result = loop {
//!     match fetch.next(&lookup) {                    // lookup: the environment's variables
//!         Need::Http(request) => fetch.received(send(request)),  // metadata::TIMEOUT, no proxy
//!         Need::File(path) => fetch.read(read_file(&path)),
//!         Need::Host => fetch.called(app_function()),
//!         Need::Done(result) => break result,
//!     }
//! };
//! memory = fetch.into_memory();
//! ```
//!
//! The sources are those of the official SDKs: the environment ([`env_credentials`]), the
//! profile file ([`parse_profile`]), the instance metadata service ([`super::metadata`]), and
//! their default chain in that order, plus the application's own function. What a source
//! learns for the next fetch (the chain's provider that worked, the metadata session token)
//! is its [`Memory`].

use super::metadata::{self, PROVIDER as METADATA};
use super::{chain_error, env_credentials, parse_profile, profile_path, provider_error, Lookup, Provided};
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::secret::SecretString;

/// The answer to [`Need::File`] where the host has a file system and runs Rust (the
/// `reqwest` providers, the Python and Kotlin bindings): the file's text, or why it could
/// not be read (`does not exist`, else the system's message). The WebAssembly host reads
/// the file in JavaScript instead.
pub fn read_file(path: &str) -> std::result::Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_owned(),
        _ => e.to_string(),
    })
}

/// A source of credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `HUAWEICLOUD_SDK_AK`, `_SK`, `_SECURITY_TOKEN`, `_PROJECT_ID`, read at each fetch.
    Environment,
    /// The profile file at this path, else the one the environment names
    /// ([`profile_path`]), read at each fetch.
    Profile(Option<String>),
    /// The instance metadata service at this endpoint, else the one the environment names
    /// ([`metadata::endpoint`]).
    Metadata(Option<String>),
    /// The application's function, called this in errors.
    Host(String),
    /// The default chain: the environment, the profile file, the metadata service. The
    /// first that gives credentials is kept for every later fetch; when none does, the error
    /// lists why each did not ([`chain_error`]). An environment that names only one of
    /// `HUAWEICLOUD_SDK_AK` and `HUAWEICLOUD_SDK_SK` ends the chain with the
    /// [`Error::Validation`] naming the other.
    Chain,
}

impl Source {
    /// The source's name in errors: `environment`, `profile`, `metadata`, `default chain`,
    /// or the host function's.
    pub fn name(&self) -> &str {
        match self {
            Source::Environment => "environment",
            Source::Profile(_) => "profile",
            Source::Metadata(_) => METADATA,
            Source::Host(name) => name,
            Source::Chain => "default chain",
        }
    }

    fn members(&self) -> Vec<Source> {
        match self {
            Source::Chain => vec![Source::Environment, Source::Profile(None), Source::Metadata(None)],
            single => vec![single.clone()],
        }
    }
}

/// What a source learnt in one fetch for the next: the chain's provider that gave
/// credentials, the metadata service's session token. `Debug` shows no token.
#[derive(Default, Clone)]
pub struct Memory {
    chosen: Option<usize>,
    session: Option<SecretString>,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory").field("chosen", &self.chosen).field("session", &self.session.is_some()).finish()
    }
}

/// What a [`Fetch`] needs from the host next.
#[derive(Debug)]
pub enum Need {
    /// Send this request to the metadata service (with [`metadata::TIMEOUT`] to connect and
    /// to answer, through no proxy, following no redirect) and hand what happened to
    /// [`Fetch::received`].
    Http(HttpRequest),
    /// Read the file at this path as UTF-8 text and hand it (or why it could not be read) to
    /// [`Fetch::read`]. Wipe the text when done with it: it holds a secret key.
    File(String),
    /// Call the application's function and hand its result to [`Fetch::called`].
    Host,
    /// The fetch is over: the credentials, or an [`Error::Credentials`] naming the source
    /// (an [`Error::Validation`] naming a missing variable, for the environment alone).
    Done(Result<Provided>),
}

/// Where a fetch stands.
#[derive(Debug)]
enum Step {
    /// About to start the current member.
    Start,
    /// Waiting for a file.
    Reading(String),
    /// Waiting for the session token; `renewed`: the key request was refused once already.
    Token { endpoint: String, renewed: bool },
    /// Waiting for the security key.
    Key { endpoint: String, renewed: bool },
    /// Waiting for the host function.
    Calling,
    /// Over.
    Done(Result<Provided>),
}

/// One fetch from a [`Source`] (see the module's documentation for the loop that runs it).
#[derive(Debug)]
pub struct Fetch {
    source: Source,
    members: Vec<Source>,
    /// The member being fetched.
    index: usize,
    /// Why each earlier member of the chain did not apply.
    failures: Vec<(String, Error)>,
    memory: Memory,
    step: Step,
    /// The request of the step waited for (asked again when `next` comes before the answer).
    pending: Option<HttpRequest>,
    /// The environment names an access key or a secret key: it was meant to be used, so a
    /// missing half is its error, not a reason to try the next source.
    half_set: bool,
}

impl Fetch {
    /// A fetch from `source`, with what the last fetch from it learnt (`Memory::default()`
    /// for the first).
    pub fn new(source: Source, memory: Memory) -> Self {
        let mut members = source.members();
        let mut index = 0;
        if let Some(chosen) = memory.chosen.filter(|&i| i < members.len()) {
            // The chain keeps the provider that worked: only it is asked, its error as it is.
            members = vec![members.swap_remove(chosen)];
            index = 0;
        }
        Fetch {
            source,
            members,
            index,
            failures: Vec::new(),
            memory,
            step: Step::Start,
            pending: None,
            half_set: false,
        }
    }

    /// What to do next. `lookup` gives the environment's variables (it is read only when a
    /// member needs them: the environment, the profile's path, the metadata endpoint and the
    /// test guard `CSMS_TEST_NO_METADATA`).
    pub fn next(&mut self, lookup: &impl Lookup) -> Need {
        loop {
            match &self.step {
                Step::Start => {}
                Step::Reading(path) => return Need::File(path.clone()),
                Step::Token { .. } | Step::Key { .. } => match &self.pending {
                    Some(request) => return Need::Http(request.clone()),
                    None => self.member_done(Err(provider_error(METADATA, "no request pending"))),
                },
                Step::Calling => return Need::Host,
                Step::Done(result) => return Need::Done(result.clone()),
            }
            if matches!(self.step, Step::Start) {
                if let Some(need) = self.start(lookup) {
                    return need;
                }
            }
        }
    }

    /// Starts the current member: the need it has, or `None` when it finished at once.
    fn start(&mut self, lookup: &impl Lookup) -> Option<Need> {
        match self.members[self.index].clone() {
            Source::Environment => {
                let named = |name: &str| lookup(name).is_some_and(|v| !v.is_empty());
                self.half_set = named(super::ENV_AK) || named(super::ENV_SK);
                self.member_done(env_credentials(lookup))
            }
            Source::Profile(path) => match path.or_else(|| profile_path(lookup)) {
                Some(path) => {
                    self.step = Step::Reading(path.clone());
                    return Some(Need::File(path));
                }
                None => self.member_done(Err(provider_error(
                    "profile",
                    "no HUAWEICLOUD_SDK_CREDENTIALS_FILE and no home directory",
                ))),
            },
            Source::Metadata(endpoint) => {
                let guarded = lookup(metadata::ENV_TEST_GUARD).is_some_and(|v| !v.is_empty());
                let endpoint = match endpoint {
                    Some(e) => metadata::check_not_guarded(&e, guarded).map(|()| e.trim_end_matches('/').to_owned()),
                    None => metadata::endpoint(lookup),
                };
                match endpoint {
                    Ok(endpoint) => return Some(self.ask_metadata(endpoint, false)),
                    Err(e) => self.member_done(Err(e)),
                }
            }
            Source::Host(_) => {
                self.step = Step::Calling;
                return Some(Need::Host);
            }
            Source::Chain => self.member_done(Err(provider_error("default chain", "a chain cannot hold a chain"))),
        }
        None
    }

    /// The next metadata request: the security key with the session token kept, or a new
    /// session token first.
    fn ask_metadata(&mut self, endpoint: String, renewed: bool) -> Need {
        let request = match &self.memory.session {
            Some(token) if !renewed => {
                let request = metadata::security_key_request(&endpoint, Some(token));
                self.step = Step::Key { endpoint, renewed };
                request
            }
            _ => {
                let request = metadata::token_request(&endpoint);
                self.step = Step::Token { endpoint, renewed };
                request
            }
        };
        self.pending = Some(request.clone());
        Need::Http(request)
    }

    /// What happened to the request of [`Need::Http`]: the response of any status, or the
    /// transport's failure.
    pub fn received(&mut self, outcome: Result<HttpResponse>) {
        let Some(request) = self.pending.take() else { return };
        let response = match outcome {
            Ok(response) => response,
            Err(e) => {
                let what = if matches!(e, Error::Transport { timed_out: true, .. }) { "timed out" } else { "failed" };
                let reason = format!("the request to {} {what}: {e}", request.url);
                return self.member_done(Err(provider_error(METADATA, reason)));
            }
        };
        match std::mem::replace(&mut self.step, Step::Start) {
            Step::Token { endpoint, renewed } => match metadata::parse_token(&response) {
                Ok(session) => {
                    self.memory.session = session;
                    let request = metadata::security_key_request(&endpoint, self.memory.session.as_ref());
                    self.step = Step::Key { endpoint, renewed };
                    self.pending = Some(request);
                }
                Err(e) => self.member_done(Err(e)),
            },
            Step::Key { endpoint, renewed } => {
                if metadata::token_rejected(&response) && !renewed && self.memory.session.is_some() {
                    // The session token expired: a new one, and the key asked once more.
                    self.memory.session = None;
                    self.ask_metadata(endpoint, true);
                } else {
                    self.member_done(metadata::parse_security_key(&response));
                }
            }
            other => self.step = other,
        }
    }

    /// The text of the file of [`Need::File`], or why it could not be read (`does not
    /// exist`, the system's message). The text is wiped once parsed.
    pub fn read(&mut self, outcome: std::result::Result<String, String>) {
        let Step::Reading(path) = std::mem::replace(&mut self.step, Step::Start) else { return };
        let result = match outcome {
            Ok(mut text) => {
                let provided = parse_profile(&text, &path);
                zeroize::Zeroize::zeroize(&mut text);
                provided
            }
            Err(why) => Err(provider_error("profile", format!("{path}: {why}"))),
        };
        self.member_done(result);
    }

    /// The result of the application's function of [`Need::Host`]. An error that is not an
    /// [`Error::Credentials`] becomes one naming the function.
    pub fn called(&mut self, outcome: Result<Provided>) {
        if !matches!(self.step, Step::Calling) {
            return;
        }
        let result = outcome.map_err(|e| match e {
            e @ Error::Credentials { .. } => e,
            e => provider_error(self.source.name(), e.to_string()),
        });
        self.member_done(result);
    }

    /// What this fetch learnt, for the next fetch from the same source.
    pub fn into_memory(self) -> Memory {
        self.memory
    }

    /// The current member finished: the fetch is over, or the chain moves on.
    fn member_done(&mut self, result: Result<Provided>) {
        self.pending = None;
        let chain = self.source == Source::Chain;
        let result = match result {
            Ok(provided) => {
                if chain && self.memory.chosen.is_none() {
                    self.memory.chosen = Some(self.index);
                }
                Ok(provided)
            }
            Err(e @ Error::Validation { .. }) if self.half_set && self.members[self.index] == Source::Environment => {
                // `HUAWEICLOUD_SDK_AK` without `_SK` (or the reverse): the variable named.
                Err(e)
            }
            Err(e) if chain && self.memory.chosen.is_none() => {
                self.failures.push((self.members[self.index].name().to_owned(), e));
                if self.index + 1 < self.members.len() {
                    self.index += 1;
                    self.step = Step::Start;
                    return;
                }
                let failures: Vec<(&str, Error)> = self.failures.iter().map(|(n, e)| (n.as_str(), e.clone())).collect();
                Err(chain_error(&failures))
            }
            Err(e) => Err(e),
        };
        self.step = Step::Done(result);
    }
}

//! Rotation of a secret as a sans-IO state machine: the rotation guide's client-side flow
//! made crash-safe and resumable, the same in every language. The host does the CSMS calls
//! and runs its own callbacks; every decision is taken here.
//!
//! ```text
//! let mut rotation = Rotation::new(secret_name, options)?;
//! let mut step = rotation.start();
//! loop {
//!     step = match step {
//!         Step::Call { operation, input } => rotation.received(client.call(operation, &input)),
//!         Step::Generate => rotation.generated(generate()),     // only with a host generator
//!         Step::Apply { new_value, previous_value } => rotation.applied(apply(&new_value, &previous_value)),
//!         Step::Test { new_value } => rotation.tested(test(&new_value)),
//!         Step::Sleep(delay) => { sleep(delay); rotation.woke(now) }
//!         Step::Done(result) => break result,
//!     }
//! }
//! ```
//!
//! The protocol, for a secret CSMS does not rotate itself:
//! 1. **Probe**: the secret's type, then `ShowSecretStage` for `SYSCURRENT` and
//!    `SYSPENDING` and the current value. A `SYSPENDING` on another version than the current
//!    one means an earlier run stopped half way: it is resumed with that version and its
//!    value (`resumed`), no new one is made. A `SYSPENDING` on the current version means an
//!    earlier run stopped after moving `SYSCURRENT`: only the label is removed.
//! 2. **Create**: a new password (the host's generator, else CSMS's `GenerateRandomPassword`),
//!    put in the `password` field of a JSON object value (with the other user's `username`
//!    for alternating users), or the whole value otherwise; stored *before* the target is
//!    touched, as a version carrying only `SYSPENDING`, so that no crash can lose it. Then
//!    the versions are listed: of the versions stored by rotations racing this one (within
//!    [`RIVAL_WINDOW_MS`] of each other), the earliest wins, and the others stop with
//!    [`Error::Rotation`] (step `create`) before applying anything. Every racer sees the
//!    same earliest version, so exactly one applies a value.
//! 3. **Apply**: the host's `apply(new_value, previous_value)` makes the target accept the
//!    new value. It may run again with the same value after a crash: it must be idempotent.
//! 4. **Test** (optional): the host's `test(new_value)`. A false result or an error stops the
//!    rotation: `SYSCURRENT` unchanged, `SYSPENDING` left for the next run.
//! 5. **Finish**: `UpdateSecretStage(SYSCURRENT → new)` (the old version becomes
//!    `SYSPREVIOUS`), then `DeleteSecretStage(SYSPENDING)` (already gone is fine).
//!
//! For the types CSMS rotates itself (`RDS-FG`, `GaussDB-FG`, `RDS`), `RotateSecret` and a
//! wait for its task (`ListSecretTask`), polled 1 s, 2 s, 4 s ... at most 30 s apart until
//! [`RotationOptions::task_deadline`].
//!
//! Nothing secret reaches an error or the result; the values go only to the host's
//! callbacks, as [`SecretString`]s.

#[cfg(test)]
mod tests;

use crate::cache::{is_absent, CURRENT, PENDING, PREVIOUS};
use crate::error::{Error, Result};
use crate::secret::SecretString;
use crate::util::text_object;
use serde_json::Value;
use std::time::Duration;

/// How the new value relates to the old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// One account: its password changes. New connections can fail between `apply` and the
    /// end of the rotation, while readers still hold the old password.
    #[default]
    SingleUser,
    /// Two accounts (the CSMS dual-user policy): the one that is not current gets the new
    /// password and becomes current, so readers of `SYSCURRENT` never hold a password that
    /// stopped working. The value must be a JSON object with `username` and `password`; the
    /// other user is `SYSPREVIOUS`'s `username`, else the current one with `_clone` appended.
    AlternatingUsers,
}

impl Strategy {
    /// The strategy named `single-user` or `alternating-users`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "single-user" => Ok(Strategy::SingleUser),
            "alternating-users" => Ok(Strategy::AlternatingUsers),
            other => Err(Error::validation(
                "strategy",
                format!("must be \"single-user\" or \"alternating-users\", not {}", crate::util::quoted(other, '"')),
            )),
        }
    }
}

/// How close in time (the service's clock) two versions must be stored for their rotations
/// to be rivals: 60 s. A version stored longer before this run's is an earlier run's leftover
/// (a rival that lost), not a rotation in progress.
pub const RIVAL_WINDOW_MS: i64 = 60_000;
/// Versions per page when looking for a rival.
const LIST_PAGE: u32 = 100;
/// Pages read at most when looking for a rival.
const MAX_PAGES: u32 = 50;

/// The input of a page of `ListSecretVersions`.
fn list_page(marker: Option<&str>) -> Value {
    let input = with_member(text_object(&[]), "limit", Value::from(LIST_PAGE));
    match marker {
        Some(marker) => with_member(input, "marker", Value::String(marker.to_owned())),
        None => input,
    }
}

/// `object` with one more member (no `IndexMut`, whose panic message prints the value).
fn with_member(mut object: Value, name: &str, value: Value) -> Value {
    if let Value::Object(map) = &mut object {
        map.insert(name.to_owned(), value);
    }
    object
}

/// The number in a version id `v12` (for ordering versions stored in the same millisecond);
/// `u64::MAX` for another shape.
fn version_number(id: &str) -> u64 {
    id.strip_prefix('v').and_then(|n| n.parse().ok()).unwrap_or(u64::MAX)
}

/// The secret types CSMS rotates itself (with `RotateSecret`).
pub const SERVICE_ROTATED_TYPES: [&str; 3] = ["RDS-FG", "GaussDB-FG", "RDS"];
/// How long a `RotateSecret` task is waited for by default: 10 minutes.
pub const DEFAULT_TASK_DEADLINE: Duration = Duration::from_secs(600);
/// The longest wait between two polls of a task: 30 s.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(30);

/// The settings of a rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationOptions {
    /// Single user (the default) or alternating users.
    pub strategy: Strategy,
    /// Whether the host makes the new password ([`Step::Generate`]); else CSMS's
    /// `GenerateRandomPassword` does.
    pub host_generates: bool,
    /// Whether the host tests the new value ([`Step::Test`]).
    pub host_tests: bool,
    /// How long a `RotateSecret` task is waited for.
    pub task_deadline: Duration,
}

impl Default for RotationOptions {
    fn default() -> Self {
        RotationOptions {
            strategy: Strategy::SingleUser,
            host_generates: false,
            host_tests: false,
            task_deadline: DEFAULT_TASK_DEADLINE,
        }
    }
}

/// What a rotation did. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationResult {
    /// The version now carrying `SYSCURRENT`.
    pub version_id: String,
    /// The version that carried it before (now `SYSPREVIOUS`), when known.
    pub previous_version_id: Option<String>,
    /// Whether this run finished a rotation an earlier run had begun.
    pub resumed: bool,
    /// The steps this run took, in order: `probe`, `create`, `apply`, `test`, `finish`,
    /// `rotate`, `wait`.
    pub steps: Vec<&'static str>,
}

/// What the host does next.
#[derive(Debug)]
pub enum Step {
    /// Call this CSMS operation and hand its result or error to [`Rotation::received`].
    Call {
        /// The operation's official name.
        operation: &'static str,
        /// Its input (holds the new value for `CreateSecretVersion`: wipe it after the call).
        input: Value,
    },
    /// Call the host's generator for a new password; hand it to [`Rotation::generated`].
    Generate,
    /// Call the host's `apply(new_value, previous_value)`; hand the outcome to
    /// [`Rotation::applied`].
    Apply {
        /// The value the target is to accept.
        new_value: SecretString,
        /// The value it accepts now (the current version's).
        previous_value: SecretString,
    },
    /// Call the host's `test(new_value)`; hand the outcome to [`Rotation::tested`].
    Test {
        /// The value to test.
        new_value: SecretString,
    },
    /// Wait this long, then call [`Rotation::woke`] with the time.
    Sleep(Duration),
    /// The rotation is over.
    Done(Result<RotationResult>),
}

/// Where a rotation stands (what the next answer is for).
#[derive(Debug)]
enum Phase {
    ShowSecret,
    Current,
    Pending,
    CurrentValue,
    PendingValue,
    Previous,
    PreviousValue,
    Password,
    Create,
    /// Listing the versions for a rival rotation: the earliest rival seen so far
    /// (create time, number, id) and the pages read.
    Recheck {
        earliest: Option<(i64, u64, String)>,
        pages: u32,
    },
    /// This run lost to `winner`: reading SYSCURRENT to hand SYSPENDING back.
    Yield {
        winner: String,
    },
    /// Handing SYSPENDING back to the winner (or removing it).
    Yielded {
        winner: String,
    },
    Apply,
    Test,
    Promote,
    Unlabel,
    Rotate,
    Task {
        task_id: String,
        version_id: Option<String>,
        polls: u32,
        deadline: Option<Duration>,
    },
    Over,
}

/// One rotation of one secret (see the module's documentation).
#[derive(Debug)]
pub struct Rotation {
    secret_name: String,
    options: RotationOptions,
    phase: Phase,
    current_id: Option<String>,
    pending_id: Option<String>,
    previous_id: Option<String>,
    current_value: Option<SecretString>,
    previous_value: Option<SecretString>,
    new_value: Option<SecretString>,
    /// When this run's version was stored (the service's clock, ms).
    created_at: Option<i64>,
    /// When the current version was stored.
    current_created_at: Option<i64>,
    resumed: bool,
    steps: Vec<&'static str>,
}

fn rotation_error(step: &str, reason: impl Into<String>) -> Error {
    Error::Rotation { step: step.to_owned(), reason: reason.into() }
}

fn text_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(key)).and_then(Value::as_str).filter(|s| !s.is_empty())
}

impl Rotation {
    /// A rotation of `secret_name` (an [`Error::Validation`] naming `secret_name` when empty).
    pub fn new(secret_name: &str, options: RotationOptions) -> Result<Self> {
        if secret_name.is_empty() {
            return Err(Error::validation("secret_name", "must not be empty"));
        }
        Ok(Rotation {
            secret_name: secret_name.to_owned(),
            options,
            phase: Phase::ShowSecret,
            current_id: None,
            pending_id: None,
            previous_id: None,
            current_value: None,
            previous_value: None,
            new_value: None,
            created_at: None,
            current_created_at: None,
            resumed: false,
            steps: vec!["probe"],
        })
    }

    /// The first step.
    pub fn start(&mut self) -> Step {
        self.phase = Phase::ShowSecret;
        self.call("ShowSecret", text_object(&[]))
    }

    fn call(&self, operation: &'static str, mut input: Value) -> Step {
        input = with_member(input, "secret_name", Value::String(self.secret_name.clone()));
        Step::Call { operation, input }
    }

    fn stage(&self, stage: &str) -> Step {
        self.call("ShowSecretStage", text_object(&[("stage_name", stage)]))
    }

    fn version(&self, id: &str) -> Step {
        self.call("ShowSecretVersion", text_object(&[("version_id", id)]))
    }

    fn done(&mut self, result: Result<RotationResult>) -> Step {
        self.phase = Phase::Over;
        self.current_value = None;
        self.previous_value = None;
        self.new_value = None;
        Step::Done(result)
    }

    fn fail(&mut self, error: Error) -> Step {
        self.done(Err(error))
    }

    fn finished(&mut self) -> Step {
        let version_id = self.pending_id.clone().unwrap_or_default();
        let result = RotationResult {
            version_id,
            previous_version_id: self.current_id.clone().filter(|c| Some(c) != self.pending_id.as_ref()),
            resumed: self.resumed,
            steps: self.steps.clone(),
        };
        self.done(Ok(result))
    }

    /// The result (or error) of the [`Step::Call`] last asked for.
    pub fn received(&mut self, result: Result<Value>) -> Step {
        let phase = std::mem::replace(&mut self.phase, Phase::Over);
        match (phase, result) {
            (Phase::ShowSecret, Ok(secret)) => {
                let kind = text_at(&secret, &["secret", "secret_type"]).unwrap_or("COMMON");
                self.phase = Phase::Current;
                if SERVICE_ROTATED_TYPES.contains(&kind) {
                    self.steps.push("rotate");
                }
                self.stage(CURRENT)
            }
            (Phase::Current, Ok(stage)) => match text_at(&stage, &["stage", "version_id"]) {
                Some(id) => {
                    self.current_id = Some(id.to_owned());
                    if self.steps.contains(&"rotate") {
                        self.phase = Phase::Rotate;
                        return self.call("RotateSecret", text_object(&[]));
                    }
                    self.phase = Phase::Pending;
                    self.stage(PENDING)
                }
                None => self.fail(rotation_error("probe", "the secret has no SYSCURRENT version")),
            },
            (Phase::Pending, outcome) => {
                match outcome {
                    Ok(stage) => self.pending_id = text_at(&stage, &["stage", "version_id"]).map(str::to_owned),
                    Err(e) if is_absent(&e) => {}
                    Err(e) => return self.fail(e),
                }
                if self.pending_id.is_some() && self.pending_id == self.current_id {
                    // An earlier run moved SYSCURRENT and stopped: only the label is left.
                    self.resumed = true;
                    self.steps.push("finish");
                    self.phase = Phase::Unlabel;
                    return self.call("DeleteSecretStage", text_object(&[("stage_name", PENDING)]));
                }
                self.phase = Phase::CurrentValue;
                let current = self.current_id.clone().unwrap_or_default();
                self.version(&current)
            }
            (Phase::CurrentValue, Ok(version)) => {
                let Some(value) = text_at(&version, &["version", "secret_string"]) else {
                    return self.fail(rotation_error(
                        "probe",
                        "the current version holds no text (binary values are not rotated)",
                    ));
                };
                self.current_value = Some(SecretString::from(value));
                self.current_created_at = version["version"]["version_metadata"]["create_time"].as_i64();
                if let Some(pending) = self.pending_id.clone() {
                    self.resumed = true;
                    self.phase = Phase::PendingValue;
                    return self.version(&pending);
                }
                self.steps.push("create");
                if self.options.strategy == Strategy::AlternatingUsers {
                    self.phase = Phase::Previous;
                    return self.stage(PREVIOUS);
                }
                self.password()
            }
            (Phase::PendingValue, Ok(version)) => match text_at(&version, &["version", "secret_string"]) {
                Some(value) => {
                    self.new_value = Some(SecretString::from(value));
                    self.apply()
                }
                None => self.fail(rotation_error("probe", "the pending version holds no text")),
            },
            (Phase::Previous, outcome) => match outcome {
                Ok(stage) => match text_at(&stage, &["stage", "version_id"]) {
                    Some(id) if Some(id) != self.current_id.as_deref() => {
                        self.previous_id = Some(id.to_owned());
                        self.phase = Phase::PreviousValue;
                        self.version(id)
                    }
                    _ => self.password(),
                },
                Err(e) if is_absent(&e) => self.password(),
                Err(e) => self.fail(e),
            },
            (Phase::PreviousValue, Ok(version)) => {
                self.previous_value = text_at(&version, &["version", "secret_string"]).map(SecretString::from);
                self.password()
            }
            (Phase::Password, Ok(generated)) => match text_at(&generated, &["password"]) {
                Some(password) => self.create(SecretString::from(password)),
                None => self.fail(rotation_error("create", "GenerateRandomPassword gave no password")),
            },
            (Phase::Create, Ok(created)) => match text_at(&created, &["version_metadata", "id"]) {
                Some(id) => {
                    self.pending_id = Some(id.to_owned());
                    self.created_at = created["version_metadata"]["create_time"].as_i64();
                    self.phase = Phase::Recheck { earliest: None, pages: 1 };
                    self.call("ListSecretVersions", list_page(None))
                }
                None => self.fail(rotation_error("create", "CreateSecretVersion gave no version id")),
            },
            (Phase::Recheck { earliest, pages }, Ok(page)) => {
                // The earliest version stored by a rotation racing this one wins; the others stop.
                let mine = self.pending_id.clone().unwrap_or_default();
                let mut earliest = earliest;
                for version in page["version_metadatas"].as_array().into_iter().flatten() {
                    let Some(id) = text_at(version, &["id"]) else { continue };
                    let created = version["create_time"].as_i64();
                    if self.is_rival(id, created) {
                        let key = (created.unwrap_or(i64::MAX), version_number(id), id.to_owned());
                        if earliest.as_ref().is_none_or(|e| key < *e) {
                            earliest = Some(key);
                        }
                    }
                }
                if let Some(marker) = text_at(&page, &["page_info", "next_marker"]).filter(|_| pages < MAX_PAGES) {
                    let marker = marker.to_owned();
                    self.phase = Phase::Recheck { earliest, pages: pages + 1 };
                    return self.call("ListSecretVersions", list_page(Some(&marker)));
                }
                match earliest {
                    Some((_, _, winner)) if winner != mine => {
                        // This run lost: SYSPENDING (which its version took) goes back to the
                        // winner, or away if the winner finished already.
                        self.phase = Phase::Yield { winner };
                        self.stage(CURRENT)
                    }
                    _ => self.apply(),
                }
            }
            (Phase::Yield { winner }, Ok(stage)) => {
                let input = if text_at(&stage, &["stage", "version_id"]) == Some(winner.as_str()) {
                    self.phase = Phase::Yielded { winner };
                    return self.call("DeleteSecretStage", text_object(&[("stage_name", PENDING)]));
                } else {
                    text_object(&[("stage_name", PENDING), ("version_id", &winner)])
                };
                self.phase = Phase::Yielded { winner };
                self.call("UpdateSecretStage", input)
            }
            (Phase::Yielded { winner }, outcome) => match outcome {
                Err(e) if !is_absent(&e) => self.fail(e),
                _ => {
                    let mine = self.pending_id.clone().unwrap_or_default();
                    self.fail(rotation_error(
                        "create",
                        format!(
                            "another rotation of this secret stored version {winner} less than a minute before \
                             this run stored version {mine}, which stays unused; nothing was applied (if no other \
                             rotation is running, run again in a minute)"
                        ),
                    ))
                }
            },
            (Phase::Promote, Ok(_)) => {
                self.phase = Phase::Unlabel;
                self.call("DeleteSecretStage", text_object(&[("stage_name", PENDING)]))
            }
            (Phase::Unlabel, outcome) => match outcome {
                Ok(_) => self.finished(),
                Err(e) if is_absent(&e) => self.finished(),
                Err(e) => self.fail(e),
            },
            (Phase::Rotate, Ok(rotated)) => {
                let version_id = text_at(&rotated, &["version_id"]).map(str::to_owned);
                match text_at(&rotated, &["rotation_task_id"]) {
                    Some(task_id) => {
                        self.steps.push("wait");
                        let task_id = task_id.to_owned();
                        self.phase = Phase::Task { task_id: task_id.clone(), version_id, polls: 0, deadline: None };
                        self.call("ListSecretTask", text_object(&[("task_id", &task_id)]))
                    }
                    None => {
                        self.pending_id = version_id;
                        self.finished()
                    }
                }
            }
            (Phase::Task { task_id, version_id, polls, deadline }, Ok(list)) => {
                let task = list["tasks"]
                    .as_array()
                    .and_then(|tasks| tasks.iter().find(|t| text_at(t, &["task_id"]) == Some(task_id.as_str())));
                let status = task.and_then(|t| text_at(t, &["task_status"])).unwrap_or("");
                match status {
                    "SUCCESS" => {
                        self.pending_id = version_id;
                        self.finished()
                    }
                    "FAILED" | "FAIL" => {
                        let code = task.and_then(|t| text_at(t, &["task_error_code"])).unwrap_or("");
                        let message = task.and_then(|t| text_at(t, &["task_error_msg"])).unwrap_or("");
                        self.fail(rotation_error(
                            "wait",
                            format!("the rotation task {task_id} failed: {code} {message}"),
                        ))
                    }
                    _ => {
                        let delay = Duration::from_secs(1u64 << polls.min(5)).min(MAX_POLL_INTERVAL);
                        self.phase = Phase::Task { task_id, version_id, polls: polls + 1, deadline };
                        Step::Sleep(delay)
                    }
                }
            }
            (_, Err(error)) => self.fail(error),
            (_, Ok(_)) => self.fail(rotation_error("probe", "an answer came when none was asked for")),
        }
    }

    /// Whether version `id`, stored at `created` (ms), may be a rival rotation's version (or
    /// this run's own): stored after the current one, and at most [`RIVAL_WINDOW_MS`] before
    /// this run's.
    fn is_rival(&self, id: &str, created: Option<i64>) -> bool {
        if Some(id) == self.current_id.as_deref() {
            return false;
        }
        match (created, self.created_at) {
            (Some(at), Some(mine)) => {
                at >= mine - RIVAL_WINDOW_MS && self.current_created_at.is_none_or(|current| at > current)
            }
            // Without times, only this run's version is known to be recent.
            _ => Some(id) == self.pending_id.as_deref(),
        }
    }

    /// The new password: the host's, or CSMS's.
    fn password(&mut self) -> Step {
        if self.options.host_generates {
            self.phase = Phase::Password;
            return Step::Generate;
        }
        self.phase = Phase::Password;
        // The one call not about the secret (no `secret_name`).
        Step::Call { operation: "GenerateRandomPassword", input: text_object(&[]) }
    }

    /// Stores the new value built around `password` as a version carrying only SYSPENDING.
    fn create(&mut self, password: SecretString) -> Step {
        let current = self.current_value.as_ref().map(SecretString::expose).unwrap_or_default();
        let value = match (crate::json::parse_str(current), self.options.strategy) {
            (Ok(Value::Object(mut fields)), strategy) if fields.get("password").is_some_and(Value::is_string) => {
                if strategy == Strategy::AlternatingUsers {
                    let Some(user) = fields.get("username").and_then(Value::as_str).map(str::to_owned) else {
                        return self.fail(rotation_error("create", "alternating users need a `username` in the value"));
                    };
                    let previous_user = self
                        .previous_value
                        .as_ref()
                        .and_then(|p| crate::json::parse_str(p.expose()).ok())
                        .and_then(|p| p.get("username").and_then(Value::as_str).map(str::to_owned))
                        .filter(|p| *p != user);
                    fields.insert("username".into(), Value::String(previous_user.unwrap_or(format!("{user}_clone"))));
                }
                fields.insert("password".into(), Value::String(password.expose().to_owned()));
                let mut object = Value::Object(fields);
                let text = crate::util::json_text(&object);
                crate::secret::zeroize_json(&mut object);
                text
            }
            (_, Strategy::AlternatingUsers) => {
                return self.fail(rotation_error(
                    "create",
                    "alternating users need a JSON object value with `username` and `password`",
                ))
            }
            (_, Strategy::SingleUser) => password.expose().to_owned(),
        };
        let value = SecretString::from(value);
        let stages = Value::Array(vec![Value::String(PENDING.to_owned())]);
        let input = with_member(text_object(&[("secret_string", value.expose())]), "version_stages", stages);
        self.new_value = Some(value);
        self.phase = Phase::Create;
        self.call("CreateSecretVersion", input)
    }

    /// The new password the host made ([`Step::Generate`]), or its error.
    pub fn generated(&mut self, password: Result<SecretString>) -> Step {
        if !matches!(self.phase, Phase::Password) {
            return self.fail(rotation_error("create", "a password came when none was asked for"));
        }
        match password {
            Ok(p) if !p.expose().is_empty() => self.create(p),
            Ok(_) => self.fail(rotation_error("create", "the generator gave an empty password")),
            Err(e) => self.fail(rotation_error("create", format!("the generator failed: {e}"))),
        }
    }

    fn apply(&mut self) -> Step {
        self.steps.push("apply");
        self.phase = Phase::Apply;
        Step::Apply {
            new_value: self.new_value.clone().unwrap_or_default(),
            previous_value: self.current_value.clone().unwrap_or_default(),
        }
    }

    /// The outcome of the host's `apply` ([`Step::Apply`]).
    pub fn applied(&mut self, outcome: Result<()>) -> Step {
        if !matches!(self.phase, Phase::Apply) {
            return self.fail(rotation_error("apply", "an apply outcome came when none was asked for"));
        }
        if let Err(e) = outcome {
            return self.fail(rotation_error(
                "apply",
                format!("{e}; SYSCURRENT is unchanged and the next run applies the same pending value again"),
            ));
        }
        if self.options.host_tests {
            self.steps.push("test");
            self.phase = Phase::Test;
            return Step::Test { new_value: self.new_value.clone().unwrap_or_default() };
        }
        self.promote()
    }

    /// The outcome of the host's `test` ([`Step::Test`]): whether the target accepts the
    /// new value, or an error.
    pub fn tested(&mut self, outcome: Result<bool>) -> Step {
        if !matches!(self.phase, Phase::Test) {
            return self.fail(rotation_error("test", "a test outcome came when none was asked for"));
        }
        let why = match outcome {
            Ok(true) => return self.promote(),
            Ok(false) => "the target did not accept the new value".to_owned(),
            Err(e) => e.to_string(),
        };
        self.fail(rotation_error(
            "test",
            format!("{why}; SYSCURRENT is unchanged and SYSPENDING stays for the next run"),
        ))
    }

    fn promote(&mut self) -> Step {
        self.steps.push("finish");
        self.phase = Phase::Promote;
        let version = self.pending_id.clone().unwrap_or_default();
        self.call("UpdateSecretStage", text_object(&[("stage_name", CURRENT), ("version_id", &version)]))
    }

    /// After a [`Step::Sleep`]: `now` is the host's monotonic clock (any origin), which
    /// bounds the wait for a task.
    pub fn woke(&mut self, now: Duration) -> Step {
        let Phase::Task { task_id, version_id, polls, deadline } = std::mem::replace(&mut self.phase, Phase::Over)
        else {
            return self.fail(rotation_error("wait", "a wake-up came when no task was waited for"));
        };
        let deadline = deadline.unwrap_or(now + self.options.task_deadline);
        if now >= deadline {
            return self.fail(rotation_error(
                "wait",
                format!("the rotation task {task_id} did not finish within {} s", self.options.task_deadline.as_secs()),
            ));
        }
        self.phase = Phase::Task { task_id: task_id.clone(), version_id, polls, deadline: Some(deadline) };
        self.call("ListSecretTask", text_object(&[("task_id", &task_id)]))
    }
}

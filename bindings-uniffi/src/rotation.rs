//! Rotation for Kotlin and Swift (issue 17): the core's [`Rotation`] state machine driven
//! here, as `csms_core::HttpClient::rotate` drives it over reqwest, with the client's own call
//! loop ([`CsmsClient::call`]) for the CSMS requests, the transport's `sleep` for the waits
//! of a `RotateSecret` task, and the application's callbacks (a foreign
//! [`RotationCallbacks`]: Kotlin lambdas, Swift closures) for generate, apply and test.

use crate::cache::MonotonicClock;
use crate::{guard_async, invalid, CsmsClient, CsmsException};
use csms_core::rotation::{Rotation, RotationOptions, Step, Strategy};
use csms_core::{Error, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// What a rotation did ([`CsmsClient::rotate_with_callbacks`]). Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RotationResult {
    /// The version now carrying `SYSCURRENT`.
    pub version_id: String,
    /// The version that carried it before (now `SYSPREVIOUS`), when known.
    pub previous_version_id: Option<String>,
    /// Whether this run finished a rotation an earlier run had begun.
    pub resumed: bool,
    /// The steps this run took, in order: `probe`, `create`, `apply`, `test`, `finish`,
    /// `rotate`, `wait`.
    pub steps: Vec<String>,
}

/// The application's side of a rotation (Kotlin: the lambdas of `client.rotate(...)`; Swift:
/// the closures of `client.rotate(secretName:...)`). What a callback throws stops the
/// rotation with `CsmsException.Rotation` naming the step; the secret is left so that the next
/// run resumes.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait RotationCallbacks: Send + Sync {
    /// Makes the target (a database, an API key, ...) accept `new_value`; `previous_value` is
    /// what it accepts now. Must be idempotent: after a crash it runs again with the same value.
    async fn apply(&self, new_value: String, previous_value: String) -> Result<(), CsmsException>;
    /// Whether the target accepts `new_value` (called only when the rotation tests).
    async fn test(&self, new_value: String) -> Result<bool, CsmsException>;
    /// A new password (called only when the rotation generates; else CSMS's
    /// `GenerateRandomPassword` makes it).
    async fn generate(&self) -> Result<String, CsmsException>;
}

/// A callback's failure as the core takes it: a foreign exception (which uniffi hands over
/// as a `Transport` failure with the exception's text) becomes a transport failure naming the
/// callback, never sent; a `CsmsException` the callback threw on purpose stays what it is.
fn callback_error(callback: &str, error: CsmsException) -> Error {
    match error {
        CsmsException::Transport { reason, .. } => {
            Error::transport(format!("the {callback} callback threw {reason}"), false)
        }
        other => other.into(),
    }
}

#[uniffi::export]
impl CsmsClient {
    /// Rotates the secret `secret_name` (the core's `rotation`): resumes a rotation an earlier
    /// run left half way, else stores a new value as `SYSPENDING` (made by `callbacks.generate`
    /// when `generates`, else by CSMS's `GenerateRandomPassword`), has `callbacks.apply` it
    /// (and `callbacks.test` it when `tests`), then moves `SYSCURRENT` to it. For the secret
    /// types CSMS rotates itself, `RotateSecret` and a wait for its task (sleeping through the
    /// transport, bounded by `task_deadline_millis`, 10 minutes when absent, read on `clock`).
    /// `strategy`: `single-user` or `alternating-users`. Kotlin: `client.rotate(...)`.
    #[uniffi::method(default(strategy = "single-user", generates = false, tests = false, task_deadline_millis = None))]
    #[allow(clippy::too_many_arguments)] // uniffi exports plain methods: one argument each
    pub async fn rotate_with_callbacks(
        &self,
        secret_name: String,
        callbacks: Arc<dyn RotationCallbacks>,
        clock: Arc<dyn MonotonicClock>,
        strategy: String,
        generates: bool,
        tests: bool,
        task_deadline_millis: Option<i64>,
    ) -> Result<RotationResult, CsmsException> {
        guard_async(async move {
            let mut options = RotationOptions {
                strategy: Strategy::parse(&strategy)?,
                host_generates: generates,
                host_tests: tests,
                ..RotationOptions::default()
            };
            if let Some(millis) = task_deadline_millis {
                let millis = u64::try_from(millis)
                    .map_err(|_| invalid("task_deadline_millis", format!("must not be negative, not {millis}")))?;
                options.task_deadline = Duration::from_millis(millis);
            }
            let origin = clock.nanos();
            let now = || Duration::from_nanos(u64::try_from(clock.nanos().wrapping_sub(origin)).unwrap_or(0));
            let mut rotation = Rotation::new(&secret_name, options)?;
            let mut step = rotation.start();
            loop {
                step = match step {
                    Step::Call { operation, mut input } => {
                        let result = self.call_value(operation, &input).await.map_err(Error::from);
                        csms_core::zeroize_json(&mut input);
                        rotation.received(result)
                    }
                    Step::Generate => {
                        let password = callbacks.generate().await;
                        rotation.generated(password.map(SecretString::from).map_err(|e| callback_error("generate", e)))
                    }
                    Step::Apply { new_value, previous_value } => {
                        let outcome =
                            callbacks.apply(new_value.expose().to_owned(), previous_value.expose().to_owned());
                        rotation.applied(outcome.await.map_err(|e| callback_error("apply", e)))
                    }
                    Step::Test { new_value } => {
                        let outcome = callbacks.test(new_value.expose().to_owned()).await;
                        rotation.tested(outcome.map_err(|e| callback_error("test", e)))
                    }
                    Step::Sleep(delay) => {
                        self.transport()?.sleep(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)).await?;
                        rotation.woke(now())
                    }
                    Step::Done(result) => {
                        let result = result?;
                        return Ok(RotationResult {
                            version_id: result.version_id,
                            previous_version_id: result.previous_version_id,
                            resumed: result.resumed,
                            steps: result.steps.into_iter().map(str::to_owned).collect(),
                        });
                    }
                }
            }
        })
        .await
    }
}

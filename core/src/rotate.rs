//! Rotation with I/O (feature `reqwest`): the sans-IO [`Rotation`] driven by an
//! [`HttpClient`] and the application's [`RotationHooks`].

use crate::error::Result;
use crate::rotation::{Rotation, RotationOptions, RotationResult, Step, Strategy};
use crate::secret::SecretString;
use crate::transport::HttpClient;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// What a hook returns.
pub type HookFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// The application's side of a rotation: make the target accept a new value, and
/// optionally test it and make the password. An error a hook returns stops the rotation with
/// [`Error::Rotation`](crate::Error::Rotation) naming the step; the secret is left so that
/// the next run resumes.
pub trait RotationHooks: Send + Sync {
    /// Makes the target (a database, an API key, ...) accept `new_value`; `previous_value`
    /// is what it accepts now. Must be idempotent: after a crash it runs again with the same
    /// value.
    fn apply<'a>(&'a self, new_value: &'a SecretString, previous_value: &'a SecretString) -> HookFuture<'a, ()>;

    /// Whether [`RotationHooks::test`] is to run after `apply`.
    fn tests(&self) -> bool {
        false
    }

    /// Checks that the target accepts `new_value` (`false`: it does not).
    fn test<'a>(&'a self, new_value: &'a SecretString) -> HookFuture<'a, bool> {
        let _ = new_value;
        Box::pin(async { Ok(true) })
    }

    /// Whether [`RotationHooks::generate`] makes the new password (else CSMS's
    /// `GenerateRandomPassword` does).
    fn generates(&self) -> bool {
        false
    }

    /// A new password.
    fn generate(&self) -> HookFuture<'_, SecretString> {
        Box::pin(async { Err(crate::Error::validation("generate", "this rotation has no generator")) })
    }
}

impl HttpClient {
    /// Rotates the secret `secret_name` ([`crate::rotation`]): resumes a rotation an
    /// earlier run left half way, else stores a new value as `SYSPENDING`, has `hooks`
    /// apply (and test) it, then moves `SYSCURRENT` to it. For the secret types CSMS rotates
    /// itself, `RotateSecret` and a wait for its task.
    ///
    /// ```no_run
    /// # async fn run(http: csms_core::HttpClient) -> csms_core::Result<()> {
    /// use csms_core::rotation::Strategy;
    /// use csms_core::{HookFuture, RotationHooks, SecretString};
    /// struct Database;
    /// impl RotationHooks for Database {
    ///     fn apply<'a>(&'a self, new: &'a SecretString, _old: &'a SecretString) -> HookFuture<'a, ()> {
    ///         Box::pin(async move { /* ALTER USER ... PASSWORD new.expose() */ Ok(()) })
    ///     }
    /// }
    /// let result = http.rotate("db-password", Strategy::SingleUser, &Database).await?;
    /// println!("now on {} (resumed: {})", result.version_id, result.resumed);
    /// # Ok(()) }
    /// ```
    pub async fn rotate(
        &self,
        secret_name: &str,
        strategy: Strategy,
        hooks: &dyn RotationHooks,
    ) -> Result<RotationResult> {
        let options = RotationOptions {
            strategy,
            host_generates: hooks.generates(),
            host_tests: hooks.tests(),
            ..RotationOptions::default()
        };
        self.rotate_with(secret_name, options, hooks).await
    }

    /// [`HttpClient::rotate`] with every option (the task deadline).
    pub async fn rotate_with(
        &self,
        secret_name: &str,
        options: RotationOptions,
        hooks: &dyn RotationHooks,
    ) -> Result<RotationResult> {
        let origin = Instant::now();
        let mut rotation = Rotation::new(secret_name, options)?;
        let mut step = rotation.start();
        loop {
            step = match step {
                Step::Call { operation, mut input } => {
                    let result = self.call(operation, &input).await;
                    crate::secret::zeroize_json(&mut input);
                    rotation.received(result)
                }
                Step::Generate => rotation.generated(hooks.generate().await),
                Step::Apply { new_value, previous_value } => {
                    rotation.applied(hooks.apply(&new_value, &previous_value).await)
                }
                Step::Test { new_value } => rotation.tested(hooks.test(&new_value).await),
                Step::Sleep(delay) => {
                    tokio::time::sleep(delay).await;
                    rotation.woke(origin.elapsed())
                }
                Step::Done(result) => return result,
            }
        }
    }
}

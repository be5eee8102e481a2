//! A rotation in `csms._native` ([`NativeRotation`]): the core's sans-IO [`Rotation`]
//! behind a mutex. The Python driver (`csms/_rotation.py`) sends its calls through the
//! client, runs the application's callbacks and sleeps; every decision is the core's.
//!
//! Each method returns the next step as a tuple: `("call", operation, input)`,
//! `("generate",)`, `("apply", new_value, previous_value)`, `("test", new_value)`,
//! `("sleep", seconds)`, `("done", version_id, previous_version_id, resumed, steps)`; a
//! rotation that ended with an error raises it (a `RotationError` for a step of its own).

use crate::{error_of, guard, invalid, lock, to_json, to_py, type_name, Res};
use csms_core::rotation::{Rotation, RotationOptions, Step, Strategy, DEFAULT_TASK_DEADLINE};
use csms_core::{Error, SecretString};
use pyo3::exceptions::PyBaseException;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use std::sync::Mutex;
use std::time::Duration;

/// One rotation of one secret.
#[pyclass(frozen, module = "csms._native", name = "Rotation")]
pub struct NativeRotation {
    rotation: Mutex<Rotation>,
}

/// The Python tuple of a step (see the module's documentation).
fn step_of(py: Python<'_>, step: Step) -> Res<Py<PyTuple>> {
    let tuple = match step {
        Step::Call { operation, mut input } => {
            let made = to_py(py, &input);
            csms_core::zeroize_json(&mut input);
            ("call", operation, made?).into_pyobject(py)?
        }
        Step::Generate => ("generate",).into_pyobject(py)?,
        Step::Apply { new_value, previous_value } => {
            ("apply", new_value.expose(), previous_value.expose()).into_pyobject(py)?
        }
        Step::Test { new_value } => ("test", new_value.expose()).into_pyobject(py)?,
        Step::Sleep(delay) => ("sleep", delay.as_secs_f64()).into_pyobject(py)?,
        Step::Done(result) => {
            let r = result?;
            ("done", r.version_id, r.previous_version_id, r.resumed, r.steps).into_pyobject(py)?
        }
    };
    Ok(tuple.unbind())
}

/// A callback's failure as the core's error: a `CsmsError` as itself, anything else as a
/// transport failure naming its class (see [`error_of`]).
fn failure(outcome: &Bound<'_, PyAny>) -> Res<Option<Error>> {
    if outcome.is_instance_of::<PyBaseException>() {
        Ok(Some(error_of(outcome)?))
    } else {
        Ok(None)
    }
}

#[pymethods]
impl NativeRotation {
    /// A rotation of `secret_name` with the strategy named `single-user` or
    /// `alternating-users`; `host_generates` / `host_tests`: whether the application's
    /// `generate` / `test` run; `task_deadline`: seconds a `RotateSecret` task is waited for
    /// (None: 10 minutes).
    #[new]
    #[pyo3(signature = (secret_name, strategy, host_generates, host_tests, task_deadline=None))]
    fn new(
        py: Python<'_>,
        secret_name: &Bound<'_, PyAny>,
        strategy: &Bound<'_, PyAny>,
        host_generates: bool,
        host_tests: bool,
        task_deadline: Option<f64>,
    ) -> PyResult<Self> {
        guard(py, || {
            let secret_name = crate::text_arg(secret_name, "secret_name")?;
            let strategy = Strategy::parse(&crate::text_arg(strategy, "strategy")?)?;
            let task_deadline = match task_deadline {
                Some(s) => Duration::try_from_secs_f64(s)
                    .map_err(|_| invalid("task_deadline", format!("must be seconds of 0 or more, not {s}")))?,
                None => DEFAULT_TASK_DEADLINE,
            };
            let options = RotationOptions { strategy, host_generates, host_tests, task_deadline };
            Ok(NativeRotation { rotation: Mutex::new(Rotation::new(&secret_name, options)?) })
        })
    }

    /// The first step.
    fn start(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        guard(py, || step_of(py, lock(&self.rotation).start()))
    }

    /// The result dict of the call last asked for, or the `CsmsError` it raised.
    fn received(&self, py: Python<'_>, result: &Bound<'_, PyAny>) -> PyResult<Py<PyTuple>> {
        guard(py, || {
            let result = match failure(result)? {
                Some(error) => Err(error),
                None => Ok(to_json(result, "result", 0)?),
            };
            step_of(py, lock(&self.rotation).received(result))
        })
    }

    /// The password `generate` returned (a non-empty str), or the exception it raised.
    fn generated(&self, py: Python<'_>, password: &Bound<'_, PyAny>) -> PyResult<Py<PyTuple>> {
        guard(py, || {
            let password = match (failure(password)?, password.cast::<PyString>()) {
                (Some(error), _) => Err(error),
                (None, Ok(text)) => Ok(SecretString::from(crate::text_of(text, "generate")?)),
                (None, Err(_)) => {
                    Err(Error::validation("generate", format!("must return a str, not {}", type_name(password))))
                }
            };
            step_of(py, lock(&self.rotation).generated(password))
        })
    }

    /// The outcome of `apply`: None, or the exception it raised.
    fn applied(&self, py: Python<'_>, outcome: &Bound<'_, PyAny>) -> PyResult<Py<PyTuple>> {
        guard(py, || {
            let outcome = failure(outcome)?.map_or(Ok(()), Err);
            step_of(py, lock(&self.rotation).applied(outcome))
        })
    }

    /// The outcome of `test`: what it returned (true: the target accepts the new value; any
    /// false value, None included, refuses it), or the exception it raised.
    fn tested(&self, py: Python<'_>, outcome: &Bound<'_, PyAny>) -> PyResult<Py<PyTuple>> {
        guard(py, || {
            let outcome = match failure(outcome)? {
                Some(error) => Err(error),
                None => Ok(outcome.is_truthy()?),
            };
            step_of(py, lock(&self.rotation).tested(outcome))
        })
    }

    /// After a sleep: `now` is the host's monotonic clock in seconds.
    fn woke(&self, py: Python<'_>, now: f64) -> PyResult<Py<PyTuple>> {
        guard(py, || {
            let now = Duration::try_from_secs_f64(now).unwrap_or(Duration::ZERO);
            step_of(py, lock(&self.rotation).woke(now))
        })
    }

    fn __repr__(&self) -> String {
        "Rotation(...)".to_owned()
    }
}

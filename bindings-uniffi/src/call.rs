//! Per-call limits and cancellation (issue 18): a view of a client whose calls time each
//! attempt out and end by an overall deadline ([`CsmsClient::with_limits`], through the core's
//! [`csms_core::Attempts::with_deadline`]), and a [`CancelHandle`] that ends a call at once
//! ([`CsmsClient::call_cancellable`]): the call's future is dropped, and with it the
//! transport's `send` or `sleep` in flight (uniffi then cancels the host's task: Swift's
//! `Task.cancel()`, which cancels the `URLSession` task; Kotlin's coroutine).
//!
//! No runtime: the timer of an attempt's timeout is the transport's own `sleep`, raced with
//! its `send`.

use crate::{guard, guard_async, invalid, lock, CsmsClient, CsmsException, HttpRequest, HttpResponse, HttpTransport};
use csms_core::{Attempts, Error, RetryPolicy};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

/// The longest per-attempt timeout or deadline accepted: a day (as the retry policy's bounds).
const MAX_LIMIT: Duration = Duration::from_secs(24 * 60 * 60);

/// The `reason` and `not_retried` of a call ended by its [`CancelHandle`] (the host turns it
/// into its own cancellation: Swift's `CancellationError`).
pub const CANCELLED: &str = "the call was cancelled";

/// The per-call limits of a client (none by default): each attempt's timeout, and the
/// deadline of the whole call, retries and waits included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Each attempt's timeout, on top of the transport's own.
    timeout: Option<Duration>,
    /// The whole call's deadline, from its start.
    deadline: Option<Duration>,
}

/// The clock of one call's attempts: the core's [`Attempts`] bounded by the [`Limits`].
pub(crate) struct Clock {
    begun: Instant,
    timeout: Option<Duration>,
}

impl Limits {
    /// `call` bounded by the deadline, and the clock the attempt loop tells it the time with.
    pub(crate) fn start(self, call: Attempts) -> (Attempts, Clock) {
        let call = match self.deadline {
            Some(deadline) => call.with_deadline(deadline),
            None => call,
        };
        (call, Clock { begun: Instant::now(), timeout: self.timeout })
    }
}

impl Clock {
    /// Tells `call` how long it has taken (before each attempt and each `receive`).
    pub(crate) fn tick(&self, call: &mut Attempts) {
        call.elapsed(self.begun.elapsed());
    }

    /// The timeout of the next attempt (the per-attempt one cut to what is left of the
    /// deadline), or the error the deadline ends the call with (timed out, nothing sent, not
    /// retried).
    pub(crate) fn next_timeout(&self, call: &mut Attempts) -> Result<Option<Duration>, Error> {
        self.tick(call);
        call.timeout(self.timeout)
    }
}

/// Sends `request` through `transport`, bounded by `timeout` when given: past it, the send is
/// dropped (the host's task cancelled) and the attempt fails as a request timeout
/// (`timed_out`, `maybe_sent`), retried as any timeout. The timer is `transport.sleep`; a
/// sleep that fails leaves the send unbounded.
pub(crate) async fn send(
    transport: &dyn HttpTransport,
    request: HttpRequest,
    timeout: Option<Duration>,
) -> Result<HttpResponse, CsmsException> {
    let Some(timeout) = timeout else { return transport.send(request).await };
    let millis = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
    let timer = async {
        match transport.sleep(millis).await {
            Ok(()) => Err(Error::timeout(format!("no response within the timeout of {millis} ms"), true).into()),
            Err(_) => std::future::pending().await,
        }
    };
    first(transport.send(request), timer).await
}

/// The output of whichever of `a` and `b` is ready first (`a` polled first); the other is
/// dropped.
async fn first<T>(a: impl Future<Output = T>, b: impl Future<Output = T>) -> T {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    std::future::poll_fn(|cx| match a.as_mut().poll(cx) {
        Poll::Ready(out) => Poll::Ready(out),
        Poll::Pending => b.as_mut().poll(cx),
    })
    .await
}

/// A switch that ends the calls given it ([`CsmsClient::call_cancellable`]) as soon as it is
/// turned: the call stops where it is (its transport `send` or `sleep` dropped), is not
/// retried, and returns `CsmsException.Transport` whose `not_retried` is
/// `"the call was cancelled"`. Swift's operations make one per call and turn it from the
/// task's cancellation handler, throwing `CancellationError` instead.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelHandle {
    state: Mutex<CancelState>,
}

#[derive(Debug, Default)]
struct CancelState {
    cancelled: bool,
    /// The calls waiting on this handle.
    wakers: Vec<Waker>,
}

#[uniffi::export]
impl CancelHandle {
    /// A handle not yet cancelled.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(CancelHandle::default())
    }

    /// Ends every call given this handle, now and later (idempotent; any thread).
    pub fn cancel(&self) {
        let wakers = {
            let mut state = lock(&self.state);
            state.cancelled = true;
            std::mem::take(&mut state.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Whether [`CancelHandle::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        lock(&self.state).cancelled
    }
}

impl CancelHandle {
    /// Ready once cancelled.
    async fn cancelled(&self) {
        std::future::poll_fn(|cx| {
            let mut state = lock(&self.state);
            if state.cancelled {
                return Poll::Ready(());
            }
            if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                state.wakers.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }
}

/// `millis` as a duration from 1 ms to a day, or a validation error naming `field`.
fn limit(field: &str, millis: Option<i64>) -> Result<Option<Duration>, CsmsException> {
    let Some(millis) = millis else { return Ok(None) };
    let value = u64::try_from(millis).ok().filter(|&m| m >= 1).map(Duration::from_millis);
    match value {
        Some(d) if d <= MAX_LIMIT => Ok(Some(d)),
        _ => Err(invalid(field, format!("must be from 1 ms to a day ({} ms), not {millis} ms", MAX_LIMIT.as_millis()))),
    }
}

/// `millis` as a non-negative duration (the retry policy bounds it), or a validation error
/// naming `field`.
fn duration(field: &str, millis: i64) -> Result<Duration, CsmsException> {
    u64::try_from(millis)
        .map(Duration::from_millis)
        .map_err(|_| invalid(field, format!("must not be negative, not {millis} ms")))
}

impl CsmsClient {
    /// A view of this client sharing its options, credentials provider, clock offset (the
    /// core client is shared) and debug hook, with `transport` (this client's when `None`),
    /// `policy` and `limits` (`with_settings`, `with_limits`).
    pub(crate) fn view(
        &self,
        transport: Option<Arc<dyn HttpTransport>>,
        policy: RetryPolicy,
        limits: Limits,
    ) -> Arc<Self> {
        Arc::new(CsmsClient {
            client: self.client.clone(),
            transport: transport.or_else(|| self.transport.clone()),
            policy,
            limits,
            debug_hook: self.debug_hook.clone(),
            credentials: self.credentials.clone(),
            signers: Mutex::default(),
        })
    }
}

#[uniffi::export]
impl CsmsClient {
    /// A view of this client (its options, transport, credentials provider, clock offset and
    /// debug hook shared) with other limits; null keeps this client's. `timeout_millis`: each
    /// attempt's timeout, on top of the transport's own (past it the attempt is dropped and
    /// fails as `CsmsException.Transport`, `timed_out` and `maybe_sent`, retried as any
    /// timeout); `deadline_millis`: the whole call, retries and waits included (the core's
    /// deadline: each attempt's timeout is cut to what is left, no retry whose wait would
    /// pass it, and a call past it ends with `CsmsException.Transport`, `timed_out`,
    /// `not_retried` saying so); both from 1 ms to a day. `max_attempts`, `backoff_base_millis`,
    /// `backoff_cap_millis`, `max_retry_after_millis`: the retry policy, checked by the core's
    /// `RetryPolicy::validate` (`CsmsException.Validation` naming `max_attempts`,
    /// `backoff_base`, `backoff_cap`, `max_retry_after`; `timeout` and `deadline` for those).
    /// Swift's typed initializer and `withOptions` use it.
    #[uniffi::method(default(
        timeout_millis = None,
        deadline_millis = None,
        max_attempts = None,
        backoff_base_millis = None,
        backoff_cap_millis = None,
        max_retry_after_millis = None
    ))]
    pub fn with_limits(
        &self,
        timeout_millis: Option<i64>,
        deadline_millis: Option<i64>,
        max_attempts: Option<i32>,
        backoff_base_millis: Option<i64>,
        backoff_cap_millis: Option<i64>,
        max_retry_after_millis: Option<i64>,
    ) -> Result<Arc<Self>, CsmsException> {
        guard(|| {
            let mut limits = self.limits;
            limits.timeout = limit("timeout", timeout_millis)?.or(limits.timeout);
            limits.deadline = limit("deadline", deadline_millis)?.or(limits.deadline);
            let mut policy = self.policy;
            if let Some(n) = max_attempts {
                // Negative: 0, which the policy refuses naming `max_attempts`.
                policy.max_attempts = u32::try_from(n).unwrap_or(0);
            }
            if let Some(millis) = backoff_base_millis {
                policy.base = duration("backoff_base", millis)?;
            }
            if let Some(millis) = backoff_cap_millis {
                policy.cap = duration("backoff_cap", millis)?;
            }
            if let Some(millis) = max_retry_after_millis {
                policy.max_retry_after = duration("max_retry_after", millis)?;
            }
            policy.validate()?;
            Ok(self.view(None, policy, limits))
        })
    }

    /// [`CsmsClient::call`], ended as soon as `cancel` is cancelled (before anything is sent
    /// if it already is): the transport's `send` or `sleep` in flight is dropped, nothing is
    /// retried, and the error is `CsmsException.Transport` (`maybe_sent`, `not_retried` =
    /// `"the call was cancelled"`), which Swift turns into `CancellationError`.
    pub async fn call_cancellable(
        &self,
        operation: String,
        input_json: String,
        cancel: Arc<CancelHandle>,
    ) -> Result<String, CsmsException> {
        let cancelled = async {
            cancel.cancelled().await;
            Err::<String, _>(CsmsException::Transport {
                reason: CANCELLED.to_owned(),
                maybe_sent: true,
                not_retried: Some(CANCELLED.to_owned()),
                timed_out: false,
            })
        };
        guard_async(first(cancelled, self.attempt_all(operation, input_json))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Wake};

    /// Runs `future` on this thread, parking between polls.
    fn block_on<T>(future: impl Future<Output = T>) -> T {
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::park();
        }
    }

    /// A transport whose sends never answer (or answer 503 after `send_delay`, blocking),
    /// whose sleeps end at once; it counts sends, sleeps and dropped sends.
    #[derive(Default)]
    struct Fake {
        answer_after: Option<Duration>,
        sends: AtomicUsize,
        dropped: Arc<AtomicUsize>,
        sleeps: Mutex<Vec<i64>>,
    }

    struct DropCount(Arc<AtomicUsize>);
    impl Drop for DropCount {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[async_trait::async_trait]
    impl HttpTransport for Fake {
        async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, CsmsException> {
            self.sends.fetch_add(1, Ordering::SeqCst);
            let guard = DropCount(self.dropped.clone());
            match self.answer_after {
                Some(delay) => {
                    std::thread::sleep(delay);
                    std::mem::forget(guard);
                    Ok(HttpResponse { status: 503, headers: vec![], body: b"{}".to_vec() })
                }
                None => std::future::pending().await,
            }
        }
        async fn sleep(&self, millis: i64) -> Result<(), CsmsException> {
            lock(&self.sleeps).push(millis);
            Ok(())
        }
    }

    fn client(transport: Arc<Fake>) -> Arc<CsmsClient> {
        let options = r#"{"endpoint":"http://127.0.0.1:9","project_id":"p","credentials":{"ak":"AK","sk":"SK"}}"#;
        CsmsClient::new(options.into(), Some(transport as Arc<dyn HttpTransport>), None, Some(1), None, None, None)
            .unwrap()
    }

    const INPUT: &str = r#"{"secret_name":"db"}"#;

    #[test]
    fn an_attempt_past_its_timeout_is_dropped_and_retried_as_a_timeout() {
        let fake = Arc::new(Fake::default());
        let view = client(fake.clone()).with_limits(Some(250), None, Some(2), None, None, None).unwrap();
        let error = block_on(view.call("ShowSecret".into(), INPUT.into())).unwrap_err();
        assert!(matches!(error, CsmsException::Transport { timed_out: true, maybe_sent: true, .. }), "{error:?}");
        assert_eq!(fake.sends.load(Ordering::SeqCst), 2);
        assert_eq!(fake.dropped.load(Ordering::SeqCst), 2, "each timed-out send is dropped");
        // The timer of each attempt, and one backoff between them.
        let sleeps = lock(&fake.sleeps).clone();
        assert_eq!(sleeps.iter().filter(|&&ms| ms == 250).count(), 2, "{sleeps:?}");
        assert_eq!(sleeps.len(), 3, "{sleeps:?}");
    }

    #[test]
    fn without_limits_nothing_times_the_attempt() {
        let fake = Arc::new(Fake { answer_after: Some(Duration::ZERO), ..Fake::default() });
        let plain = client(fake.clone()).with_limits(None, None, Some(1), None, None, None).unwrap();
        let error = block_on(plain.call("ShowSecret".into(), INPUT.into())).unwrap_err();
        assert!(matches!(error, CsmsException::Api { status: 503, .. }), "{error:?}");
        assert!(lock(&fake.sleeps).is_empty());
    }

    #[test]
    fn a_deadline_ends_the_call_without_another_attempt() {
        let fake = Arc::new(Fake { answer_after: Some(Duration::from_millis(120)), ..Fake::default() });
        let view = client(fake.clone()).with_limits(None, Some(200), Some(10), None, None, None).unwrap();
        let started = Instant::now();
        let error = block_on(view.call("ShowSecret".into(), INPUT.into())).unwrap_err();
        // 120 ms each: the second attempt's timeout is cut to what is left (about 80 ms)...
        let sends = fake.sends.load(Ordering::SeqCst);
        assert!(sends <= 2, "{sends} sends");
        assert!(started.elapsed() < Duration::from_secs(2));
        match error {
            CsmsException::Api { not_retried, .. } | CsmsException::Transport { not_retried, .. } => {
                assert!(not_retried.is_some_and(|why| why.contains("deadline")))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_attempt_timeout_is_cut_to_the_deadline() {
        let fake = Arc::new(Fake::default());
        let view = client(fake.clone()).with_limits(Some(60_000), Some(300), Some(1), None, None, None).unwrap();
        let error = block_on(view.call("ShowSecret".into(), INPUT.into())).unwrap_err();
        assert!(matches!(error, CsmsException::Transport { timed_out: true, .. }), "{error:?}");
        let sleeps = lock(&fake.sleeps).clone();
        assert!(matches!(sleeps[..], [ms] if (200..=300).contains(&ms)), "{sleeps:?}");
    }

    #[test]
    fn a_cancelled_call_ends_at_once_and_drops_its_send() {
        let fake = Arc::new(Fake::default());
        let client = client(fake.clone());
        let cancel = CancelHandle::new();
        let remote = cancel.clone();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            remote.cancel();
        });
        let started = Instant::now();
        let error = block_on(client.call_cancellable("ShowSecret".into(), INPUT.into(), cancel.clone())).unwrap_err();
        canceller.join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(
            error,
            CsmsException::Transport {
                reason: CANCELLED.into(),
                maybe_sent: true,
                not_retried: Some(CANCELLED.into()),
                timed_out: false
            }
        );
        assert!(cancel.is_cancelled());
        assert_eq!(fake.sends.load(Ordering::SeqCst), 1, "not retried");
        assert_eq!(fake.dropped.load(Ordering::SeqCst), 1, "the send in flight is dropped");
    }

    #[test]
    fn an_already_cancelled_handle_sends_nothing() {
        let fake = Arc::new(Fake::default());
        let cancel = CancelHandle::new();
        cancel.cancel();
        cancel.cancel();
        let error = block_on(client(fake.clone()).call_cancellable("ShowSecret".into(), INPUT.into(), cancel));
        assert!(matches!(error, Err(CsmsException::Transport { .. })));
        assert_eq!(fake.sends.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn limits_are_checked_and_named() {
        let client = client(Arc::new(Fake::default()));
        let field = |r: Result<Arc<CsmsClient>, CsmsException>| match r {
            Err(CsmsException::Validation { field, .. }) => field,
            other => panic!("{:?}", other.map(|_| ())),
        };
        assert_eq!(field(client.with_limits(Some(0), None, None, None, None, None)), "timeout");
        assert_eq!(field(client.with_limits(None, Some(-5), None, None, None, None)), "deadline");
        assert_eq!(field(client.with_limits(None, Some(86_400_001), None, None, None, None)), "deadline");
        assert_eq!(field(client.with_limits(None, None, Some(0), None, None, None)), "max_attempts");
        assert_eq!(field(client.with_limits(None, None, Some(101), None, None, None)), "max_attempts");
        assert_eq!(field(client.with_limits(None, None, None, Some(-1), None, None)), "backoff_base");
        assert_eq!(field(client.with_limits(None, None, None, Some(500), Some(100), None)), "backoff_cap");
        assert_eq!(field(client.with_limits(None, None, None, None, None, Some(86_400_001))), "max_retry_after");
        let view = client.with_limits(Some(1000), Some(5000), Some(5), Some(10), Some(1000), Some(2000)).unwrap();
        assert_eq!(
            view.limits,
            Limits { timeout: Some(Duration::from_secs(1)), deadline: Some(Duration::from_secs(5)) }
        );
        assert_eq!((view.policy.max_attempts, view.policy.cap), (5, Duration::from_secs(1)));
        // A view of a view keeps what it does not change.
        let again = view.with_limits(None, None, Some(2), None, None, None).unwrap();
        assert_eq!((again.limits, again.policy.max_attempts), (view.limits, 2));
    }
}

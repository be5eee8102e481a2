//! Cancellation of one call (issue 18): a [`CancelHandle`] that ends a call at once
//! ([`CsmsClient::call_cancellable`]): the call's future is dropped, and with it the
//! transport's `send` or `sleep` in flight (uniffi then cancels the host's task: Swift's
//! `Task.cancel()`, which cancels the `URLSession` task). Kotlin needs none: cancelling a
//! coroutine already drops the Rust future. Per-call timeouts and deadlines are the views of
//! `CsmsClient::with_settings`.

use crate::{guard_async, lock, CsmsClient, CsmsException};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

/// The `reason` and `not_retried` of a call ended by its [`CancelHandle`] (the host turns it
/// into its own cancellation: Swift's `CancellationError`).
pub const CANCELLED: &str = "the call was cancelled";

/// The output of whichever of `a` and `b` is ready first (`a` polled first); the other is
/// dropped.
pub(crate) async fn first<T>(a: impl Future<Output = T>, b: impl Future<Output = T>) -> T {
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

#[uniffi::export]
impl CsmsClient {
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
    use crate::{HttpRequest, HttpResponse, HttpTransport};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Wake};
    use std::time::{Duration, Instant};

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
        CsmsClient::new(
            options.into(),
            Some(transport as Arc<dyn HttpTransport>),
            None,
            Some(1),
            None,
            None,
            None,
            None,
        )
        .unwrap()
    }

    const INPUT: &str = r#"{"secret_name":"db"}"#;

    #[test]
    fn an_attempt_past_its_timeout_is_dropped_and_retried_as_a_timeout() {
        let fake = Arc::new(Fake::default());
        let view = client(fake.clone()).with_settings(None, Some(2), Some(250), None).unwrap();
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
        let plain = client(fake.clone()).with_settings(None, Some(1), None, None).unwrap();
        let error = block_on(plain.call("ShowSecret".into(), INPUT.into())).unwrap_err();
        assert!(matches!(error, CsmsException::Api { status: 503, .. }), "{error:?}");
        assert!(lock(&fake.sleeps).is_empty());
    }

    #[test]
    fn a_deadline_ends_the_call_without_another_attempt() {
        let fake = Arc::new(Fake { answer_after: Some(Duration::from_millis(120)), ..Fake::default() });
        let view = client(fake.clone()).with_settings(None, Some(10), None, Some(200)).unwrap();
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
        let view = client(fake.clone()).with_settings(None, Some(1), Some(60_000), Some(300)).unwrap();
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
}

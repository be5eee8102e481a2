//! The listener: one thread accepts connections, one thread per connection serves its
//! requests in turn (keep-alive), and stopping closes them all.

use crate::errors::{codes, ApiError};
use crate::faults::Fault;
use crate::http::{read_request, write_response, ReadOutcome, WireRequest, WireResponse};
use crate::service::{error_response, finish, handle, lock, strip_origin, Shared};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Most connections served at once; more get 503 and are closed.
const MAX_CONNECTIONS: usize = 512;
/// How long a connection may stay silent between requests (and at most between two
/// reads or writes within one).
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// How long stopping waits for connection threads to finish.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// The open connections, so that stopping can close them.
#[derive(Debug, Default)]
struct Connections {
    open: Mutex<HashMap<u64, TcpStream>>,
    closed: Condvar,
    next_id: AtomicU64,
}

/// A running server.
#[derive(Debug)]
pub(crate) struct Server {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    connections: Arc<Connections>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts serving `listener` in a background thread.
    pub(crate) fn start(listener: TcpListener, shared: Arc<Shared>) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        let stopping = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Connections::default());
        let accept = {
            let (stopping, connections) = (stopping.clone(), connections.clone());
            std::thread::Builder::new()
                .name("csms-emulator-accept".into())
                .spawn(move || accept_loop(listener, shared, stopping, connections))?
        };
        Ok(Server { addr, stopping, connections, accept: Some(accept) })
    }

    /// Blocks until the server stops.
    pub(crate) fn join(&mut self) {
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
    }

    /// Stops accepting, closes every connection and waits (up to 10 s) for the connection
    /// threads to finish the request they are on.
    pub(crate) fn stop(&mut self) {
        if self.stopping.swap(true, Ordering::SeqCst) {
            self.join();
            return;
        }
        // Wake the accept thread with a connection of our own.
        let wake = match self.addr {
            SocketAddr::V4(a) if a.ip().is_unspecified() => SocketAddr::from(([127, 0, 0, 1], a.port())),
            SocketAddr::V6(a) if a.ip().is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, a.port())),
            other => other,
        };
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        self.join();
        let deadline = Instant::now() + STOP_GRACE;
        let mut open = lock(&self.connections.open);
        for stream in open.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        while !open.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            open = self.connections.closed.wait_timeout(open, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stopping: Arc<AtomicBool>, connections: Arc<Connections>) {
    for incoming in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        let stream = match incoming {
            Ok(stream) => stream,
            Err(_) => {
                // Out of file descriptors and the like: wait a little and go on.
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        let id = connections.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut open = lock(&connections.open);
            if open.len() >= MAX_CONNECTIONS {
                drop(open);
                refuse(stream, &shared);
                continue;
            }
            match stream.try_clone() {
                Ok(clone) => open.insert(id, clone),
                Err(_) => continue,
            };
        }
        let (shared, connections2, stopping2) = (shared.clone(), connections.clone(), stopping.clone());
        let spawned = std::thread::Builder::new().name("csms-emulator-conn".into()).spawn(move || {
            // serve() does not panic (handlers run under catch_unwind); this is belt and braces,
            // so that the connection is always forgotten.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| serve(stream, &shared, &stopping2)));
            let mut open = lock(&connections2.open);
            open.remove(&id);
            connections2.closed.notify_all();
        });
        if spawned.is_err() {
            lock(&connections.open).remove(&id);
        }
    }
}

fn refuse(mut stream: TcpStream, shared: &Shared) {
    let error = ApiError::new(503, codes::INTERNAL, "The emulator serves too many connections; retry later");
    let _ = write_response(&mut stream, &error_answer(shared, &error).0, false, false);
}

/// The answer of an error raised before a request reaches the service (with its request id).
fn error_answer(shared: &Shared, error: &ApiError) -> (WireResponse, String) {
    let request_id = shared.rng.hex32();
    let mut response = error_response(error, &request_id);
    finish(&mut response, &request_id, shared.clock.now_ms());
    (response, request_id)
}

/// The answer to a request read in full, or `None` to close the connection without one
/// (an injected close fault).
fn respond(shared: &Shared, request: &WireRequest) -> Option<WireResponse> {
    if let Err(refusal) = shared.hosts.check(request) {
        // Not addressed to us (DNS rebinding): refused before any fault is drawn.
        let (response, request_id) = error_answer(shared, &refusal);
        if shared.log {
            let path = request.target.split('?').next().unwrap_or("");
            eprintln!("{} {path} -> {} ({request_id}): {}", request.method, refusal.status, refusal.message);
        }
        return Some(response);
    }
    let fault =
        if strip_origin(&request.target).starts_with(crate::admin::PREFIX) { None } else { shared.faults.draw() };
    match fault {
        None => Some(handle(shared, request)),
        Some(fault @ (Fault::Unavailable | Fault::Throttled)) => Some(fault_response(shared, request, fault)),
        Some(Fault::CloseBefore) => {
            log_fault(shared, request, "closed before applying");
            None
        }
        Some(Fault::CloseAfter) => {
            let applied = handle(shared, request);
            log_fault(shared, request, &format!("applied ({}), closed without answering", applied.status));
            None
        }
    }
}

/// The answer of an injected 503 or 429: the CSMS error shape, with a request id; the
/// request is not applied.
fn fault_response(shared: &Shared, request: &WireRequest, fault: Fault) -> WireResponse {
    let error = if fault == Fault::Throttled {
        ApiError::new(429, codes::THROTTLED, "Too many requests (fault injected by the emulator); retry later")
    } else {
        ApiError::new(
            503,
            codes::UNAVAILABLE,
            "The service is temporarily unavailable (fault injected by the emulator); retry later",
        )
    };
    let (mut response, request_id) = error_answer(shared, &error);
    if fault == Fault::Throttled {
        response.header("Retry-After", shared.faults.spec().map_or(1, |s| s.retry_after_secs).to_string());
    }
    shared.cors.decorate(request, &mut response);
    log_fault(shared, request, &format!("{} ({request_id})", response.status));
    response
}

fn log_fault(shared: &Shared, request: &WireRequest, what: &str) {
    if shared.log {
        let path = request.target.split('?').next().unwrap_or("");
        eprintln!("{} {path} -> fault: {what}", request.method);
    }
}

/// One half of a connection whose reads and writes wait at most `idle` each and fail with
/// `TimedOut` once `deadline` (when set) has passed: a peer sending (or reading) one byte
/// at a time cannot make a request last longer than the deadline.
#[derive(Debug)]
struct Deadlined {
    stream: TcpStream,
    deadline: Option<Instant>,
    idle: Duration,
}

impl Deadlined {
    /// How long the next read or write may wait.
    fn wait(&self) -> std::io::Result<Duration> {
        match self.deadline {
            None => Ok(self.idle),
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Ok(left.min(self.idle)),
                _ => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "request deadline passed")),
            },
        }
    }

    /// Whether the deadline is set and has passed.
    fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

impl Read for Deadlined {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stream.set_read_timeout(Some(self.wait()?))?;
        self.stream.read(buf)
    }
}

impl Write for Deadlined {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.stream.set_write_timeout(Some(self.wait()?))?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

/// Serves the requests of one connection until it closes, fails, or the server stops.
///
/// Between requests the connection may stay silent for [`IDLE_TIMEOUT`]; once the first
/// byte of a request came, the whole request (head and body) must arrive within the
/// request timeout, and the answer is written within the same time again.
fn serve(stream: TcpStream, shared: &Shared, stopping: &AtomicBool) {
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else { return };
    let half = |stream| Deadlined { stream, deadline: None, idle: IDLE_TIMEOUT };
    let mut reader = BufReader::with_capacity(16 * 1024, half(read_half));
    let mut writer = half(stream);
    while !stopping.load(Ordering::SeqCst) {
        // Wait (idle) for the first byte of the next request, unless one is buffered.
        reader.get_mut().deadline = None;
        match reader.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(_) => {}
        }
        let deadline = Instant::now() + shared.request_timeout;
        reader.get_mut().deadline = Some(deadline);
        writer.deadline = Some(deadline);
        match read_request(&mut reader, &mut writer, shared.max_body) {
            Ok(ReadOutcome::Request(request)) => {
                let Some(response) = respond(shared, &request) else { break };
                let keep_alive = request.keep_alive && !stopping.load(Ordering::SeqCst);
                writer.deadline = Some(Instant::now() + shared.request_timeout);
                if write_response(&mut writer, &response, keep_alive, request.http10).is_err() || !keep_alive {
                    break;
                }
            }
            Ok(ReadOutcome::Closed) => break,
            Err(_) if reader.get_ref().expired() => {
                let timeout = shared.request_timeout.as_millis();
                if shared.log {
                    eprintln!("request not received within {timeout} ms: answered 408, connection closed");
                }
                writer.deadline = Some(Instant::now() + shared.request_timeout);
                let message = format!("The request was not received within the {timeout} ms allowed");
                answer_and_close(shared, &mut writer, ApiError::new(408, codes::REQUEST_TIMEOUT, message));
                break;
            }
            Err(_) => break,
            Ok(ReadOutcome::Malformed { status, message }) => {
                let code = if status == 413 { codes::BODY_TOO_LARGE } else { codes::BAD_REQUEST };
                let message = format!("The request is invalid: {message}");
                answer_and_close(shared, &mut writer, ApiError::new(status, code, message));
                break;
            }
        }
    }
    let _ = writer.flush();
    let _ = writer.stream.shutdown(Shutdown::Write);
}

/// Writes the answer to a request that could not be read, with `Connection: close`.
fn answer_and_close(shared: &Shared, writer: &mut Deadlined, error: ApiError) {
    let _ = write_response(writer, &error_answer(shared, &error).0, false, false);
}

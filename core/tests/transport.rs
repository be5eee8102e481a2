//! The `reqwest` transport against the emulator: a whole call, and a client whose clock is
//! 30 minutes off succeeding after one corrected retry, and timeouts told from other failures.
#![cfg(feature = "reqwest")]

use csms_core::{
    AccessKey, Client, Config, CreateSecretRequest, Error, HttpClient, HttpRequest, RetryPolicy, SecretString,
    ShowSecretRequest,
};
use csms_emulator::{Emulator, EmulatorConfig, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};

fn http_client(emulator: &Emulator) -> HttpClient {
    let key = AccessKey::new(DEFAULT_AK, DEFAULT_SK);
    let config = Config::for_endpoint(&emulator.endpoint(), DEFAULT_PROJECT_ID, key).unwrap();
    HttpClient::new(Client::new(config).unwrap()).unwrap()
}

#[tokio::test]
async fn a_skewed_clock_is_corrected_after_one_refusal() {
    // The server's clock runs 30 minutes ahead of ours.
    let emulator = Emulator::start(EmulatorConfig::default().with_clock_offset_ms(30 * 60 * 1000)).unwrap();

    let strict = http_client(&emulator).with_retry_policy(RetryPolicy::never());
    match strict.execute(&ShowSecretRequest { secret_name: "s".into() }).await {
        Err(Error::Api { status: 401, error_msg, request_id, .. }) => {
            assert!(error_msg.contains("signature expired"), "{error_msg}");
            assert!(!request_id.is_empty());
        }
        other => panic!("expected a 401, got {other:?}"),
    }

    let csms = http_client(&emulator);
    let created = csms
        .execute(&CreateSecretRequest {
            name: "skewed".into(),
            secret_string: Some(SecretString::from("v")),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.secret.unwrap().name.as_deref(), Some("skewed"));
    let offset = csms.client().clock_offset();
    assert!((1790..=1810).contains(&offset), "offset {offset}");
    // The offset is kept: the next call succeeds at once.
    let applied = emulator.applied_counts(DEFAULT_PROJECT_ID, "skewed");
    assert!(applied.is_some());
    csms.execute(&ShowSecretRequest { secret_name: "skewed".into() }).await.unwrap();
}

#[tokio::test]
async fn api_errors_come_back_typed() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    match http_client(&emulator).call("ShowSecret", &serde_json::json!({"secret_name": "missing"})).await {
        Err(Error::Api { status: 404, request_id, .. }) => assert!(!request_id.is_empty()),
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[tokio::test]
async fn a_request_that_cannot_be_built_was_never_sent() {
    let config = Config::for_endpoint("http://127.0.0.1:9", "p", AccessKey::new("AK", "SK")).unwrap();
    let http = HttpClient::new(Client::new(config).unwrap()).unwrap();
    let mut bad_header = HttpRequest::new("GET", "http://127.0.0.1:9/");
    bad_header.headers.push(("X-Bad".into(), "a\nb".into()));
    for request in [bad_header, HttpRequest::new("GET", "http://[::1/"), HttpRequest::new("GET", "http://:/")] {
        // Resending the same request cannot mend it: the policy will not retry it.
        match http.send(request).await {
            Err(Error::Transport { maybe_sent: false, not_retried: Some(why), .. }) => {
                assert!(why.contains("refused the request before sending"), "{why}")
            }
            other => panic!("expected a transport failure that was never sent, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_timeout_is_told_from_other_failures() {
    // A server that accepts the connection and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let config = Config::for_endpoint(&endpoint, "p", AccessKey::new("AK", "SK")).unwrap();
    let client = Client::new(config).unwrap();
    let http =
        HttpClient::with_timeouts(client, std::time::Duration::from_secs(5), std::time::Duration::from_millis(200))
            .unwrap()
            .with_retry_policy(RetryPolicy::never());
    match http.execute(&ShowSecretRequest { secret_name: "s".into() }).await {
        Err(error @ Error::Transport { maybe_sent: true, timed_out: true, .. }) => assert!(error.is_timeout()),
        other => panic!("expected a timeout, got {other:?}"),
    }
    drop(silent);

    // A refused connection: no timeout, never sent.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let config = Config::for_endpoint(&endpoint, "p", AccessKey::new("AK", "SK")).unwrap();
    let http = HttpClient::new(Client::new(config).unwrap()).unwrap().with_retry_policy(RetryPolicy::never());
    match http.execute(&ShowSecretRequest { secret_name: "s".into() }).await {
        Err(error @ Error::Transport { maybe_sent: false, timed_out: false, .. }) => assert!(!error.is_timeout()),
        other => panic!("expected a refused connection, got {other:?}"),
    }
}

/// What a fake server answers after reading a request's head.
#[derive(Clone, Copy)]
enum Answer {
    /// A 200 with this many bytes of body and an honest `Content-Length`.
    Sized(usize),
    /// A 200 without `Content-Length` whose body never ends (until the connection closes).
    Endless,
    /// A 200 whose chunked body never ends.
    EndlessChunked,
    /// A 200 announcing a `Content-Length` of 1 TB, sending 10 bytes and then nothing.
    LyingLength,
}

/// A server on 127.0.0.1 that answers every connection with `answer`. Returns its endpoint,
/// the number of connections it took, and a receiver told when the client closed a
/// connection (writing to it failed, or reading from it ended).
fn fake_server(
    answer: Answer,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>, std::sync::mpsc::Receiver<()>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (closed_tx, closed_rx) = std::sync::mpsc::channel();
    let counter = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let closed_tx = closed_tx.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                let block = vec![b'x'; 64 * 1024];
                let written = match answer {
                    Answer::Sized(n) => write!(stream, "HTTP/1.1 200 OK\r\ncontent-length: {n}\r\n\r\n")
                        .and_then(|()| stream.write_all(&vec![b'x'; n])),
                    Answer::Endless => {
                        write!(stream, "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n").and_then(|()| loop {
                            stream.write_all(&block)?
                        })
                    }
                    Answer::EndlessChunked => write!(stream, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                        .and_then(|()| loop {
                            write!(stream, "{:x}\r\n", block.len())?;
                            stream.write_all(&block)?;
                            stream.write_all(b"\r\n")?;
                        }),
                    Answer::LyingLength => {
                        write!(stream, "HTTP/1.1 200 OK\r\ncontent-length: 1000000000000\r\n\r\n0123456789")
                    }
                };
                // What was written was taken: the client closing the connection is a read of 0.
                if written.is_ok() {
                    let mut rest = Vec::new();
                    let _ = std::io::Read::read_to_end(&mut reader, &mut rest);
                }
                let _ = closed_tx.send(());
            });
        }
    });
    (endpoint, connections, closed_rx)
}

fn limited_client(endpoint: &str, limit: Option<u64>) -> HttpClient {
    let config = Config::for_endpoint(endpoint, "p", AccessKey::new("AK", "SK")).unwrap();
    let http = HttpClient::new(Client::new(config).unwrap()).unwrap();
    match limit {
        Some(limit) => http.with_max_response_bytes(limit.try_into().unwrap()),
        None => http,
    }
}

/// The call ends quickly with the body-too-large error, not retried, and the server sees the
/// connection closed.
async fn assert_refused(answer: Answer, limit: Option<u64>) {
    let (endpoint, connections, closed) = fake_server(answer);
    let http = limited_client(&endpoint, limit);
    let started = std::time::Instant::now();
    let error = http.execute(&ShowSecretRequest { secret_name: "s".into() }).await.unwrap_err();
    let limit = limit.unwrap_or(16 * 1024 * 1024);
    match &error {
        Error::Transport { reason, maybe_sent: true, timed_out: false, not_retried: Some(_) } => {
            assert_eq!(reason, &format!("the response body exceeded {limit} bytes"))
        }
        other => panic!("expected the body-too-large failure, got {other:?}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    // ShowSecret is idempotent, yet the too-large answer is not asked for again.
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Waited for off the runtime's thread, which the client's connection task needs to close.
    let closed = tokio::task::spawn_blocking(move || closed.recv_timeout(std::time::Duration::from_secs(5)));
    closed.await.unwrap().expect("the client closes the connection");
}

#[tokio::test]
async fn an_endless_body_ends_at_the_default_limit_of_16_mib() {
    assert_refused(Answer::Endless, None).await;
}

#[tokio::test]
async fn an_endless_chunked_body_ends_at_the_configured_limit() {
    assert_refused(Answer::EndlessChunked, Some(100_000)).await;
}

#[tokio::test]
async fn a_huge_content_length_is_refused_before_reading() {
    assert_refused(Answer::LyingLength, Some(100_000)).await;
    assert_refused(Answer::Sized(100_001), Some(100_000)).await;
}

#[tokio::test]
async fn a_body_at_the_limit_is_read() {
    let (endpoint, _, _) = fake_server(Answer::Sized(100_000));
    let http = limited_client(&endpoint, Some(100_000));
    let response = http.send(HttpRequest::new("GET", format!("{endpoint}/"))).await.unwrap();
    assert_eq!(response.body.len(), 100_000);
}

#[tokio::test]
async fn a_wrong_sk_explains_itself_with_what_was_signed_and_no_secret() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let key = AccessKey::new(DEFAULT_AK, "WRONG-SECRET-KEY").with_security_token("TOKEN-TEXT-1234");
    let config = Config::for_endpoint(&emulator.endpoint(), DEFAULT_PROJECT_ID, key).unwrap();
    let csms = HttpClient::new(Client::new(config).unwrap()).unwrap();
    let err = csms.execute(&ShowSecretRequest { secret_name: "db".into() }).await.unwrap_err();
    let Error::Api { status: 401, ref error_code, ref error_msg, .. } = err else { panic!("{err:?}") };
    assert_eq!(error_code, "APIGW.0301");
    let (canonical, string_to_sign) = (err.canonical_request().unwrap(), err.string_to_sign().unwrap());
    assert!(canonical.starts_with("GET\n/v1/"), "{canonical}");
    assert!(canonical.contains("\nx-security-token:***\n"), "{canonical}");
    // The emulator's 401 quotes what it computed: the same two strings.
    assert!(error_msg.contains(&format!("{canonical:?}")), "{error_msg}\n{canonical}");
    assert!(error_msg.contains(&format!("{string_to_sign:?}")), "{error_msg}\n{string_to_sign}");
    let message = err.to_string();
    assert!(message.contains("likely causes in order: 1. the clock is more than 15 minutes off"), "{message}");
    assert!(message.contains("2. a wrong SK for this AK"), "{message}");
    for text in [canonical, string_to_sign, &message, &format!("{err:?}")] {
        assert!(!text.contains("WRONG-SECRET-KEY") && !text.contains("TOKEN-TEXT"), "{text}");
    }
}

#[tokio::test]
async fn the_debug_hook_sees_every_attempt_and_cannot_break_the_call() {
    use std::sync::{Arc, Mutex};
    let emulator = Emulator::start(EmulatorConfig::default().with_faults("seed=1,503=100%".parse().unwrap())).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let csms = http_client(&emulator).with_debug_hook(move |a| {
        let canonical = a.canonical_request().unwrap();
        assert!(canonical.starts_with("GET\n"), "{canonical}");
        log.lock().unwrap().push((a.attempt, a.method.to_owned(), a.url.to_owned(), a.status, a.request_id.to_owned()));
        assert!(a.duration < std::time::Duration::from_secs(10));
        assert_eq!(a.operation, "ShowSecret");
    });
    let err = csms.execute(&ShowSecretRequest { secret_name: "db".into() }).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), [1, 2, 3]);
    for (_, method, url, status, request_id) in &seen {
        assert_eq!((method.as_str(), *status), ("GET", Some(503)));
        assert!(url.ends_with("/secrets/db"), "{url}");
        assert!(!request_id.is_empty());
    }

    // A hook that panics: the call goes on and succeeds.
    emulator.set_faults(None);
    let calls = Arc::new(Mutex::new(0));
    let count = calls.clone();
    let csms = http_client(&emulator).with_debug_hook(move |_| {
        *count.lock().unwrap() += 1;
        panic!("the hook fails");
    });
    let created = csms
        .execute(&CreateSecretRequest { name: "hooked".into(), secret_string: Some("v".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(created.secret.unwrap().name.as_deref(), Some("hooked"));
    assert_eq!(*calls.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_deadline_ends_a_call_to_a_server_that_never_answers_in_time() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let held = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            keep.lock().unwrap().push(stream);
        }
    });
    let config = csms_core::Config::for_endpoint(&endpoint, "pid", csms_core::AccessKey::new("AK", "SK")).unwrap();
    let http = csms_core::HttpClient::new(csms_core::Client::new(config).unwrap())
        .unwrap()
        .with_deadline(std::time::Duration::from_millis(700));
    let started = std::time::Instant::now();
    let error = http.call("ListSecrets", &serde_json::json!({})).await.unwrap_err();
    let took = started.elapsed();
    assert!(error.is_timeout(), "{error}");
    assert!(took < std::time::Duration::from_secs(3), "the 60 s request timeout was cut: took {took:?}");
    assert!(took >= std::time::Duration::from_millis(600), "{took:?}");
}

//! Fault injection: the SPEC parser, the determinism of the fault sequence for a seed, and
//! what each fault looks like on the wire (sequential requests, so arrival order is fixed).

use csms_core::{AccessKey, Client, Config, HttpRequest, SdkDate};
use csms_emulator::{
    Emulator, EmulatorConfig, Fault, FaultSpec, FaultStats, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK,
};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

#[test]
fn parses_the_documented_example() {
    let spec: FaultSpec =
        "seed=42,503=10%,429=5%,retry-after=1,close-before=5%,close-after=5%,clock-offset=-1800".parse().unwrap();
    assert_eq!(
        spec,
        FaultSpec {
            seed: 42,
            unavailable_ppm: 100_000,
            throttled_ppm: 50_000,
            retry_after_secs: 1,
            close_before_ppm: 50_000,
            close_after_ppm: 50_000,
            clock_offset_secs: -1800,
        }
    );
    assert_eq!(
        spec.to_string(),
        "seed=42,503=10%,429=5%,retry-after=1,close-before=5%,close-after=5%,clock-offset=-1800"
    );

    // Every part is optional, order does not matter, spaces around parts are allowed.
    let spec: FaultSpec = " close-after=0.25% , seed=18446744073709551615 ".parse().unwrap();
    assert_eq!(spec.seed, u64::MAX);
    assert_eq!(spec.close_after_ppm, 2_500);
    assert_eq!(spec.retry_after_secs, 1, "retry-after defaults to 1 s");
    assert_eq!(spec.unavailable_ppm, 0);
    assert_eq!(spec.to_string().parse::<FaultSpec>().unwrap(), spec);
    assert!(!"seed=3".parse::<FaultSpec>().unwrap().injects());
    assert!("503=100%".parse::<FaultSpec>().unwrap().injects());
}

#[test]
fn parse_errors_name_the_part_at_fault() {
    for (spec, part, why) in [
        ("seed=42,503=ten%", "503=ten%", "percentage"),
        ("seed=42,503=10", "503=10", "percentage"),
        ("503=100.5%", "503=100.5%", "percentage"),
        ("429=-1%", "429=-1%", "percentage"),
        ("close-before=0.00001%", "close-before=0.00001%", "percentage"),
        ("seed=-1", "seed=-1", "unsigned"),
        ("seed=42,retry-after=soon", "retry-after=soon", "seconds"),
        ("retry-after=-1", "retry-after=-1", "seconds"),
        ("clock-offset=1.5", "clock-offset=1.5", "seconds"),
        ("seed=1,bogus=3", "bogus=3", "unknown key `bogus`"),
        ("503=1%,close-after", "close-after", "KEY=VALUE"),
        ("503=1%,503=2%", "503=2%", "twice"),
        ("503=1%,,429=1%", "503=1%,,429=1%", "empty part"),
        ("", "", "empty part"),
        ("503=60%,429=30%,close-after=20%", "503=60%,429=30%,close-after=20%", "more than 100%"),
    ] {
        let error = spec.parse::<FaultSpec>().expect_err(spec);
        assert_eq!(error.part, part, "{spec}: {error}");
        let text = error.to_string();
        assert!(text.contains(&format!("`{part}`")) && text.contains(why), "{spec}: {text}");
    }
    // A config built by hand is checked at start.
    let bad = FaultSpec { unavailable_ppm: 700_000, close_after_ppm: 700_000, ..FaultSpec::default() };
    let error = Emulator::start(EmulatorConfig::default().with_faults(bad)).unwrap_err();
    assert!(error.to_string().contains("more than 100%"), "{error}");
}

#[test]
fn the_sequence_depends_on_the_seed_only_and_keeps_its_rates() {
    let spec: FaultSpec = "seed=42,503=10%,429=5%,close-before=5%,close-after=5%".parse().unwrap();
    let a: Vec<Option<Fault>> = spec.sequence().take(100_000).collect();
    let b: Vec<Option<Fault>> = spec.sequence().take(100_000).collect();
    assert_eq!(a, b);
    // Changing retry-after or the clock does not move the faults; changing the seed does.
    let same = FaultSpec { retry_after_secs: 9, clock_offset_secs: 60, ..spec };
    assert!(same.sequence().take(100_000).eq(a.iter().copied()));
    let other = FaultSpec { seed: 43, ..spec };
    assert!(!other.sequence().take(1_000).eq(a.iter().copied().take(1_000)));

    let share = |fault: Option<Fault>| a.iter().filter(|f| **f == fault).count() as f64 / a.len() as f64;
    for (fault, expected) in [
        (Some(Fault::Unavailable), 0.10),
        (Some(Fault::Throttled), 0.05),
        (Some(Fault::CloseBefore), 0.05),
        (Some(Fault::CloseAfter), 0.05),
        (None, 0.75),
    ] {
        let got = share(fault);
        assert!((got - expected).abs() < 0.006, "{fault:?}: {got} vs {expected}");
    }
    // Pinned: the sequence is part of the contract (a seed reproduces a failing run).
    let first: Vec<&str> = spec.sequence().take(40).map(|f| f.map_or(".", Fault::key)).collect();
    assert_eq!(
        first.join(" "),
        ". close-before . . 503 . close-after . . . close-after . . . . close-after 429 . 503 . . 503 . . 503 . . . . . . . . . . . 503 . . 503"
    );
    assert!(FaultSpec { unavailable_ppm: 1_000_000, ..FaultSpec::default() }
        .sequence()
        .take(1_000)
        .all(|f| f == Some(Fault::Unavailable)));
}

fn client(emulator: &Emulator) -> Client {
    let key = AccessKey::new(DEFAULT_AK, DEFAULT_SK);
    Client::new(Config::for_endpoint(&emulator.endpoint(), DEFAULT_PROJECT_ID, key).unwrap()).unwrap()
}

/// What one request on a fresh connection gave: a response (status, headers, body) or
/// `None` when the connection closed without any response byte.
fn exchange(emulator: &Emulator, request: &HttpRequest) -> Option<(u16, String, Value)> {
    let path = &request.url[emulator.endpoint().len()..];
    let mut head = format!("{} {path} HTTP/1.1\r\n", request.method);
    for (k, v) in &request.headers {
        head += &format!("{k}: {v}\r\n");
    }
    head += &format!("Content-Length: {}\r\n\r\n", request.body.len());
    let mut stream = TcpStream::connect(emulator.local_addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&request.body).unwrap();
    let mut raw = Vec::new();
    // The emulator keeps the connection open after an answer; read the head, then the body.
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("{e}"),
        }
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0);
            if body.len() >= length {
                break;
            }
        }
    }
    if raw.is_empty() {
        return None;
    }
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    Some((status, head.to_owned(), serde_json::from_str(body).unwrap_or(Value::Null)))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Sends `n` CreateSecretVersion calls one after the other and reads back which fault each
/// got: 503 / 429 answers, or a closed connection with (close-after) or without
/// (close-before) a new version.
fn observe(emulator: &Emulator, secret: &str, n: usize, retry_after: u64) -> Vec<Option<Fault>> {
    let client = client(emulator);
    let mut seen = Vec::new();
    for i in 0..n {
        let before = emulator.applied_counts(DEFAULT_PROJECT_ID, secret).unwrap().create_secret_version;
        let input = json!({"secret_name": secret, "secret_string": format!("value {i}")});
        let request = client.build_request("CreateSecretVersion", &input, SdkDate::from(SystemTime::now())).unwrap();
        let outcome = exchange(emulator, &request);
        let after = emulator.applied_counts(DEFAULT_PROJECT_ID, secret).unwrap().create_secret_version;
        let fault = match outcome {
            Some((200, _, body)) => {
                assert!(body["version_metadata"]["id"].is_string(), "{body}");
                assert_eq!(after, before + 1);
                None
            }
            Some((status @ (503 | 429), head, body)) => {
                let request_id = header(&head, "X-Request-Id").expect("X-Request-Id");
                assert_eq!(request_id.len(), 32);
                assert!(header(&head, "Date").is_some());
                let code = if status == 503 { "CSMS.0503" } else { "CSMS.0429" };
                assert_eq!(body["error"]["error_code"], code, "{body}");
                assert!(body["error"]["error_msg"].as_str().unwrap().contains("fault injected"));
                assert_eq!(after, before, "a {status} must not apply the request");
                if status == 429 {
                    assert_eq!(header(&head, "Retry-After"), Some(retry_after.to_string().as_str()));
                    Some(Fault::Throttled)
                } else {
                    assert_eq!(header(&head, "Retry-After"), None);
                    Some(Fault::Unavailable)
                }
            }
            Some((status, _, body)) => panic!("unexpected {status}: {body}"),
            None if after == before + 1 => Some(Fault::CloseAfter),
            None => {
                assert_eq!(after, before);
                Some(Fault::CloseBefore)
            }
        };
        seen.push(fault);
    }
    seen
}

fn create_secret(emulator: &Emulator, name: &str) {
    let input = json!({"name": name, "secret_string": "v0"});
    let request = client(emulator).build_request("CreateSecret", &input, SdkDate::from(SystemTime::now())).unwrap();
    let (status, _, body) = exchange(emulator, &request).expect("an answer");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn the_emulator_follows_the_sequence_of_its_seed() {
    const N: usize = 150;
    let spec: FaultSpec = "seed=7,503=20%,429=20%,retry-after=3,close-before=20%,close-after=20%".parse().unwrap();
    let expected: Vec<Option<Fault>> = spec.sequence().take(N).collect();
    for fault in
        [None, Some(Fault::Unavailable), Some(Fault::Throttled), Some(Fault::CloseBefore), Some(Fault::CloseAfter)]
    {
        assert!(expected.contains(&fault), "{fault:?} should occur in {N} draws");
    }

    // Started without faults, turned on at run time.
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    create_secret(&emulator, "s");
    assert_eq!(emulator.fault_stats(), FaultStats::default());
    emulator.set_faults(Some(spec));
    let first = observe(&emulator, "s", N, 3);
    assert_eq!(first, expected);
    let count = |f: Option<Fault>| expected.iter().filter(|e| **e == f).count() as u64;
    let stats = emulator.fault_stats();
    assert_eq!(
        stats,
        FaultStats {
            requests: N as u64,
            unavailable: count(Some(Fault::Unavailable)),
            throttled: count(Some(Fault::Throttled)),
            closed_before: count(Some(Fault::CloseBefore)),
            closed_after: count(Some(Fault::CloseAfter)),
        }
    );
    // Applied: the answered ones and the close-after ones, nothing else.
    let applied = emulator.applied_counts(DEFAULT_PROJECT_ID, "s").unwrap().create_secret_version;
    assert_eq!(applied, count(None) + count(Some(Fault::CloseAfter)));

    // The emulator-only endpoints draw nothing.
    let mut stream = TcpStream::connect(emulator.local_addr()).unwrap();
    let head =
        format!("GET /_emulator/faults HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", emulator.local_addr());
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let body: Value = serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(body["requests"], N as u64);
    assert_eq!(body["spec"], spec.to_string());
    assert_eq!(emulator.fault_stats().requests, N as u64);

    // Setting the spec again restarts the sequence from the seed.
    emulator.set_faults(Some(spec));
    assert_eq!(observe(&emulator, "s", N, 3), expected);
    emulator.set_faults(None);
    assert_eq!(observe(&emulator, "s", 20, 3), vec![None; 20]);
    emulator.stop();

    // Another emulator started with the spec gives the same sequence from its first request
    // (the setup request here is request 1).
    let emulator = Emulator::start(EmulatorConfig::default().with_faults(spec)).unwrap();
    let mut draws = spec.sequence();
    // Create the secret through the faults: retry until it is applied.
    loop {
        let fault = draws.next().unwrap();
        let input = json!({"name": "t", "secret_string": "v0"});
        let request =
            client(&emulator).build_request("CreateSecret", &input, SdkDate::from(SystemTime::now())).unwrap();
        exchange(&emulator, &request);
        if matches!(fault, None | Some(Fault::CloseAfter)) {
            break;
        }
    }
    assert!(emulator.applied_counts(DEFAULT_PROJECT_ID, "t").is_some());
    let rest: Vec<Option<Fault>> = draws.take(N).collect();
    assert_eq!(observe(&emulator, "t", N, 3), rest);
}

#[test]
fn the_clock_offset_of_a_spec_moves_the_clock() {
    let spec: FaultSpec = "clock-offset=-1800".parse().unwrap();
    let emulator = Emulator::start(EmulatorConfig::default().with_clock_offset_ms(1_000).with_faults(spec)).unwrap();
    let system = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as i64;
    let offset = emulator.now_ms() - system;
    assert!((-1_800_000 + 1_000 - 2_000..=-1_800_000 + 1_000 + 2_000).contains(&offset), "{offset}");
    // No rate: nothing is drawn, and a request signed now is refused for its time.
    let input = json!({"secret_name": "x"});
    let request = client(&emulator).build_request("ShowSecret", &input, SdkDate::from(SystemTime::now())).unwrap();
    let (status, _, body) = exchange(&emulator, &request).unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(body["error_msg"].as_str().unwrap().contains("signature expired"), "{body}");
    assert_eq!(emulator.fault_stats().requests, 0);
}

#[test]
fn the_binary_takes_faults_and_documents_them() {
    let exe = env!("CARGO_BIN_EXE_csms-emulator");
    let help = std::process::Command::new(exe).arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for word in ["--faults SPEC", "close-before=P%", "close-after=P%", "retry-after=N", "clock-offset=S", "seed=N"] {
        assert!(help.contains(word), "--help lacks {word}");
    }
    let bad = std::process::Command::new(exe).args(["--faults", "seed=1,503=lots"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert!(stderr.contains("`503=lots`"), "{stderr}");
}

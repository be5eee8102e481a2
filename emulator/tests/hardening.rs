//! What an attacker on the same machine (or a web page in a browser there) must not get:
//! secret values through the data file's permissions or symbolic links, altered bodies,
//! connection threads held by slow senders, answers through DNS rebinding, panics from
//! extreme numbers.

mod common;

use common::{now, Api, Conn};
use csms_core::{Algorithm, HttpRequest};
use csms_emulator::{Emulator, EmulatorConfig, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn api(emulator: &Emulator) -> Api {
    Api::signed(&emulator.endpoint(), DEFAULT_PROJECT_ID, DEFAULT_AK, DEFAULT_SK, Algorithm::HmacSha256)
}

fn error_code(response: &csms_core::HttpResponse) -> (u16, String) {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or_else(|_| panic!("{:?}", response.body));
    (response.status, body["error"]["error_code"].as_str().unwrap_or_default().to_owned())
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("csms-emulator-hardening-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_body_that_is_not_utf8_is_refused_not_altered() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let mut api = api(&emulator);
    let endpoint = emulator.endpoint();
    let mut request = HttpRequest::new("POST", format!("{endpoint}/v1/{DEFAULT_PROJECT_ID}/secrets"));
    request.headers.push(("Content-Type".into(), "application/json;charset=utf-8".into()));
    request.body = b"{\"name\": \"latin1\", \"secret_string\": \"caf\xe9\"}".to_vec();
    api.client.authenticate(&mut request, now()).unwrap();
    let response = api.conn.send(&request);
    assert_eq!(error_code(&response), (400, "CSMS.0004".to_owned()));
    assert!(String::from_utf8_lossy(&response.body).contains("not UTF-8"));
    assert_eq!(api.err("ShowSecret", json!({"secret_name": "latin1"})).0, 404);
}

#[test]
fn a_slow_sender_is_cut_off_at_the_request_deadline() {
    let timeout = Duration::from_millis(800);
    let emulator = Emulator::start(EmulatorConfig::default().with_request_timeout(timeout)).unwrap();
    let mut stream = TcpStream::connect(emulator.local_addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let head = format!(
        "GET /_emulator/clock HTTP/1.1\r\nHost: {}\r\nX-Padding: {}\r\n\r\n",
        emulator.local_addr(),
        "p".repeat(100)
    );
    let started = Instant::now();
    let mut answer = Vec::new();
    // One byte every 100 ms: each read is quick, the request as a whole is not.
    for byte in head.bytes() {
        if stream.write_all(&[byte]).is_err() {
            break;
        }
        let mut buf = [0u8; 1024];
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
        if started.elapsed() > Duration::from_secs(5) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = stream.read_to_end(&mut answer);
    let elapsed = started.elapsed();
    assert!(elapsed < timeout + Duration::from_millis(1500), "the connection was held for {elapsed:?}");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    assert!(text.contains("CSMS.0408") && text.contains("Connection: close"), "{text}");

    // A request that arrives in time on a connection that was idle longer is answered.
    let mut conn = Conn::new(&emulator.endpoint());
    std::thread::sleep(timeout + Duration::from_millis(200));
    assert_eq!(conn.send(&HttpRequest::new("GET", format!("{}/_emulator/clock", emulator.endpoint()))).status, 200);
}

#[test]
fn only_requests_for_our_own_host_are_answered() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let addr = emulator.local_addr();
    let get = |host: &str| {
        let mut stream = TcpStream::connect(addr).unwrap();
        let head = format!("GET /_emulator/counts HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        common::read_response(&mut std::io::BufReader::new(stream)).unwrap()
    };
    // A page of rebind.example whose name now resolves to 127.0.0.1 sends its own host.
    for refused in
        ["rebind.example", &format!("rebind.example:{}", addr.port()), &format!("127.0.0.1:{}", addr.port() ^ 1)]
    {
        assert_eq!(error_code(&get(refused)), (421, "CSMS.0421".to_owned()), "{refused}");
    }
    for accepted in [addr.to_string(), format!("localhost:{}", addr.port())] {
        assert_eq!(get(&accepted).status, 200, "{accepted}");
    }
    // A signed CSMS call for another host is refused before its signature is looked at.
    let mut api = api(&emulator);
    let mut request = api.client.build_request("ListSecrets", &json!({}), now()).unwrap();
    request.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("host"));
    request.headers.push(("Host".into(), "rebind.example".into()));
    assert_eq!(error_code(&api.conn.send(&request)).0, 421);

    // Behind a proxy: --allow-host names the host clients use.
    let proxied = Emulator::start(EmulatorConfig::default().with_allowed_host("csms.test")).unwrap();
    let endpoint = format!("http://csms.test:{}", proxied.local_addr().port());
    let mut api = Api::signed(&endpoint, DEFAULT_PROJECT_ID, DEFAULT_AK, DEFAULT_SK, Algorithm::HmacSha256);
    api.conn = Conn::new(&proxied.endpoint());
    api.ok("ListSecrets", json!({}));
}

#[cfg(unix)]
#[test]
fn the_data_file_is_owner_only_and_a_link_is_refused() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = scratch("data");
    let path = dir.join("state.json");
    // An existing file open to others is rewritten owner-only at start.
    std::fs::write(&path, br#"{"format": "csms-emulator/1", "projects": {}}"#).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let emulator = Emulator::start(EmulatorConfig::default().with_data_file(&path)).unwrap();
    api(&emulator).ok("CreateSecret", json!({"name": "s", "secret_string": "value"}));
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    emulator.stop();
    let leftovers: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).filter(|n| n != "state.json").collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A data file that is a symbolic link: refused at start, the target untouched.
    let link = dir.join("link.json");
    symlink(&path, &link).unwrap();
    let before = std::fs::read(&path).unwrap();
    let error = Emulator::start(EmulatorConfig::default().with_data_file(&link)).unwrap_err();
    assert!(error.to_string().contains("symbolic link"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn extreme_numbers_on_the_command_line_exit_2_without_a_panic() {
    for args in [
        &["--clock-offset-ms", "9223372036854775807"][..],
        &["--clock-offset-ms", "-9223372036854775808"],
        &["--faults", "clock-offset=-9223372036854775808"],
        &["--faults", "503=100%,429=100%"],
        &["--faults", "503=18446744073709551616%"],
        &["--max-body", "18446744073709551615"],
        &["--request-timeout-ms", "-1"],
        &["--request-timeout-ms", "99999999999999999999"],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_csms-emulator"))
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A value taken as valid starts a server that does not exit: stop it after a while.
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(args[0]) && !stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn extreme_clock_offsets_in_the_library_and_the_admin_endpoint_do_not_panic() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let endpoint = emulator.endpoint();
    let mut conn = Conn::new(&endpoint);
    let mut set = HttpRequest::new("POST", format!("{endpoint}/_emulator/clock"));
    set.body = br#"{"offset_ms": 9223372036854775807}"#.to_vec();
    assert_eq!(error_code(&conn.send(&set)), (400, "CSMS.0002".to_owned()));

    // The library clamps the clock to the year 9999; requests signed then still work.
    for offset in [i64::MAX, i64::MIN] {
        emulator.set_clock_offset_ms(offset);
        let at = csms_core::SdkDate::from_unix(emulator.now_ms() / 1000);
        let mut api = api(&emulator);
        let name = format!("s{}", offset.signum() + 1);
        let created = api.raw_at(
            "CreateSecret",
            json!({"name": name, "secret_string": "x", "auto_rotation": true, "rotation_period": "30d", "secret_type": "RDS-FG"}),
            at,
        );
        assert!(created.status < 500, "{:?}", String::from_utf8_lossy(&created.body));
        let response =
            api.raw_at("DeleteSecretForSchedule", json!({"secret_name": name, "recovery_window_in_days": 30}), at);
        assert!(response.status < 500, "{:?}", String::from_utf8_lossy(&response.body));
        let response = api.raw_at("ListSecrets", json!({}), at);
        assert_eq!(response.status, 200, "{:?}", String::from_utf8_lossy(&response.body));
    }
}

//! Differential test against the official Python signer (`huaweicloudsdkcore` 3.1.219),
//! driven through `tests/oracle/oracle.py` (JSON lines on stdin/stdout).
//!
//! HMAC algorithms: at least 1,000 random requests each, with unicode and reserved
//! characters in paths, queries and headers, signed by both with the same time and compared
//! to the byte. ECDSA and SM2 (not comparable byte for byte): our signatures must verify
//! under the public key the official SDK derives from the same AK/SK.
//!
//! The oracle's virtual environment is made by `tests/oracle/setup.sh` (run here when missing).
//! `CSMS_DIFF_COUNT` changes the number of HMAC requests, `CSMS_DIFF_SEED` the seed.

use csms_core::{AccessKey, Algorithm, DerivedScope, HttpRequest, SdkDate, Signer};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Oracle {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Oracle {
    fn start() -> Oracle {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let setup = Command::new("sh").arg(root.join("tests/oracle/setup.sh")).stderr(Stdio::inherit()).output();
        let setup = setup.expect("cannot run tests/oracle/setup.sh");
        assert!(setup.status.success(), "tests/oracle/setup.sh failed");
        let python = String::from_utf8(setup.stdout).unwrap().trim().lines().last().unwrap().to_owned();
        let mut child = Command::new(python)
            .arg(root.join("tests/oracle/oracle.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot start the oracle");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Oracle { child, stdin, stdout }
    }

    /// Sends many requests at once (pipelined), then reads the answers in order.
    fn ask_all(&mut self, requests: &[Value]) -> Vec<Value> {
        let mut answers = Vec::with_capacity(requests.len());
        // Small chunks: each answer is ~1 KiB, and a full pipe in both directions would deadlock.
        for chunk in requests.chunks(16) {
            for r in chunk {
                writeln!(self.stdin, "{r}").unwrap();
            }
            self.stdin.flush().unwrap();
            for _ in chunk {
                let mut line = String::new();
                self.stdout.read_line(&mut line).unwrap();
                let answer: Value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("oracle answered {line:?}: {e}"));
                assert!(answer.get("error").is_none(), "oracle error: {answer}");
                answers.push(answer);
            }
        }
        answers
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

impl Rng {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn text(&mut self, alphabet: &[&str], min: usize, max: usize) -> String {
        let len = min + self.below(max - min + 1);
        (0..len).map(|_| self.pick(alphabet)).collect()
    }
}

const PATH_CHARS: &[&str] = &[
    "a", "b", "Z", "0", "9", "-", ".", "_", "~", " ", "!", "*", "'", "(", ")", ";", ":", "@", "&", "=", "+", "$", ",",
    "/", "?", "#", "[", "]", "%", "é", "中", "🔑", "ü",
];
const KEY_CHARS: &[&str] = &["a", "b", "c", "x", "_", "-"];
const HEADER_CHARS: &[&str] = &["a", "B", "9", " ", "é", "-", "=", "/", ";", ":"];

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn random_request(rng: &mut Rng) -> HttpRequest {
    let hosts = [
        "https://kms.cn-north-4.myhuaweicloud.com",
        "https://kms.ap-southeast-1.myhuaweicloud.com",
        "http://127.0.0.1:8443",
    ];
    let mut url = format!("{}/v1/{:010}/secrets", rng.pick(&hosts), rng.next() % 1000);
    for _ in 0..1 + rng.below(3) {
        let segment = rng.text(PATH_CHARS, 1, 12);
        url.push('/');
        url.push_str(&encode(&segment));
    }
    if rng.below(5) == 0 {
        url.push('/');
    }
    let pairs = rng.below(5);
    for i in 0..pairs {
        url.push(if i == 0 { '?' } else { '&' });
        let key = rng.text(KEY_CHARS, 1, 5);
        let value = rng.text(PATH_CHARS, 0, 10);
        url.push_str(&format!("{}={}", encode(&key), encode(&value)));
    }
    let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];
    let mut request = HttpRequest::new(rng.pick(&methods), url);
    let content_types =
        ["application/json", "application/json;charset=utf-8", "application/octet-stream", "text/plain", ""];
    let ct = rng.pick(&content_types);
    if !ct.is_empty() {
        request.headers.push(("Content-Type".into(), ct.into()));
    }
    if rng.below(4) != 0 {
        request.headers.push(("X-Project-Id".into(), format!("{:032x}", rng.next())));
    }
    if rng.below(2) == 0 {
        request.headers.push(("User-Agent".into(), "csms-sdk-rust/0.1.0; diff".into()));
    }
    if rng.below(3) == 0 {
        let value = format!("  {}  ", rng.text(HEADER_CHARS, 1, 10).trim());
        request.headers.push(("x-Custom-Header".into(), value));
    }
    if rng.below(4) == 0 {
        request.headers.push(("X_Underscore".into(), "not signed".into()));
    }
    if rng.below(3) != 0 {
        let body = json!({"description": rng.text(PATH_CHARS, 0, 20), "n": rng.below(100)});
        request.body = body.to_string().into_bytes();
    }
    request
}

fn oracle_line(
    request: &HttpRequest,
    algorithm: Algorithm,
    key: &AccessKey,
    at: SdkDate,
    signed: Option<&HttpRequest>,
) -> Value {
    let source = signed.unwrap_or(request);
    let headers: serde_json::Map<String, Value> = source
        .headers
        .iter()
        .filter(|(k, _)| signed.is_some() || k != "Authorization")
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let mut line = json!({
        "op": if signed.is_some() { "verify" } else { "sign" },
        "algorithm": algorithm.name(), "ak": key.ak, "sk": key.sk.expose(), "at": at.to_string(),
        "method": request.method, "url": request.url, "headers": headers, "body": request.body_text(),
    });
    if let Some(token) = &key.security_token {
        line["security_token"] = json!(token.expose());
    }
    if algorithm == Algorithm::V11HmacSha256 {
        line["derived"] = json!({"region_id": "cn-north-4", "service": "csms"});
    }
    if let Some(s) = signed {
        line["authorization"] = json!(s.header("Authorization").unwrap());
    }
    line
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn signatures_match_the_official_sdk() {
    let count = env_number("CSMS_DIFF_COUNT", 1000) as usize;
    let seed = env_number("CSMS_DIFF_SEED", 0x5eed_c5a5);
    println!("differential: seed {seed}, {count} requests per HMAC algorithm");
    let mut rng = Rng(seed | 1);
    let mut oracle = Oracle::start();
    let scope = DerivedScope { region: "cn-north-4".into(), service: "csms".into() };
    let (mut passed, mut failed) = (0usize, 0usize);

    let plan = [
        (Algorithm::HmacSha256, count),
        (Algorithm::HmacSm3, count),
        (Algorithm::V11HmacSha256, count),
        (Algorithm::EcdsaP256Sha256, 200),
        (Algorithm::Sm2Sm3, 200),
    ];
    for (algorithm, n) in plan {
        let mut originals = Vec::with_capacity(n);
        let mut signed = Vec::with_capacity(n);
        let mut lines = Vec::with_capacity(n);
        for i in 0..n {
            let mut key = AccessKey::new(format!("AK{:018X}", rng.next() % (1 << 60)), format!("{:040x}", rng.next()));
            if i % 5 == 0 {
                key = key.with_security_token(format!("token{:x}+/=", rng.next()));
            }
            let at = SdkDate::from_unix(1_700_000_000 + (rng.next() % 100_000_000) as i64);
            let request = random_request(&mut rng);
            let signer = Signer::new(key.clone(), algorithm, Some(scope.clone())).unwrap();
            let mut ours = request.clone();
            signer.sign(&mut ours, at).unwrap();
            let asymmetric = matches!(algorithm, Algorithm::EcdsaP256Sha256 | Algorithm::Sm2Sm3);
            lines.push(oracle_line(&request, algorithm, &key, at, asymmetric.then_some(&ours)));
            originals.push(request);
            signed.push(ours);
        }
        let answers = oracle.ask_all(&lines);
        for ((request, ours), answer) in originals.iter().zip(&signed).zip(&answers) {
            let ok = match answer.get("valid") {
                Some(valid) => valid == true,
                None => Some(answer["authorization"].as_str().unwrap_or_default()) == ours.header("Authorization"),
            };
            if ok {
                passed += 1;
            } else {
                failed += 1;
                if failed <= 10 {
                    println!(
                        "FAIL {algorithm} {} {}\n  ours:   {:?}\n  oracle: {answer}",
                        request.method,
                        request.url,
                        ours.header("Authorization")
                    );
                }
            }
        }
    }
    println!("differential: {passed} passed, {failed} failed");
    assert_eq!(failed, 0);
}

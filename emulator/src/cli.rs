//! The command line of the `csms-emulator` binary, parsed by hand.

use crate::config::{
    check_allowed_host, check_origin, EmulatorConfig, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK, MAX_BODY_LIMIT,
    MAX_CLOCK_OFFSET_MS, MAX_REQUEST_TIMEOUT, MAX_TEMP_CREDENTIAL_TTL,
};
use crate::faults::FaultSpec;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The `--help` text.
pub const USAGE: &str = "\
csms-emulator: a local emulator of Huawei Cloud CSMS (secret management)

USAGE:
    csms-emulator [--listen ADDR] [--ak AK --sk SK --project-id PID]... [--token T [--token-project PID]]...
                  [--data FILE] [--max-body BYTES] [--request-timeout-ms MS] [--clock-offset-ms MS]
                  [--faults SPEC] [--cors ORIGIN]... [--allow-host NAME]...
                  [--metadata [--temp-credential-ttl SECONDS]] [--log]

OPTIONS:
    --listen ADDR          Address to listen on [default: 127.0.0.1:0, a free port]. The first line
                           on stdout is `listening on http://ADDR:PORT`.
    --ak AK                Access key id accepted (repeatable; the i-th --ak, --sk and --project-id
                           belong together).
    --sk SK                Secret access key of the i-th --ak.
    --project-id PID       Project of the i-th --ak.
    --token T              Also accept `X-Auth-Token: T` (repeatable). Token requests belong to the
                           first --project-id, unless --token-project follows the --token.
    --token-project PID    Project of the --token just before it.
    --data FILE            Keep the state in FILE: loaded at start, rewritten atomically (temporary
                           file, fsync, rename) after every acknowledged change. It holds secret
                           values in clear: it is written owner-only (0600); a symbolic link is
                           refused.
    --max-body BYTES       Largest request body accepted, 1 to 16777216 [default: 65536]; larger
                           ones get 413.
    --request-timeout-ms MS
                           Time a request (head and body) may take to arrive once its first byte
                           came, 1 to 3600000 [default: 30000]; a slower one gets 408 and the
                           connection is closed.
    --clock-offset-ms MS   Run the emulator's clock MS milliseconds ahead of the system clock
                           (negative: behind), within ±3162240000000 (about 100 years).
    --faults SPEC           Inject faults, e.g.
                           seed=42,503=10%,429=5%,retry-after=1,close-before=5%,close-after=5%,clock-offset=-1800
                           Comma-separated KEY=VALUE parts, all optional:
                             seed=N            seed of the pseudo-random fault sequence [default: 0]
                             503=P%            answer 503 CSMS.0503 (with X-Request-Id), not applied
                             429=P%            answer 429 CSMS.0429 with Retry-After, not applied
                             retry-after=N     the Retry-After of those 429s, in seconds [default: 1]
                             close-before=P%   close the connection without applying or answering
                             close-after=P%    apply the request, then close without answering
                             clock-offset=S    server clock S seconds ahead (negative: behind),
                                               added to --clock-offset-ms
                           P: 0 to 100, at most 4 decimals; the rates add up to at most 100%.
                           One number is drawn per request (not /_emulator/ ones) in arrival
                           order: the same seed gives the same sequence (under concurrency the
                           arrival order, and so which request gets which fault, may vary).
    --cors ORIGIN          Let web pages of ORIGIN (http://localhost:3000, or * for any) call the
                           emulator: preflights are answered and Access-Control-Allow-Origin is
                           sent (repeatable). Without it, no CORS header is sent.
    --allow-host NAME      Also answer requests whose Host is NAME (any port), e.g. behind a
                           proxy (repeatable; * for any). By default only the listening address
                           (any IP literal when listening on 0.0.0.0 or ::) and localhost, with
                           the port, are answered; other hosts get 421 (DNS rebinding).
    --metadata             Also serve the instance metadata endpoints on the same port, as on a
                           cloud server: PUT /meta-data/latest/api/token (a session token) and
                           GET /openstack/latest/securitykey (a new random temporary AK, SK and
                           security token for the first project). Point clients at it with
                           CSMS_METADATA_ENDPOINT=http://ADDR:PORT.
    --temp-credential-ttl SECONDS
                           How long those temporary keys are accepted, 1 to 86400 [default: 3600];
                           after that they get 401 APIGW.0307 (\"The token must be updated.\").
    --log                  Write one line per request to stderr.
    -h, --help             Print this help.
    -V, --version          Print the version.

Without any --ak or --token, the emulator accepts AK EMULATOR-AK,
SK EMULATOR-SK-0000000000000000000000000000, project emulatorproject000000000000000000.
";

/// What the command line asks for.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // built once per process; boxing would only change the API
pub enum Command {
    /// Run the emulator with this configuration.
    Run(EmulatorConfig),
    /// Print the help text and exit.
    Help,
    /// Print the version and exit.
    Version,
}

/// Parses the arguments (without the program name). The error is a message for stderr.
///
/// ```
/// use csms_emulator::cli::{parse_args, Command};
/// let args = ["--listen", "127.0.0.1:0", "--ak", "A", "--sk", "S", "--project-id", "P", "--token", "T"];
/// let Command::Run(config) = parse_args(args.iter().map(|s| s.to_string())).unwrap() else { panic!() };
/// assert_eq!(config.credentials[0].project_id, "P");
/// assert_eq!(config.tokens[0].project_id, "P");
/// ```
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut listen: Option<SocketAddr> = None;
    let (mut aks, mut sks, mut pids) = (Vec::new(), Vec::new(), Vec::new());
    let mut tokens: Vec<(String, Option<String>)> = Vec::new();
    let mut data: Option<PathBuf> = None;
    let mut max_body: Option<usize> = None;
    let mut offset: i64 = 0;
    let mut request_timeout: Option<Duration> = None;
    let (mut cors, mut allowed_hosts) = (Vec::new(), Vec::new());
    let mut log = false;
    let mut faults: Option<FaultSpec> = None;
    let mut metadata = false;
    let mut temp_ttl: Option<Duration> = None;

    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |flag: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it.next().ok_or_else(|| format!("{flag} needs a value")),
            }
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--listen" => {
                let v = value("--listen")?;
                listen =
                    Some(v.parse().map_err(|_| format!("--listen: `{v}` is not an address such as 127.0.0.1:8080"))?);
            }
            "--ak" => aks.push(value("--ak")?),
            "--sk" => sks.push(value("--sk")?),
            "--project-id" => pids.push(value("--project-id")?),
            "--token" => tokens.push((value("--token")?, None)),
            "--token-project" => {
                let v = value("--token-project")?;
                match tokens.last_mut() {
                    Some((_, project @ None)) => *project = Some(v),
                    _ => return Err("--token-project must follow a --token (one per token)".into()),
                }
            }
            "--data" => data = Some(PathBuf::from(value("--data")?)),
            "--max-body" => {
                let v = value("--max-body")?;
                max_body =
                    Some(v.parse().ok().filter(|n| (1..=MAX_BODY_LIMIT).contains(n)).ok_or_else(|| {
                        format!("--max-body: `{v}` is not a number of bytes from 1 to {MAX_BODY_LIMIT}")
                    })?);
            }
            "--request-timeout-ms" => {
                let v = value("--request-timeout-ms")?;
                let max = MAX_REQUEST_TIMEOUT.as_millis() as u64;
                let ms = v.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                    format!("--request-timeout-ms: `{v}` is not a number of milliseconds from 1 to {max}")
                })?;
                request_timeout = Some(Duration::from_millis(ms));
            }
            "--clock-offset-ms" => {
                let v = value("--clock-offset-ms")?;
                offset = v
                    .parse::<i64>()
                    .ok()
                    .filter(|n| n.unsigned_abs() <= MAX_CLOCK_OFFSET_MS.unsigned_abs())
                    .ok_or_else(|| {
                        format!(
                            "--clock-offset-ms: `{v}` is not an integer from -{MAX_CLOCK_OFFSET_MS} to \
                             {MAX_CLOCK_OFFSET_MS} (about 100 years)"
                        )
                    })?;
            }
            "--cors" => {
                let v = value("--cors")?;
                check_origin(&v).map_err(|e| format!("--cors: {e}"))?;
                cors.push(v);
            }
            "--allow-host" => {
                let v = value("--allow-host")?;
                check_allowed_host(&v).map_err(|e| format!("--allow-host: {e}"))?;
                allowed_hosts.push(v);
            }
            "--faults" => {
                let v = value("--faults")?;
                faults = Some(v.parse().map_err(|e| format!("--faults: {e}"))?);
            }
            "--metadata" => metadata = true,
            "--temp-credential-ttl" => {
                let v = value("--temp-credential-ttl")?;
                let max = MAX_TEMP_CREDENTIAL_TTL.as_secs();
                let secs = v.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                    format!("--temp-credential-ttl: `{v}` is not a number of seconds from 1 to {max}")
                })?;
                temp_ttl = Some(Duration::from_secs(secs));
            }
            "--log" => log = true,
            other => return Err(format!("unknown argument `{other}`; see --help")),
        }
    }

    if aks.len() != sks.len() || aks.len() != pids.len() {
        return Err(format!(
            "give --ak, --sk and --project-id the same number of times (got {} --ak, {} --sk, {} --project-id)",
            aks.len(),
            sks.len(),
            pids.len()
        ));
    }
    let mut config = EmulatorConfig::new();
    if aks.is_empty() && tokens.is_empty() {
        config = config.with_credential(DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT_ID);
    }
    for ((ak, sk), pid) in aks.into_iter().zip(sks).zip(pids.iter().cloned()) {
        config = config.with_credential(ak, sk, pid);
    }
    let first_project = pids.first().cloned().unwrap_or_else(|| DEFAULT_PROJECT_ID.to_owned());
    for (token, project) in tokens {
        config = config.with_token(token, project.unwrap_or_else(|| first_project.clone()));
    }
    if let Some(addr) = listen {
        config.listen = addr;
    }
    config.data_file = data;
    if let Some(bytes) = max_body {
        config.max_body_bytes = bytes;
    }
    config.clock_offset_ms = offset;
    if let Some(timeout) = request_timeout {
        config.request_timeout = timeout;
    }
    config.cors_origins = cors;
    config.allowed_hosts = allowed_hosts;
    config.log_requests = log;
    config.faults = faults;
    if temp_ttl.is_some() && !metadata {
        return Err("--temp-credential-ttl needs --metadata".into());
    }
    config.metadata = metadata;
    if let Some(ttl) = temp_ttl {
        config.temp_credential_ttl = ttl;
    }
    config.check()?;
    Ok(Command::Run(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<EmulatorConfig, String> {
        match parse_args(args.iter().map(|s| s.to_string()))? {
            Command::Run(c) => Ok(c),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn pairs_repeated_credentials_and_tokens() {
        let c = run(&[
            "--ak",
            "A1",
            "--sk",
            "S1",
            "--project-id",
            "P1",
            "--ak=A2",
            "--sk=S2",
            "--project-id=P2",
            "--token",
            "T1",
            "--token",
            "T2",
            "--token-project",
            "P2",
        ])
        .unwrap();
        assert_eq!(c.credentials.len(), 2);
        assert_eq!((c.credentials[1].ak.as_str(), c.credentials[1].project_id.as_str()), ("A2", "P2"));
        assert_eq!(c.tokens[0].project_id, "P1");
        assert_eq!(c.tokens[1].project_id, "P2");
    }

    #[test]
    fn defaults_and_errors() {
        let c = run(&[]).unwrap();
        assert_eq!(c.credentials[0].ak, DEFAULT_AK);
        assert!(run(&["--ak", "A"]).is_err());
        assert!(run(&["--bogus"]).is_err());
        assert!(run(&["--listen", "nope"]).is_err());
        assert!(run(&["--token-project", "P"]).is_err());
        assert!(run(&["--ak", "A", "--sk", "S", "--project-id", "P", "--ak", "A", "--sk", "S", "--project-id", "P"])
            .is_err());
        assert!(matches!(parse_args(["--help".to_string()]), Ok(Command::Help)));
        let c = run(&["--faults", "seed=7,503=10%,clock-offset=-1800"]).unwrap();
        let spec = c.faults.unwrap();
        assert_eq!((spec.seed, spec.unavailable_ppm, spec.clock_offset_secs), (7, 100_000, -1800));
        let e = run(&["--faults=seed=7,429=5"]).unwrap_err();
        assert!(e.starts_with("--faults: ") && e.contains("`429=5`"), "{e}");
    }

    #[test]
    fn extreme_values_are_refused_with_the_option_named() {
        for (args, option) in [
            (&["--clock-offset-ms", "9223372036854775807"][..], "--clock-offset-ms"),
            (&["--clock-offset-ms", "-9223372036854775808"], "--clock-offset-ms"),
            (&["--clock-offset-ms=99999999999999999999999"], "--clock-offset-ms"),
            (&["--clock-offset-ms", "3162240000001"], "--clock-offset-ms"),
            (&["--max-body", "18446744073709551615"], "--max-body"),
            (&["--max-body", "0"], "--max-body"),
            (&["--max-body", "-1"], "--max-body"),
            (&["--request-timeout-ms", "0"], "--request-timeout-ms"),
            (&["--request-timeout-ms", "-5"], "--request-timeout-ms"),
            (&["--request-timeout-ms", "18446744073709551615"], "--request-timeout-ms"),
            (&["--faults", "clock-offset=-9223372036854775808"], "--faults"),
            (&["--faults", "clock-offset=9223372036854775807"], "--faults"),
            (&["--faults", "503=4294967296%"], "--faults"),
            (&["--faults", "503=999%"], "--faults"),
            (&["--faults", "503=60%,429=60%"], "--faults"),
            (&["--faults", "retry-after=18446744073709551616"], "--faults"),
            (&["--faults", "seed=-1"], "--faults"),
            (&["--cors", "localhost:3000"], "--cors"),
            (&["--cors", "http://a/b"], "--cors"),
            (&["--allow-host", ""], "--allow-host"),
            (&["--listen", "127.0.0.1:65536"], "--listen"),
            (&["--metadata", "--temp-credential-ttl", "0"], "--temp-credential-ttl"),
            (&["--metadata", "--temp-credential-ttl", "86401"], "--temp-credential-ttl"),
            (&["--metadata", "--temp-credential-ttl=-1"], "--temp-credential-ttl"),
        ] {
            let error = run(args).unwrap_err();
            assert!(error.starts_with(&format!("{option}: ")), "{args:?}: {error}");
        }
        let c = run(&["--clock-offset-ms", "-3162240000000", "--max-body", "16777216"]).unwrap();
        assert_eq!((c.clock_offset_ms, c.max_body_bytes), (-3_162_240_000_000, 16_777_216));
        let c = run(&["--request-timeout-ms", "250", "--cors", "*", "--cors=http://localhost:3000"]).unwrap();
        assert_eq!(c.request_timeout, Duration::from_millis(250));
        assert_eq!(c.cors_origins, ["*", "http://localhost:3000"]);
        let c = run(&["--allow-host", "csms.test", "--allow-host=*"]).unwrap();
        assert_eq!(c.allowed_hosts, ["csms.test", "*"]);
        assert!(run(&[]).unwrap().cors_origins.is_empty());
        let c = run(&["--metadata", "--temp-credential-ttl", "4"]).unwrap();
        assert_eq!((c.metadata, c.temp_credential_ttl), (true, Duration::from_secs(4)));
        let c = run(&["--metadata"]).unwrap();
        assert_eq!(c.temp_credential_ttl, Duration::from_secs(3600));
        assert!(!run(&[]).unwrap().metadata);
        assert!(run(&["--temp-credential-ttl", "4"]).unwrap_err().contains("needs --metadata"));
    }
}

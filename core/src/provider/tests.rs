use super::metadata::{self, parse_security_key, parse_token, security_key_request, token_rejected};
use super::*;
use crate::credentials::AccessKey;
use crate::http::HttpRequest;
use crate::http::HttpResponse;
use std::collections::HashMap;

fn at(secs: i64) -> SdkDate {
    SdkDate::from_unix(1_800_000_000 + secs)
}

fn key(name: &str, expires: Option<i64>) -> Provided {
    let provided = Provided::new(AccessKey::new(name, "SK").with_security_token("TOKEN"));
    match expires {
        Some(secs) => provided.expiring(at(secs)),
        None => provided,
    }
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |name: &str| map.get(name).cloned()
}

fn ak(lease: &Lease) -> &str {
    match &lease.provided.credentials {
        Credentials::AccessKey(key) => &key.ak,
        Credentials::Token(_) => "",
    }
}

#[test]
fn refresh_forty_minutes_ahead_or_at_half_a_short_lifetime() {
    // Exactly twice the margin: 40 minutes before expiry (= half, both rules agree).
    assert_eq!(refresh_at(at(0), Some(at(4800))), Some(at(2400)));
    // Longer: 40 minutes before expiry.
    assert_eq!(refresh_at(at(0), Some(at(24 * 3600))), Some(at(24 * 3600 - 2400)));
    // Shorter: half the lifetime, from when they were obtained.
    assert_eq!(refresh_at(at(100), Some(at(4899))), Some(at(100 + 2399)));
    assert_eq!(refresh_at(at(0), Some(at(4))), Some(at(2)));
    assert_eq!(refresh_at(at(0), None), None);
}

#[test]
fn the_state_machine_fetches_when_due_one_fetch_at_a_time() {
    let mut state = CredentialState::new();
    assert_eq!(state.phase(at(0)), Phase::Stale);
    assert!(state.usable(at(0)).is_none());
    let ticket = state.begin_refresh(at(0)).expect("the first caller fetches");
    // Concurrent callers: refreshing, nothing to use, no second ticket: they wait.
    assert_eq!(state.phase(at(0)), Phase::Refreshing);
    assert_eq!(state.in_flight(), Some(ticket.number()));
    assert!(state.begin_refresh(at(0)).is_none());
    assert!(state.usable(at(0)).is_none());

    let lease = state.finish(ticket, Ok(key("K1", Some(3600))), at(0), "test").unwrap();
    assert_eq!((ak(&lease), lease.generation), ("K1", 1));
    assert_eq!(state.phase(at(1799)), Phase::Fresh);
    assert!(state.begin_refresh(at(1799)).is_none());
    // Due at half of the hour: one caller refreshes, the others keep signing with K1.
    assert_eq!(state.phase(at(1800)), Phase::Stale);
    let ticket = state.begin_refresh(at(1800)).unwrap();
    assert_eq!(state.phase(at(1800)), Phase::Refreshing);
    assert_eq!(ak(state.usable(at(1801)).unwrap()), "K1");
    let lease = state.finish(ticket, Ok(key("K2", Some(1800 + 3600))), at(1802), "test").unwrap();
    assert_eq!((ak(&lease), lease.generation), ("K2", 2));
    assert_eq!(state.phase(at(1803)), Phase::Fresh);
}

#[test]
fn credentials_without_expiry_are_never_refreshed() {
    let mut state = CredentialState::new();
    let ticket = state.begin_refresh(at(0)).unwrap();
    state.finish(ticket, Ok(key("K", None)), at(0), "test").unwrap();
    assert_eq!(state.phase(at(100 * 365 * 86_400)), Phase::Fresh);
}

#[test]
fn a_failed_refresh_keeps_working_credentials_and_waits_before_asking_again() {
    let mut state = CredentialState::new();
    let ticket = state.begin_refresh(at(0)).unwrap();
    state.finish(ticket, Ok(key("K1", Some(100))), at(0), "test").unwrap();
    let ticket = state.begin_refresh(at(50)).unwrap();
    let kept = state.finish(ticket, Err(provider_error("test", "down")), at(50), "test").unwrap();
    assert_eq!(ak(&kept), "K1");
    assert_eq!(state.phase(at(54)), Phase::Fresh);
    assert_eq!(state.phase(at(55)), Phase::Stale);
    // Once they expire, a failure is the caller's error, and the waiters' too.
    let ticket = state.begin_refresh(at(100)).unwrap();
    let number = ticket.number();
    let err = state.finish(ticket, Err(provider_error("test", "down")), at(100), "test").unwrap_err();
    assert_eq!(err.kind(), "credentials");
    assert_eq!(state.failure_of(number), Some(&err));
    assert_eq!(state.phase(at(100)), Phase::Stale);
}

#[test]
fn the_backoff_after_a_failure_ends_at_the_expiry() {
    let mut state = CredentialState::new();
    let ticket = state.begin_refresh(at(0)).unwrap();
    state.finish(ticket, Ok(key("K1", Some(4))), at(0), "test").unwrap();
    let ticket = state.begin_refresh(at(2)).unwrap();
    state.finish(ticket, Err(provider_error("test", "down")), at(2), "test").unwrap();
    assert_eq!(state.phase(at(3)), Phase::Fresh);
    assert_eq!(state.phase(at(4)), Phase::Stale);
}

#[test]
fn credentials_expired_on_arrival_or_unsendable_are_the_providers_error() {
    let mut state = CredentialState::new();
    let ticket = state.begin_refresh(at(10)).unwrap();
    let err = state.finish(ticket, Ok(key("K", Some(10))), at(10), "metadata").unwrap_err();
    assert!(
        matches!(&err, Error::Credentials { provider, reason } if provider == "metadata" && reason.contains("clock"))
    );
    let ticket = state.begin_refresh(at(10)).unwrap();
    let bad = Provided::new(AccessKey::new("A K\n", "secret-value"));
    let err = state.finish(ticket, Ok(bad), at(10), "vault").unwrap_err();
    assert!(matches!(&err, Error::Credentials { provider, .. } if provider == "vault"));
    assert!(!err.to_string().contains("secret-value"));
}

#[test]
fn an_expired_refusal_invalidates_the_current_credentials_only() {
    let mut state = CredentialState::new();
    let ticket = state.begin_refresh(at(0)).unwrap();
    state.finish(ticket, Ok(key("K1", Some(3600))), at(0), "test").unwrap();
    assert!(!state.invalidate(7), "not the current generation");
    assert_eq!(state.phase(at(1)), Phase::Fresh);
    assert!(state.invalidate(1));
    assert_eq!(state.phase(at(1)), Phase::Stale);
    assert!(state.usable(at(1)).is_none(), "refused credentials are not used again");
    let ticket = state.begin_refresh(at(1)).unwrap();
    // A failure now has nothing to fall back on.
    assert!(state.finish(ticket, Err(provider_error("test", "down")), at(1), "test").is_err());
}

#[test]
fn expired_refusals_are_told_from_other_401s() {
    let api = |status: u16, code: &str, msg: &str| Error::Api {
        status,
        error_code: code.into(),
        error_msg: msg.into(),
        request_id: String::new(),
        not_retried: None,
        retry_after_secs: None,
        signature: None,
    };
    assert!(credentials_expired(&api(401, "APIGW.0307", "The token must be updated.")));
    assert!(credentials_expired(&api(401, "APIG.0307", "The token must be updated.")));
    assert!(credentials_expired(&api(401, "APIGW.0301", "Incorrect IAM authentication information: token expires")));
    assert!(!credentials_expired(&api(403, "APIGW.0307", "The token must be updated.")));
    assert!(!credentials_expired(&api(401, "APIGW.0301", "verify aksk signature fail")));
    assert!(!credentials_expired(&api(401, "APIGW.0301", "signature expired, signature time:x,server time:y")));
    assert!(!credentials_expired(&Error::transport("reset", true)));
}

#[test]
fn the_environment_provider() {
    let full = env(&[(ENV_AK, "AK"), (ENV_SK, "SK"), (ENV_SECURITY_TOKEN, "T"), (ENV_PROJECT_ID, "p1")]);
    let provided = env_credentials(&full).unwrap();
    assert_eq!(provided.credentials, AccessKey::new("AK", "SK").with_security_token("T").into());
    assert_eq!((provided.project_id.as_deref(), provided.expires_at), (Some("p1"), None));
    let permanent = env_credentials(&env(&[(ENV_AK, "AK"), (ENV_SK, "SK")])).unwrap();
    assert_eq!(permanent.credentials, AccessKey::new("AK", "SK").into());
    for (vars, missing) in [
        (env(&[(ENV_SK, "SK")]), ENV_AK),
        (env(&[(ENV_AK, "AK")]), ENV_SK),
        (env(&[(ENV_AK, "AK"), (ENV_SK, "")]), ENV_SK),
    ] {
        let err = env_credentials(&vars).unwrap_err();
        assert!(matches!(&err, Error::Validation { field, .. } if field == missing), "{err}");
        assert!(err.to_string().contains(missing));
    }
}

#[test]
fn the_profile_path() {
    assert_eq!(profile_path(&env(&[(ENV_CREDENTIALS_FILE, "/etc/c"), ("HOME", "/h")])).as_deref(), Some("/etc/c"));
    assert_eq!(profile_path(&env(&[("HOME", "/home/u/")])).as_deref(), Some("/home/u/.huaweicloud/credentials"));
    assert_eq!(
        profile_path(&env(&[("USERPROFILE", "C:\\Users\\u")])).as_deref(),
        Some("C:\\Users\\u\\.huaweicloud\\credentials")
    );
    assert_eq!(profile_path(&env(&[])), None);
}

#[test]
fn the_profile_file() {
    let text = "# the official SDKs' file\n[DEFAULT]\nproject_id = shared\n\n[basic]\nAK = AK1\nsk: SK1\n\
                ; a comment\nsecurity_token = T1\n\n[global]\nak = G\nsk = GS\ndomain_id = d\n";
    let provided = parse_profile(text, "creds").unwrap();
    assert_eq!(provided.credentials, AccessKey::new("AK1", "SK1").with_security_token("T1").into());
    assert_eq!(provided.project_id.as_deref(), Some("shared"));
    let own = parse_profile("[basic]\nak=A\nsk=S\nproject_id=mine\n", "creds").unwrap();
    assert_eq!(own.project_id.as_deref(), Some("mine"));

    for (text, says) in [
        ("[global]\nak = A\nsk = S\n", "no [basic] section"),
        ("[basic]\nak = A\n", "lacks `ak` or `sk`"),
        ("[basic]\nak = A\nsk =\n", "lacks `ak` or `sk`"),
        ("ak = A\n[basic]\n", "before any `[section]`"),
        ("[basic]\nak = A\nsk = secret-value\njunk\n", "line 4 is neither"),
        ("[basic]\nak = A\nsk = secret-value\nsk = other\n", "`sk` appears twice"),
        ("[basic]\n[basic]\n", "appears twice"),
    ] {
        let err = parse_profile(text, "/home/u/.huaweicloud/credentials").unwrap_err();
        let message = err.to_string();
        assert!(matches!(&err, Error::Credentials { provider, .. } if provider == "profile"), "{message}");
        assert!(message.contains(says) && message.contains("/home/u/.huaweicloud/credentials"), "{message}");
        assert!(!message.contains("secret-value"), "{message}");
    }
}

#[test]
fn endpoint_resolution() {
    let none = env(&[]);
    let err = resolve_endpoint(None, &none).unwrap_err();
    assert!(matches!(&err, Error::Validation { field, .. } if field == "CSMS_ENDPOINT"));
    let region = env(&[(ENV_REGION, "cn-north-4")]);
    assert_eq!(
        resolve_endpoint(None, &region).unwrap(),
        ("https://kms.cn-north-4.myhuaweicloud.com".to_owned(), Some("cn-north-4".to_owned()))
    );
    let overridden = env(&[
        (ENV_REGION, "cn-north-4"),
        ("HUAWEICLOUD_SDK_REGION_CSMS_AP_SOUTHEAST_1", "https://a.example, https://b.example"),
    ]);
    assert_eq!(resolve_endpoint(Some("ap-southeast-1"), &overridden).unwrap().0, "https://a.example");
    let explicit = env(&[(ENV_ENDPOINT, "http://127.0.0.1:9"), ("HUAWEICLOUD_SDK_REGION_CSMS_CN_NORTH_4", "x")]);
    assert_eq!(
        resolve_endpoint(Some("cn-north-4"), &explicit).unwrap(),
        ("http://127.0.0.1:9".to_owned(), Some("cn-north-4".to_owned()))
    );
}

#[test]
fn the_chain_error_lists_every_provider() {
    let err = chain_error(&[
        ("environment", Error::validation(ENV_AK, "is not set in the environment")),
        ("profile", provider_error("profile", "/h/.huaweicloud/credentials: cannot be read")),
        ("metadata", provider_error("metadata", "connection refused")),
    ]);
    assert_eq!(
        err.to_string(),
        "no credentials from the default chain provider: no provider gave credentials (environment: invalid \
         `HUAWEICLOUD_SDK_AK`: is not set in the environment; profile: no credentials from the profile provider: \
         /h/.huaweicloud/credentials: cannot be read; metadata: no credentials from the metadata provider: \
         connection refused)"
    );
}

#[test]
fn metadata_steps() {
    assert_eq!(metadata::endpoint(&env(&[])).unwrap(), "http://169.254.169.254");
    let guarded = metadata::endpoint(&env(&[(metadata::ENV_TEST_GUARD, "1")])).unwrap_err();
    assert!(guarded.to_string().contains("refusing to contact http://169.254.169.254"), "{guarded}");
    let local = env(&[(metadata::ENV_TEST_GUARD, "1"), (metadata::ENV_ENDPOINT, "http://127.0.0.1:8/")]);
    assert_eq!(metadata::endpoint(&local).unwrap(), "http://127.0.0.1:8");

    let put = metadata::token_request("http://127.0.0.1:8");
    assert_eq!((put.method.as_str(), put.url.as_str()), ("PUT", "http://127.0.0.1:8/meta-data/latest/api/token"));
    assert_eq!(put.header("X-Metadata-Token-Ttl-Seconds"), Some("21600"));
    let token = parse_token(&HttpResponse::new(200, vec![], "tok\n")).unwrap().unwrap();
    assert_eq!(token.expose(), "tok");
    for status in [404, 405, 503] {
        assert!(parse_token(&HttpResponse::new(status, vec![], "")).unwrap().is_none());
    }
    assert!(parse_token(&HttpResponse::new(500, vec![], "")).is_err());
    assert!(parse_token(&HttpResponse::new(200, vec![], " ")).is_err());

    let get = security_key_request("http://127.0.0.1:8", Some(&token));
    assert_eq!((get.method.as_str(), get.url.as_str()), ("GET", "http://127.0.0.1:8/openstack/latest/securitykey"));
    assert_eq!(get.header("X-Metadata-Token"), Some("tok"));
    assert_eq!(security_key_request("http://h", None).header("X-Metadata-Token"), None);

    assert!(token_rejected(&HttpResponse::new(401, vec![], "expired")));
    assert!(!token_rejected(&HttpResponse::new(401, vec![], "Please configure Cloud Service Agency first")));
    assert!(!token_rejected(&HttpResponse::new(200, vec![], "")));
}

#[test]
fn metadata_answers() {
    let body = r#"{"credential": {"access": "AK", "secret": "secret-value", "securitytoken": "T",
        "expires_at": "2027-01-08T03:50:07.574000Z"}}"#;
    let provided = parse_security_key(&HttpResponse::new(200, vec![], body)).unwrap();
    assert_eq!(provided.credentials, AccessKey::new("AK", "secret-value").with_security_token("T").into());
    assert_eq!(provided.expires_at, Some(SdkDate::parse("20270108T035007Z").unwrap()));
    assert!(!format!("{provided:?}").contains("secret-value"));
    let whole = r#"{"credential": {"access": "AK", "secret": "S", "securitytoken": "T", "expires_at": "2027-01-08T03:50:07Z"}}"#;
    assert!(parse_security_key(&HttpResponse::new(200, vec![], whole)).is_ok());

    for (status, body, says) in [
        (200, "not json secret-value", "not the expected JSON"),
        (200, r#"{"other": 1}"#, "no `credential`"),
        (200, r#"{"credential": {"access": "AK", "secret": "secret-value"}}"#, "lacks one of"),
        (
            200,
            r#"{"credential": {"access": "A", "secret": "secret-value", "securitytoken": "T", "expires_at": "tomorrow"}}"#,
            "not a UTC time",
        ),
        (401, "Please configure Cloud Service Agency first", "configure one"),
        (500, "secret-value", "status 500"),
    ] {
        let err = parse_security_key(&HttpResponse::new(status, vec![], body)).unwrap_err();
        let message = err.to_string();
        assert!(matches!(&err, Error::Credentials { provider, .. } if provider == "metadata"), "{message}");
        assert!(message.contains(says) && !message.contains("secret-value"), "{message}");
    }
}

const KEY_BODY: &str = r#"{"credential": {"access": "TMPAK", "secret": "TMPSK", "securitytoken": "ST",
    "expires_at": "2030-01-01T00:00:00.000000Z"}}"#;

fn http(need: Need) -> HttpRequest {
    match need {
        Need::Http(request) => request,
        other => panic!("expected a request, got {other:?}"),
    }
}

fn done(need: Need) -> Result<Provided> {
    match need {
        Need::Done(result) => result,
        other => panic!("expected the end, got {other:?}"),
    }
}

#[test]
fn a_metadata_fetch_gets_a_session_token_once_and_renews_it_when_refused() {
    let lookup = env(&[(metadata::ENV_TEST_GUARD, "1"), (metadata::ENV_ENDPOINT, "http://127.0.0.1:9")]);
    let mut fetch = Fetch::new(Source::Metadata(None), Memory::default());
    let token = http(fetch.next(&lookup));
    assert_eq!((token.method.as_str(), token.url.as_str()), ("PUT", "http://127.0.0.1:9/meta-data/latest/api/token"));
    // Asked again before the answer: the same request.
    assert_eq!(http(fetch.next(&lookup)).url, token.url);
    fetch.received(Ok(HttpResponse::new(200, vec![], "S1")));
    let key_request = http(fetch.next(&lookup));
    assert_eq!(key_request.header(metadata::TOKEN_HEADER), Some("S1"));
    fetch.received(Ok(HttpResponse::new(200, vec![], KEY_BODY)));
    let provided = done(fetch.next(&lookup)).unwrap();
    assert_eq!(provided.expires_at, Some(SdkDate::parse("20300101T000000Z").unwrap()));

    // The next fetch keeps the session token; refused, it gets a new one and asks once more.
    let mut fetch = Fetch::new(Source::Metadata(None), fetch.into_memory());
    assert_eq!(http(fetch.next(&lookup)).header(metadata::TOKEN_HEADER), Some("S1"));
    fetch.received(Ok(HttpResponse::new(401, vec![], "token expired")));
    assert_eq!(http(fetch.next(&lookup)).method, "PUT");
    fetch.received(Ok(HttpResponse::new(200, vec![], "S2")));
    assert_eq!(http(fetch.next(&lookup)).header(metadata::TOKEN_HEADER), Some("S2"));
    fetch.received(Ok(HttpResponse::new(401, vec![], "token expired")));
    let err = done(fetch.next(&lookup)).unwrap_err();
    assert!(err.to_string().contains("metadata provider: the security key request got status 401"), "{err}");
    assert!(!format!("{:?}", fetch.into_memory()).contains("S2"), "the memory's Debug shows no token");
}

#[test]
fn a_metadata_service_without_session_tokens_and_a_failing_one() {
    let lookup = env(&[]);
    let mut fetch = Fetch::new(Source::Metadata(Some("http://127.0.0.1:9/".into())), Memory::default());
    http(fetch.next(&lookup));
    fetch.received(Ok(HttpResponse::new(404, vec![], "")));
    assert_eq!(http(fetch.next(&lookup)).header(metadata::TOKEN_HEADER), None);
    fetch.received(Err(Error::timeout("no answer in 3 s", false)));
    let err = done(fetch.next(&lookup)).unwrap_err();
    assert!(
        err.to_string().contains("the request to http://127.0.0.1:9/openstack/latest/securitykey timed out"),
        "{err}"
    );

    // The real address is refused under the test guard, even when named.
    let guarded = env(&[(metadata::ENV_TEST_GUARD, "1")]);
    let mut fetch = Fetch::new(Source::Metadata(Some(metadata::DEFAULT_ENDPOINT.into())), Memory::default());
    let err = done(fetch.next(&guarded)).unwrap_err();
    assert!(err.to_string().contains("refusing to contact http://169.254.169.254"), "{err}");
}

#[test]
fn the_chain_says_why_each_member_failed_then_keeps_the_one_that_worked() {
    let lookup =
        env(&[("HOME", "/h"), (metadata::ENV_TEST_GUARD, "1"), (metadata::ENV_ENDPOINT, "http://127.0.0.1:9")]);
    let mut fetch = Fetch::new(Source::Chain, Memory::default());
    assert!(matches!(fetch.next(&lookup), Need::File(path) if path == "/h/.huaweicloud/credentials"));
    fetch.read(Err("does not exist".into()));
    http(fetch.next(&lookup));
    fetch.received(Err(Error::transport("connection refused", false)));
    let err = done(fetch.next(&lookup)).unwrap_err();
    let text = err.to_string();
    for part in [
        "default chain provider",
        "environment: invalid `HUAWEICLOUD_SDK_AK`",
        "profile: no credentials from the profile provider: /h/.huaweicloud/credentials: does not exist",
        "metadata: no credentials from the metadata provider: the request to http://127.0.0.1:9/meta-data/latest/api/token failed",
    ] {
        assert!(text.contains(part), "{part:?} not in {text}");
    }

    // The profile works: it is the only one asked from then on, its error as it is.
    let mut fetch = Fetch::new(Source::Chain, Memory::default());
    fetch.next(&lookup);
    fetch.read(Ok("[basic]\nak = PAK\nsk = PSK\n".into()));
    assert!(done(fetch.next(&lookup)).is_ok());
    let mut fetch = Fetch::new(Source::Chain, fetch.into_memory());
    let with_env = env(&[("HOME", "/h"), (ENV_AK, "EAK"), (ENV_SK, "ESK")]);
    assert!(matches!(fetch.next(&with_env), Need::File(_)), "the environment is not asked again");
    fetch.read(Err("permission denied".into()));
    let err = done(fetch.next(&with_env)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no credentials from the profile provider: /h/.huaweicloud/credentials: permission denied"
    );
}

#[test]
fn a_host_function_error_names_the_function() {
    let mut fetch = Fetch::new(Source::Host("vault".into()), Memory::default());
    assert!(matches!(fetch.next(&env(&[])), Need::Host));
    fetch.called(Err(Error::validation("x", "nonsense")));
    let err = done(fetch.next(&env(&[]))).unwrap_err();
    assert!(matches!(&err, Error::Credentials { provider, .. } if provider == "vault"), "{err}");
}

#[test]
fn acquire_uses_fetches_or_waits() {
    let mut state = CredentialState::new();
    let Acquire::Fetch(ticket) = state.acquire(at(0)) else { panic!("the first caller fetches") };
    let Acquire::Wait(number) = state.acquire(at(0)) else { panic!("the second waits") };
    state.finish(ticket, Err(provider_error("vault", "down")), at(0), "vault").unwrap_err();
    assert!(state.waited(number).unwrap_err().to_string().contains("down"), "the waiter gets the fetch's error");
    let Acquire::Fetch(ticket) = state.acquire(at(1)) else { panic!("the next caller fetches again") };
    state.finish(ticket, Ok(key("K1", Some(100))), at(1), "vault").unwrap();
    // Due at half the lifetime: one caller fetches, the others use K1 meanwhile.
    assert!(matches!(state.acquire(at(49)), Acquire::Use(_)));
    assert!(matches!(state.acquire(at(50)), Acquire::Fetch(_)));
    assert!(matches!(state.acquire(at(50)), Acquire::Use(lease) if lease.generation == 2));
}

#[test]
fn half_an_access_key_in_the_environment_stops_the_chain_naming_the_other_half() {
    let lookup = env(&[(ENV_AK, "AK"), ("HOME", "/h")]);
    let mut fetch = Fetch::new(Source::Chain, Memory::default());
    let err = done(fetch.next(&lookup)).unwrap_err();
    assert!(matches!(&err, Error::Validation { field, .. } if field == ENV_SK), "{err}");
    let lookup = env(&[(ENV_SK, "SK"), ("HOME", "/h")]);
    let err = done(Fetch::new(Source::Chain, Memory::default()).next(&lookup)).unwrap_err();
    assert!(matches!(&err, Error::Validation { field, .. } if field == ENV_AK), "{err}");
}

//! Input generators shared by the fuzz targets: JSON values of bounded depth, text that
//! hits the interesting corners (percent escapes, non-ASCII, blanks), and values shaped
//! after an operation's members so that validation lets some of them through.

use arbitrary::{Result, Unstructured};
use csms_core::operations::{Format, Member, Rules, Type};
use csms_core::{AccessKey, Algorithm, DerivedScope, HttpRequest, Signer, VerifyError};
use serde_json::{Map, Number, Value};
use std::sync::OnceLock;

/// Field names of the CSMS inputs and outputs (from `core/src/operations/generated.rs`), so
/// that generated objects reach the decoders' fields and not only unknown keys.
pub const FIELD_NAMES: &[&str] = &[
    "action",
    "agencies",
    "agency_granted",
    "agency_id",
    "agency_name",
    "attempt_nums",
    "auto_rotation",
    "checking_secret_strength",
    "createTime",
    "create_time",
    "created_at",
    "current_count",
    "data",
    "description",
    "disabled",
    "domain_id",
    "email",
    "engine",
    "enterprise_project_id",
    "error_list",
    "error_msg",
    "event",
    "event_id",
    "event_name",
    "event_subscriptions",
    "event_types",
    "events",
    "exclude_characters",
    "exclude_lowercase",
    "exclude_numbers",
    "exclude_punctuation",
    "exclude_uppercase",
    "expire_time",
    "extension",
    "failed",
    "function_templates",
    "grade",
    "granteeUser",
    "grantee_target_id",
    "grantee_type",
    "grantee_user",
    "id",
    "include_space",
    "key",
    "kms_key_id",
    "length",
    "limit",
    "locked",
    "marker",
    "matches",
    "mobile",
    "name",
    "next_marker",
    "next_rotation_time",
    "notification",
    "notification_content",
    "notification_status",
    "notification_target_id",
    "notification_target_name",
    "offset",
    "old_password",
    "operate_type",
    "org_id",
    "page_info",
    "password",
    "password_policy_name",
    "previous_marker",
    "pwd_change_at",
    "pwd_must_modify",
    "records",
    "recovery_window_in_days",
    "relation_type",
    "require_each_included_type",
    "resourceId",
    "resource_detail",
    "resource_id",
    "resource_name",
    "resources",
    "rotation_config",
    "rotation_func_urn",
    "rotation_period",
    "rotation_task_id",
    "rotation_time",
    "scheduled_delete_time",
    "secret",
    "secret_binary",
    "secret_blob",
    "secret_id",
    "secret_name",
    "secret_string",
    "secret_sub_type",
    "secret_type",
    "secrets",
    "sequence",
    "signature",
    "stage",
    "stage_name",
    "state",
    "status",
    "success",
    "sys_tags",
    "tag",
    "tags",
    "target_id",
    "target_name",
    "target_type",
    "task_error_code",
    "task_error_msg",
    "task_id",
    "task_status",
    "task_time",
    "tasks",
    "total",
    "total_count",
    "trigger_event_type",
    "type",
    "updateTime",
    "update_time",
    "updated_at",
    "user_id",
    "user_info",
    "user_name",
    "user_org_relation_list",
    "users",
    "uuid",
    "validityTime",
    "validity_time",
    "value",
    "values",
    "version",
    "version_id",
    "version_metadata",
    "version_metadatas",
    "version_stages",
    // Error documents and the older `{"rotate": {...}}` shape.
    "error_code",
    "errorCode",
    "errorMsg",
    "code",
    "message",
    "error",
    "request_id",
    "rotate",
];

/// Text that exercises encoders, decoders, trimming and validation corners.
pub const INTERESTING_TEXT: &[&str] = &[
    "",
    " ",
    ".",
    "..",
    "/",
    "a/b",
    "%",
    "%2",
    "%2F",
    "%2f",
    "%25",
    "%zz",
    "%FF",
    "%E4%B8%AD",
    "%C3",
    "+",
    "a b",
    "&",
    "=",
    "?",
    "#",
    ";",
    ",",
    "\t",
    "\n",
    "\r\n",
    "\u{1c}",
    "\u{85}",
    "\u{a0}",
    "\u{3000}",
    "ü",
    "中文",
    "😀",
    "\u{0}",
    "latest",
    "SYSCURRENT",
    "SYSPREVIOUS",
    "ENABLED",
    "db-password",
    "6h",
    "5h",
    "8760h",
    "8761h",
    "365d",
    "21600s",
    "2024-02-29",
    "2023-02-29",
    "aGVsbG8=",
    "aGVsbG8",
    "====",
    "-1",
    "0",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "application/json",
    "text/plain",
    "application/json;charset=UTF-8",
    "UNSIGNED-PAYLOAD",
];

/// A piece of text: arbitrary UTF-8, an interesting string, or a few of them joined.
pub fn text(u: &mut Unstructured) -> Result<String> {
    Ok(match u.int_in_range(0u8..=3)? {
        0 => u.arbitrary::<String>()?,
        1 => u.choose(INTERESTING_TEXT)?.to_string(),
        2 => {
            let mut s = String::new();
            for _ in 0..u.int_in_range(1u8..=6)? {
                if u.arbitrary()? {
                    s.push_str(u.choose(INTERESTING_TEXT)?);
                } else {
                    s.push(u.arbitrary::<char>()?);
                }
            }
            s
        }
        _ => {
            // Mostly ASCII letters and digits, the common case for ids and names.
            let n = u.int_in_range(1usize..=24)?;
            let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
            (0..n).map(|_| u.choose(alphabet).map(|&b| b as char)).collect::<Result<String>>()?
        }
    })
}

/// An object key: usually a known field name.
pub fn key(u: &mut Unstructured) -> Result<String> {
    if u.ratio(3u8, 4)? {
        Ok(u.choose(FIELD_NAMES)?.to_string())
    } else {
        text(u)
    }
}

/// A JSON number, including the awkward ones (huge, negative, fractional, -0.0).
pub fn number(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0u8..=3)? {
        0 => Value::from(u.arbitrary::<i64>()?),
        1 => Value::from(u.arbitrary::<u64>()?),
        2 => Number::from_f64(u.arbitrary::<f64>()?).map_or(Value::Null, Value::Number),
        _ => Value::from(u.int_in_range(-3i64..=300)?),
    })
}

/// Any JSON value, nesting at most `depth` levels.
pub fn json(u: &mut Unstructured, depth: u32) -> Result<Value> {
    let top = if depth == 0 { 3u8 } else { 5 };
    Ok(match u.int_in_range(0u8..=top)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => number(u)?,
        3 => Value::String(text(u)?),
        4 => {
            let n = u.int_in_range(0usize..=4)?;
            Value::Array((0..n).map(|_| json(u, depth - 1)).collect::<Result<_>>()?)
        }
        _ => {
            let mut map = Map::new();
            for _ in 0..u.int_in_range(0usize..=5)? {
                let k = key(u)?;
                map.insert(k, json(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

/// The characters of a regex-style class body such as `a-zA-Z0-9_-`.
fn class_chars(class: &str) -> Vec<char> {
    let chars: Vec<char> = class.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' {
            out.extend(chars[i]..=chars[i + 2]);
            i += 3;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Text meant to pass `rules` (and sometimes to just miss them).
fn text_for(u: &mut Unstructured, rules: &Rules, date: bool) -> Result<String> {
    if u.ratio(1u8, 6)? {
        return text(u);
    }
    if !rules.allowed.is_empty() {
        return Ok(u.choose(rules.allowed)?.to_string());
    }
    if date || rules.format == Some(Format::Date) {
        let (y, m, d) = (u.int_in_range(1970..=2100)?, u.int_in_range(1..=12)?, u.int_in_range(1..=31)?);
        return Ok(format!("{y:04}-{m:02}-{d:02}"));
    }
    match rules.format {
        Some(Format::RotationPeriod) => {
            let unit = *u.choose(&["d", "h", "m", "s"])?;
            return Ok(format!("{}{unit}", u.int_in_range(0u32..=600_000)?));
        }
        Some(Format::Base64) => return Ok(base64(u.arbitrary::<&[u8]>()?)),
        _ => {}
    }
    if let Some((lo, hi)) = rules.range {
        return Ok(u.int_in_range(lo..=hi)?.to_string());
    }
    let (min, max) = rules.len.unwrap_or((1, 64));
    let n = u.int_in_range(min as usize..=(max as usize).min(min as usize + 40))?;
    let mut s = String::new();
    match rules.charset {
        Some(class) => {
            let chars = class_chars(class);
            for _ in 0..n {
                s.push(*u.choose(&chars)?);
            }
        }
        None => {
            while s.chars().count() < n {
                let piece = text(u)?;
                if piece.is_empty() && u.is_empty() {
                    break;
                }
                s.push_str(&piece);
            }
            s = s.chars().take(n).collect();
        }
    }
    Ok(s)
}

/// A value for a member of type `ty` under `rules`: usually of the right shape, sometimes
/// any JSON at all.
pub fn value_for(u: &mut Unstructured, ty: &Type, rules: &Rules, depth: u32) -> Result<Value> {
    if u.ratio(1u8, 10)? {
        return json(u, depth.min(2));
    }
    Ok(match ty {
        Type::String => Value::String(text_for(u, rules, false)?),
        Type::Date => Value::String(text_for(u, rules, true)?),
        Type::Integer => match rules.range {
            Some((lo, hi)) if u.ratio(3u8, 4)? => {
                let n = u.int_in_range(lo..=hi)?;
                if u.ratio(1u8, 5)? {
                    Value::from(n as f64)
                } else {
                    Value::from(n)
                }
            }
            _ => number(u)?,
        },
        Type::Number => number(u)?,
        Type::Boolean => Value::Bool(u.arbitrary()?),
        Type::Any => json(u, depth.min(3))?,
        Type::List(item) => {
            let (min, max) = rules.items.map_or((0, 4), |(a, b)| (a as usize, (b as usize).min(a as usize + 4)));
            let n = u.int_in_range(min..=max)?;
            let item_rules = Rules { items: None, ..*rules };
            let items = (0..n).map(|_| value_for(u, item, &item_rules, depth.saturating_sub(1)));
            Value::Array(items.collect::<Result<_>>()?)
        }
        Type::Model(model) => Value::Object(members(u, model.fields, depth.saturating_sub(1))?),
    })
}

/// An object for `members`: required ones mostly set, others sometimes.
pub fn members(u: &mut Unstructured, members: &[Member], depth: u32) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    for m in members {
        let set = if m.required { u.ratio(15u8, 16)? } else { u.ratio(1u8, 3)? };
        if set {
            let v = if depth == 0 { Value::String(text(u)?) } else { value_for(u, m.ty, &m.rules, depth)? };
            map.insert(m.name.to_owned(), v);
        }
    }
    Ok(map)
}

/// Methods to sign, a few of them odd.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "get", ""];
/// URL schemes, a few of them broken.
pub const SCHEMES: &[&str] = &["https://", "http://", "", "HTTPS://", "ftp://", "://", "https:/", "https:///"];
/// Authorities, a few of them odd.
pub const HOSTS: &[&str] =
    &["kms.cn-north-4.myhuaweicloud.com", "127.0.0.1:8080", "[::1]:443", "", "user@host", "höst.example", "host:99999"];
/// Pieces of paths and queries: separators, escapes (valid or not), non-ASCII.
pub const URL_PIECES: &[&str] = &[
    "/",
    "/",
    "/",
    "?",
    "&",
    "=",
    "#",
    "%",
    "%2F",
    "%2f",
    "%20",
    "%25",
    "%E4%B8%AD",
    "%FF",
    "%C3",
    "%zz",
    "%4",
    "+",
    " ",
    "ü",
    "中",
    "😀",
    "..",
    ".",
    "v1",
    "secrets",
    "limit=10",
    "marker=",
    "://",
    "\u{0}",
    ";",
];
/// Header names, mostly those signing treats specially.
pub const HEADER_NAMES: &[&str] = &[
    "Host",
    "host",
    "Content-Type",
    "X-Sdk-Date",
    "x-sdk-date",
    "X-Sdk-Content-Sha256",
    "X-Sdk-Content-Sm3",
    "X-Security-Token",
    "X-Project-Id",
    "User-Agent",
    "X-Custom_Underscore",
    "Authorization",
    "",
];
/// Content types: JSON and BSON (hashed bodies) and others (`UNSIGNED-PAYLOAD`).
pub const CONTENT_TYPES: &[&str] =
    &["application/json", "application/json;charset=UTF-8", "APPLICATION/BSON", "text/plain", "", " application/json "];

/// A URL: usually scheme, authority and pieces of path and query; sometimes any text.
pub fn url(u: &mut Unstructured) -> arbitrary::Result<String> {
    if u.ratio(1u8, 8)? {
        return u.arbitrary();
    }
    let mut s = String::from(*u.choose(SCHEMES)?);
    s.push_str(if u.ratio(3u8, 4)? { u.choose(HOSTS)? } else { "" });
    for _ in 0..u.int_in_range(0u8..=10)? {
        if u.ratio(3u8, 4)? {
            s.push_str(u.choose(URL_PIECES)?);
        } else {
            s.push_str(&text(u)?);
        }
    }
    Ok(s)
}

/// A request to sign: any method, URL, headers (often those signing treats specially) and
/// body (empty, JSON or any bytes).
pub fn request_to_sign(u: &mut Unstructured) -> Result<HttpRequest> {
    let method = if u.ratio(3u8, 4)? { u.choose(METHODS)?.to_string() } else { u.arbitrary()? };
    let mut request = HttpRequest::new(method, url(u)?);
    for _ in 0..u.int_in_range(0u8..=5)? {
        let name = match u.int_in_range(0u8..=3)? {
            0 | 1 => u.choose(HEADER_NAMES)?.to_string(),
            _ => text(u)?,
        };
        let value = if name.eq_ignore_ascii_case("content-type") && u.ratio(3u8, 4)? {
            u.choose(CONTENT_TYPES)?.to_string()
        } else {
            text(u)?
        };
        request.headers.push((name, value));
    }
    request.body = match u.int_in_range(0u8..=2)? {
        0 => Vec::new(),
        1 => br#"{"secret_string":"x"}"#.to_vec(),
        _ => u.arbitrary()?,
    };
    Ok(request)
}

/// The access key of the signers: `AK`/`SK`, with a security token when `temporary`.
pub fn access_key(temporary: bool) -> AccessKey {
    let key = AccessKey::new("AK", "SK");
    if temporary {
        key.with_security_token("fuzz-token")
    } else {
        key
    }
}

/// The V11 scope of the signers.
pub fn scope() -> DerivedScope {
    DerivedScope { region: "cn-north-4".into(), service: "csms".into() }
}

/// One signer of each algorithm (in the order of `Algorithm::ALL`) for
/// [`access_key`]`(temporary)`, made once.
pub fn signers(temporary: bool) -> &'static [Signer] {
    static SIGNERS: OnceLock<[Vec<Signer>; 2]> = OnceLock::new();
    let all = SIGNERS.get_or_init(|| {
        [false, true].map(|temporary| {
            Algorithm::ALL
                .iter()
                .map(|&a| {
                    let scope = (a == Algorithm::V11HmacSha256).then(scope);
                    Signer::new(access_key(temporary), a, scope).expect("a signer for AK/SK")
                })
                .collect()
        })
    });
    &all[usize::from(temporary)]
}

/// The content-hash header of `algorithm` (`X-Sdk-Content-Sm3` for the SM3 ones).
pub fn content_header(algorithm: Algorithm) -> &'static str {
    if matches!(algorithm, Algorithm::HmacSm3 | Algorithm::Sm2Sm3) {
        "X-Sdk-Content-Sm3"
    } else {
        "X-Sdk-Content-Sha256"
    }
}

/// Whether the verifier may refuse what `algorithm` signed from `unsigned` (the request
/// before signing) with `error`: only when the caller gave the algorithm's content-hash
/// header itself, with a value that is neither the body's hash nor `UNSIGNED-PAYLOAD`
/// where the official SDKs send it.
pub fn may_refuse(unsigned: &HttpRequest, algorithm: Algorithm, error: &VerifyError) -> bool {
    unsigned.header(content_header(algorithm)).is_some()
        && matches!(error, VerifyError::PayloadHashMismatch | VerifyError::UnsignedPayloadNotAllowed)
}

/// A signing time: any i64, kept within 0..=253402300799 (years 1970 to 9999).
pub fn sdk_seconds(u: &mut Unstructured) -> Result<i64> {
    const MAX: i64 = 253_402_300_799;
    Ok(match u.int_in_range(0u8..=3)? {
        0 => 0,
        1 => MAX,
        _ => u.arbitrary::<i64>()?.rem_euclid(MAX + 1),
    })
}

/// A printable description of a request for assertion messages (the `Debug` of
/// `HttpRequest` hides the `Authorization` value, which is what we need to see).
pub fn describe(req: &csms_core::HttpRequest) -> String {
    let mut s = format!("method={:?}\nurl={:?}\n", req.method, req.url);
    for (k, v) in &req.headers {
        s.push_str(&format!("header {k:?}: {v:?}\n"));
    }
    s.push_str(&format!("body={:?}", String::from_utf8_lossy(&req.body)));
    s
}

/// Python's `str.strip()`, as the signer trims header values.
pub fn python_strip(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

//! The environment and the profile file, as pure functions of what the caller read.

use super::{provider_error, Provided};
use crate::config::region_endpoint;
use crate::credentials::AccessKey;
use crate::error::{Error, Result};
use crate::secret::SecretString;

/// A lookup of environment variables: the process environment in an application
/// (`|name| std::env::var(name).ok()`), a map in tests. The core never reads the
/// environment itself.
pub trait Lookup: Fn(&str) -> Option<String> {}
impl<F: Fn(&str) -> Option<String>> Lookup for F {}

/// The access key id.
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// The secret access key.
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// The security token of a temporary access key.
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// The project id.
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// The path of the profile file (instead of `~/.huaweicloud/credentials`).
pub const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";
/// The CSMS endpoint (the name the official rotation guide uses).
pub const ENV_ENDPOINT: &str = "CSMS_ENDPOINT";
/// The region, when no endpoint is given (this project's name; the official SDKs take the
/// region in code).
pub const ENV_REGION: &str = "HUAWEICLOUD_SDK_REGION";

/// A variable's value, `None` when unset or empty (as the official SDKs read them).
fn var(lookup: &impl Lookup, name: &str) -> Option<String> {
    lookup(name).filter(|v| !v.is_empty())
}

/// The credentials of the environment, as the official SDKs read them: `HUAWEICLOUD_SDK_AK`
/// and `HUAWEICLOUD_SDK_SK` (both required), `HUAWEICLOUD_SDK_SECURITY_TOKEN` (a temporary
/// key's token) and `HUAWEICLOUD_SDK_PROJECT_ID`. An unset or empty required variable is an
/// [`Error::Validation`] naming it.
///
/// ```
/// use csms_core::provider::env_credentials;
/// use csms_core::{Credentials, Error};
/// let env = |name: &str| (name == "HUAWEICLOUD_SDK_AK").then(|| "AK".to_owned());
/// let err = env_credentials(&env).unwrap_err();
/// assert!(matches!(err, Error::Validation { ref field, .. } if field == "HUAWEICLOUD_SDK_SK"));
/// ```
pub fn env_credentials(lookup: &impl Lookup) -> Result<Provided> {
    let missing = |name: &str| Error::validation(name, "is not set in the environment");
    let ak = var(lookup, ENV_AK).ok_or_else(|| missing(ENV_AK))?;
    let sk = SecretString::from(var(lookup, ENV_SK).ok_or_else(|| missing(ENV_SK))?);
    let mut key = AccessKey::new(ak, sk);
    if let Some(token) = var(lookup, ENV_SECURITY_TOKEN) {
        key = key.with_security_token(token);
    }
    let mut provided = Provided::new(key);
    provided.project_id = var(lookup, ENV_PROJECT_ID);
    Ok(provided)
}

/// The project id of a client configured from the environment: `HUAWEICLOUD_SDK_PROJECT_ID`,
/// else the one the credentials came with (a profile's `project_id`). Neither: an
/// [`Error::Validation`] naming `HUAWEICLOUD_SDK_PROJECT_ID`.
///
/// ```
/// use csms_core::provider::project_id;
/// let none = |_: &str| None;
/// assert_eq!(project_id(&none, Some("from-profile")).unwrap(), "from-profile");
/// assert!(project_id(&none, None).unwrap_err().to_string().contains("HUAWEICLOUD_SDK_PROJECT_ID"));
/// ```
pub fn project_id(lookup: &impl Lookup, provided: Option<&str>) -> Result<String> {
    var(lookup, ENV_PROJECT_ID)
        .or_else(|| provided.filter(|p| !p.is_empty()).map(str::to_owned))
        .ok_or_else(|| Error::validation(ENV_PROJECT_ID, "is not set, and the credentials name no project"))
}

/// The path of the profile file: `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else
/// `$HOME/.huaweicloud/credentials` (`%USERPROFILE%` when there is no `HOME`). `None`
/// when neither is set.
pub fn profile_path(lookup: &impl Lookup) -> Option<String> {
    if let Some(path) = var(lookup, ENV_CREDENTIALS_FILE) {
        return Some(path);
    }
    let home = var(lookup, "HOME").or_else(|| var(lookup, "USERPROFILE"))?;
    let sep = if home.contains('\\') && !home.contains('/') { '\\' } else { '/' };
    Some(format!("{}{sep}.huaweicloud{sep}credentials", home.trim_end_matches(['/', '\\'])))
}

/// Reads the official SDKs' profile file (`~/.huaweicloud/credentials`, an INI file as
/// Python's `configparser` reads it): the `[basic]` section's `ak`, `sk` (both required),
/// `security_token` and `project_id`; keys in any letter case, `=` or `:`, `#`/`;` comment
/// lines, `[DEFAULT]` values inherited. `path` only names the file in errors, which never
/// quote a value. Errors are [`Error::Credentials`] naming the provider `profile`.
///
/// ```
/// use csms_core::provider::parse_profile;
/// let text = "[basic]\nak = AK\nsk = SK\nproject_id = p1\n\n[global]\nak = G\nsk = GS\n";
/// let provided = parse_profile(text, "~/.huaweicloud/credentials").unwrap();
/// assert_eq!(provided.project_id.as_deref(), Some("p1"));
/// ```
pub fn parse_profile(text: &str, path: &str) -> Result<Provided> {
    let fail = |reason: String| provider_error("profile", format!("{path}: {reason}"));
    // (section, key, value) in order; continuation lines appended to the last value. The
    // values are copies of secrets: wiped when `entries` is dropped, on every path.
    let mut entries = Entries(Vec::new());
    let mut sections: Vec<String> = Vec::new();
    let mut section: Option<String> = None;
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        if indented {
            if let Some(last) = entries.last_mut().filter(|e| Some(&e.0) == section.as_ref()) {
                last.2.push('\n');
                last.2.push_str(line);
                continue;
            }
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if sections.iter().any(|s| s == name) {
                return Err(fail(format!("section [{name}] appears twice (line {})", number + 1)));
            }
            sections.push(name.to_owned());
            section = Some(name.to_owned());
            continue;
        }
        // `split_once`, not slicing: a slice brings a panic path that quotes the text.
        let Some((key, value)) = line.split_once(['=', ':']) else {
            return Err(fail(format!("line {} is neither `[section]` nor `key = value`", number + 1)));
        };
        let Some(current) = &section else {
            return Err(fail(format!("line {} comes before any `[section]`", number + 1)));
        };
        let key = key.trim().to_ascii_lowercase();
        if entries.iter().any(|(s, k, _)| s == current && *k == key) {
            return Err(fail(format!("`{key}` appears twice in [{current}] (line {})", number + 1)));
        }
        entries.push((current.clone(), key, value.trim().to_owned()));
    }
    if !sections.iter().any(|s| s == "basic") {
        return Err(fail("no [basic] section".to_owned()));
    }
    let get = |key: &str| {
        let in_section = |name: &str| entries.iter().find(|(s, k, _)| s == name && k == key);
        in_section("basic").or_else(|| in_section("DEFAULT")).map(|e| e.2.clone()).filter(|v| !v.is_empty())
    };
    let (Some(ak), Some(sk)) = (get("ak"), get("sk")) else {
        return Err(fail("[basic] lacks `ak` or `sk`".to_owned()));
    };
    let mut key = AccessKey::new(ak, SecretString::from(sk));
    if let Some(token) = get("security_token") {
        key = key.with_security_token(token);
    }
    let mut provided = Provided::new(key);
    provided.project_id = get("project_id");
    Ok(provided)
}

/// The entries of a profile file, wiped when dropped.
struct Entries(Vec<(String, String, String)>);

impl Drop for Entries {
    fn drop(&mut self) {
        for (_, _, value) in &mut self.0 {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

impl std::ops::Deref for Entries {
    type Target = Vec<(String, String, String)>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Entries {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// The CSMS endpoint, as the official SDKs and the rotation guide find it:
/// `CSMS_ENDPOINT`, else `HUAWEICLOUD_SDK_REGION_CSMS_<REGION>` (the region upper-cased,
/// `-` as `_`; of a comma-separated list, the first) for `region` (else
/// `HUAWEICLOUD_SDK_REGION`), else the region's public endpoint. Returns the endpoint and
/// the region (when known). Neither an endpoint nor a region: an [`Error::Validation`]
/// naming `CSMS_ENDPOINT`.
///
/// ```
/// use csms_core::provider::resolve_endpoint;
/// let env = |name: &str| (name == "HUAWEICLOUD_SDK_REGION_CSMS_CN_NORTH_4").then(|| "https://kms.example".to_owned());
/// let (endpoint, region) = resolve_endpoint(Some("cn-north-4"), &env).unwrap();
/// assert_eq!((endpoint.as_str(), region.as_deref()), ("https://kms.example", Some("cn-north-4")));
/// let none = |_: &str| None;
/// assert_eq!(resolve_endpoint(Some("ap-southeast-1"), &none).unwrap().0, "https://kms.ap-southeast-1.myhuaweicloud.com");
/// ```
pub fn resolve_endpoint(region: Option<&str>, lookup: &impl Lookup) -> Result<(String, Option<String>)> {
    let region = region.map(str::to_owned).or_else(|| var(lookup, ENV_REGION));
    if let Some(endpoint) = var(lookup, ENV_ENDPOINT) {
        return Ok((endpoint, region));
    }
    let Some(region) = region else {
        return Err(Error::validation(ENV_ENDPOINT, format!("is not set, nor is a region ({ENV_REGION})")));
    };
    let name = format!("HUAWEICLOUD_SDK_REGION_CSMS_{}", region.replace('-', "_").to_ascii_uppercase());
    let endpoint = match var(lookup, &name) {
        Some(list) => list.split(',').map(str::trim).find(|e| !e.is_empty()).unwrap_or_default().to_owned(),
        None => region_endpoint(&region)?,
    };
    Ok((endpoint, Some(region)))
}

//! Where requests go and who signs them.

use crate::credentials::{AccessKey, Credentials};
use crate::error::{Error, Result};
use crate::secret::SecretString;
use crate::signer::Algorithm;
use serde_json::Value;

/// The regions the official SDK lists for CSMS. Any other region name is accepted too:
/// the endpoint always follows `https://kms.{region}.myhuaweicloud.com`.
pub const REGIONS: [&str; 30] = [
    "cn-north-4",
    "cn-north-1",
    "cn-north-2",
    "cn-north-9",
    "cn-east-2",
    "cn-east-3",
    "cn-south-1",
    "cn-southwest-2",
    "ap-southeast-1",
    "ap-southeast-3",
    "ap-southeast-4",
    "la-south-2",
    "sa-brazil-1",
    "la-north-2",
    "ap-southeast-2",
    "na-mexico-1",
    "cn-south-2",
    "me-east-1",
    "tr-west-1",
    "ae-ad-1",
    "my-kualalumpur-1",
    "ru-moscow-1",
    "cn-east-5",
    "cn-east-4",
    "ap-southeast-5",
    "cn-north-12",
    "cn-north-11",
    "af-north-1",
    "cn-southwest-3",
    "af-south-1",
];

/// The user agent sent by default (Rust; each binding sets its own).
pub const DEFAULT_USER_AGENT: &str = concat!("csms-sdk-rust/", env!("CARGO_PKG_VERSION"));

/// The endpoint of a region: `https://kms.{region}.myhuaweicloud.com` (CSMS is served on
/// the KMS host).
///
/// ```
/// assert_eq!(csms_core::region_endpoint("cn-north-4").unwrap(), "https://kms.cn-north-4.myhuaweicloud.com");
/// assert!(csms_core::region_endpoint("cn north").is_err());
/// ```
pub fn region_endpoint(region: &str) -> Result<String> {
    let valid = !region.is_empty()
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if !valid {
        return Err(Error::validation(
            "region",
            format!("`{region}` is not a region name (lower-case letters, digits and `-`, such as cn-north-4)"),
        ));
    }
    Ok(format!("https://kms.{region}.myhuaweicloud.com"))
}

/// Checks an explicit endpoint (`https://host[:port]` or `http://host[:port]`) and returns
/// it without a trailing `/`.
fn check_endpoint(endpoint: &str) -> Result<String> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    let rest = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', ' ', '@']) => Ok(trimmed.to_owned()),
        _ => Err(Error::validation(
            "endpoint",
            format!("`{endpoint}` is not an endpoint of the form https://host[:port]"),
        )),
    }
}

/// A client's configuration.
///
/// ```
/// use csms_core::{AccessKey, Algorithm, Config};
/// let config = Config::for_region("cn-north-4", "project-id", AccessKey::new("AK", "SK"))
///     .unwrap()
///     .with_algorithm(Algorithm::HmacSm3);
/// assert_eq!(config.endpoint, "https://kms.cn-north-4.myhuaweicloud.com");
///
/// let local = Config::for_endpoint("http://127.0.0.1:8080", "project-id", AccessKey::new("AK", "SK")).unwrap();
/// assert_eq!(local.region, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `https://host[:port]`, no trailing slash.
    pub endpoint: String,
    /// The region, when known (V11-HMAC-SHA256 needs it).
    pub region: Option<String>,
    /// The project id, substituted for `{project_id}` and sent as `X-Project-Id`.
    pub project_id: String,
    /// Access key or IAM token.
    pub credentials: Credentials,
    /// Signing algorithm (ignored with a token).
    pub algorithm: Algorithm,
    /// Service name in V11-HMAC-SHA256 key derivation; `csms` by default.
    pub derived_service: String,
    /// The `User-Agent` header, or `None` to send none (browsers forbid setting it).
    pub user_agent: Option<String>,
}

impl Config {
    /// A configuration for a region's public endpoint.
    pub fn for_region(
        region: &str,
        project_id: impl Into<String>,
        credentials: impl Into<Credentials>,
    ) -> Result<Self> {
        let mut config = Config::for_endpoint(&region_endpoint(region)?, project_id, credentials)?;
        config.region = Some(region.to_owned());
        Ok(config)
    }

    /// A configuration for an explicit endpoint, such as a local emulator's `http://127.0.0.1:PORT`.
    pub fn for_endpoint(
        endpoint: &str,
        project_id: impl Into<String>,
        credentials: impl Into<Credentials>,
    ) -> Result<Self> {
        Ok(Config {
            endpoint: check_endpoint(endpoint)?,
            region: None,
            project_id: project_id.into(),
            credentials: credentials.into(),
            algorithm: Algorithm::HmacSha256,
            derived_service: "csms".to_owned(),
            user_agent: Some(DEFAULT_USER_AGENT.to_owned()),
        })
    }

    /// The same configuration with another signing algorithm.
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The same configuration with `suffix` appended to the user agent (`csms-sdk-rust/0.1.0; suffix`).
    pub fn with_user_agent_suffix(mut self, suffix: &str) -> Self {
        let base = self.user_agent.take().unwrap_or_else(|| DEFAULT_USER_AGENT.to_owned());
        self.user_agent = Some(format!("{base}; {suffix}"));
        self
    }

    /// The same configuration with the region set (for V11-HMAC-SHA256 with an explicit endpoint).
    pub fn with_region(mut self, region: &str) -> Result<Self> {
        region_endpoint(region)?;
        self.region = Some(region.to_owned());
        Ok(self)
    }
}

/// Client options as every binding receives them from its host language, with wire-style
/// names. Bindings turn their native options into this and call [`ClientOptions::into_config`],
/// so that every language checks them the same way.
///
/// Read from JSON by [`ClientOptions::from_json`] (see its example).
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Region id; the endpoint follows from it unless `endpoint` is given.
    pub region: Option<String>,
    /// Explicit endpoint.
    pub endpoint: Option<String>,
    /// Project id.
    pub project_id: Option<String>,
    /// Access key or token.
    pub credentials: Option<CredentialOptions>,
    /// Algorithm name, `SDK-HMAC-SHA256` by default.
    pub algorithm: Option<String>,
    /// Full user agent (the binding's own), or a suffix appended to it.
    pub user_agent: Option<String>,
    /// Service name for V11-HMAC-SHA256.
    pub derived_service: Option<String>,
}

/// Credentials as bindings receive them: `ak` + `sk` (+ `security_token`), or `auth_token`.
#[derive(Debug, Clone, Default)]
pub struct CredentialOptions {
    /// Access key id.
    pub ak: Option<String>,
    /// Secret access key.
    pub sk: Option<SecretString>,
    /// Security token of a temporary access key.
    pub security_token: Option<SecretString>,
    /// IAM token, sent as `X-Auth-Token`.
    pub auth_token: Option<SecretString>,
}

impl CredentialOptions {
    /// The credentials, or a validation error naming the member at fault.
    pub fn into_credentials(self) -> Result<Credentials> {
        match (self.ak, self.sk, self.auth_token) {
            (None, None, Some(token)) if self.security_token.is_none() => {
                if token.expose().is_empty() {
                    return Err(Error::validation("credentials.auth_token", "is empty"));
                }
                Ok(Credentials::Token(token))
            }
            (_, _, Some(_)) => {
                Err(Error::validation("credentials.auth_token", "give either ak and sk, or auth_token, not both"))
            }
            (Some(ak), Some(sk), None) => {
                if ak.is_empty() {
                    return Err(Error::validation("credentials.ak", "is empty"));
                }
                if sk.expose().is_empty() {
                    return Err(Error::validation("credentials.sk", "is empty"));
                }
                let key = AccessKey::new(ak, sk);
                Ok(Credentials::AccessKey(match self.security_token {
                    Some(t) => key.with_security_token(t),
                    None => key,
                }))
            }
            (None, _, None) => Err(Error::validation("credentials.ak", "is required (or give auth_token)")),
            (Some(_), None, None) => Err(Error::validation("credentials.sk", "is required")),
        }
    }
}

/// A member that must be text: `null` counts as absent.
fn text_member(value: &Value, field: &str) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(Error::validation(field, "must be a string")),
    }
}

/// The members of an object (`null` has none).
fn members_of<'a>(value: &'a Value, field: &str) -> Result<impl Iterator<Item = (&'a String, &'a Value)>> {
    match value {
        Value::Object(map) => Ok(Some(map.iter()).into_iter().flatten()),
        Value::Null => Ok(None.into_iter().flatten()),
        _ => Err(Error::validation(field, "must be an object")),
    }
}

impl ClientOptions {
    /// The options from a JSON object with their wire names (the one way every binding
    /// reads them): `null` counts as absent, and an unknown member or a value that is not
    /// text is refused, naming the member (`credentials.sk`).
    ///
    /// ```
    /// use serde_json::json;
    /// let options = csms_core::ClientOptions::from_json(&json!({
    ///     "endpoint": "http://127.0.0.1:8080", "project_id": "p", "credentials": {"ak": "AK", "sk": "SK"}
    /// })).unwrap();
    /// assert_eq!(options.into_config().unwrap().endpoint, "http://127.0.0.1:8080");
    /// let err = csms_core::ClientOptions::from_json(&json!({"credentials": {"sk": 5}})).unwrap_err();
    /// assert!(matches!(err, csms_core::Error::Validation { ref field, .. } if field == "credentials.sk"));
    /// ```
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut options = ClientOptions::default();
        for (key, v) in members_of(value, "options")? {
            let slot = match key.as_str() {
                "credentials" => {
                    let mut credentials = CredentialOptions::default();
                    for (key, v) in members_of(v, "credentials")? {
                        let field = format!("credentials.{key}");
                        let text = text_member(v, &field)?;
                        match key.as_str() {
                            "ak" => credentials.ak = text,
                            "sk" => credentials.sk = text.map(SecretString::from),
                            "security_token" => credentials.security_token = text.map(SecretString::from),
                            "auth_token" => credentials.auth_token = text.map(SecretString::from),
                            _ => return Err(Error::validation(field, "unknown option")),
                        }
                    }
                    options.credentials = Some(credentials).filter(|_| !v.is_null());
                    continue;
                }
                "region" => &mut options.region,
                "endpoint" => &mut options.endpoint,
                "project_id" => &mut options.project_id,
                "algorithm" => &mut options.algorithm,
                "user_agent" => &mut options.user_agent,
                "derived_service" => &mut options.derived_service,
                _ => return Err(Error::validation(key.as_str(), "unknown option")),
            };
            *slot = text_member(v, key)?;
        }
        Ok(options)
    }

    /// Checks the options and makes a [`Config`]. `default_user_agent` is the binding's
    /// own user agent (`csms-sdk-python/0.1.0`, ...).
    pub fn into_config_with_agent(self, default_user_agent: Option<&str>) -> Result<Config> {
        let credentials =
            self.credentials.ok_or_else(|| Error::validation("credentials", "is required"))?.into_credentials()?;
        let project_id = self.project_id.ok_or_else(|| Error::validation("project_id", "is required"))?;
        if project_id.is_empty() || project_id.contains(['/', '?', '#']) {
            return Err(Error::validation("project_id", "must be a non-empty id without `/`, `?` or `#`"));
        }
        let mut config = match (&self.endpoint, &self.region) {
            (Some(endpoint), region) => {
                let config = Config::for_endpoint(endpoint, project_id, credentials)?;
                match region {
                    Some(r) => config.with_region(r)?,
                    None => config,
                }
            }
            (None, Some(region)) => Config::for_region(region, project_id, credentials)?,
            (None, None) => return Err(Error::validation("region", "give a region or an endpoint")),
        };
        if let Some(name) = self.algorithm {
            config.algorithm = name.parse()?;
        }
        if let Some(service) = self.derived_service {
            config.derived_service = service;
        }
        config.user_agent = default_user_agent.map(str::to_owned);
        if let Some(ua) = self.user_agent {
            config = config.with_user_agent_suffix(&ua);
        }
        Ok(config)
    }

    /// [`ClientOptions::into_config_with_agent`] with the Rust user agent.
    pub fn into_config(self) -> Result<Config> {
        self.into_config_with_agent(Some(DEFAULT_USER_AGENT))
    }
}

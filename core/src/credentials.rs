//! Who is calling: an access key (permanent or temporary) or an IAM token.

use crate::config::check_header_value;
use crate::error::{Error, Result};
use crate::secret::SecretString;
use crate::signer::canonical::strip;

/// An access key: the AK identifies it, the SK signs with it.
///
/// Temporary access keys (from STS, an ECS agency, or a federated login) come with a
/// security token, sent as `X-Security-Token` and signed like any other header.
///
/// ```
/// use csms_core::AccessKey;
/// let key = AccessKey::new("AK", "SK").with_security_token("token");
/// assert!(format!("{key:?}").contains("\"***\""));
/// assert!(!format!("{key:?}").contains("SK\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The access key id (AK).
    pub ak: String,
    /// The secret access key (SK).
    pub sk: SecretString,
    /// The security token of a temporary access key.
    pub security_token: Option<SecretString>,
}

impl AccessKey {
    /// A permanent access key.
    pub fn new(ak: impl Into<String>, sk: impl Into<SecretString>) -> Self {
        AccessKey { ak: ak.into(), sk: sk.into(), security_token: None }
    }

    /// The same key, made temporary with its security token.
    pub fn with_security_token(mut self, token: impl Into<SecretString>) -> Self {
        self.security_token = Some(token.into());
        self
    }

    /// Checks the key before it signs: the AK (`credentials.ak`, sent in `Authorization`)
    /// and the security token (`credentials.security_token`, sent as `X-Security-Token`
    /// without the spaces around it) must be non-empty visible ASCII, and the SK
    /// (`credentials.sk`) must not be empty.
    /// [`Signer::new`](crate::Signer::new) calls it. Errors never quote the values.
    ///
    /// ```
    /// use csms_core::AccessKey;
    /// let err = AccessKey::new("AK", "SK").with_security_token("line\nbreak").validate().unwrap_err();
    /// assert!(!err.to_string().contains("break"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        check_header_value("credentials.ak", &self.ak, false)?;
        if self.sk.expose().is_empty() {
            return Err(Error::validation("credentials.sk", "is empty"));
        }
        match &self.security_token {
            // The signer sends it without the spaces around it, as the official signer does.
            Some(token) => check_header_value("credentials.security_token", strip(token.expose()), false),
            None => Ok(()),
        }
    }
}

/// The credentials a client signs or authenticates its requests with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Requests are signed with this access key (the usual case).
    AccessKey(AccessKey),
    /// Requests carry this IAM token as `X-Auth-Token` and are not signed.
    Token(SecretString),
}

impl Credentials {
    /// Checks the credentials: an access key as [`AccessKey::validate`] does, an IAM token
    /// (`credentials.auth_token`, sent as `X-Auth-Token`) as non-empty visible ASCII.
    /// Errors never quote the values.
    pub fn validate(&self) -> Result<()> {
        match self {
            Credentials::AccessKey(key) => key.validate(),
            Credentials::Token(token) => check_header_value("credentials.auth_token", token.expose(), false),
        }
    }
}

impl From<AccessKey> for Credentials {
    fn from(key: AccessKey) -> Self {
        Credentials::AccessKey(key)
    }
}

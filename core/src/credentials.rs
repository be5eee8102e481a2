//! Who is calling: an access key (permanent or temporary) or an IAM token.

use crate::secret::SecretString;

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
}

/// The credentials a client signs or authenticates its requests with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Requests are signed with this access key (the usual case).
    AccessKey(AccessKey),
    /// Requests carry this IAM token as `X-Auth-Token` and are not signed.
    Token(SecretString),
}

impl From<AccessKey> for Credentials {
    fn from(key: AccessKey) -> Self {
        Credentials::AccessKey(key)
    }
}

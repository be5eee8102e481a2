//! The core's [`csms_core::Paginator`] for the host: the input of each page of a List
//! operation from the result of the one before, no I/O (Kotlin: `client.pages(...)`,
//! `client.listSecretsPages(...)`, flows over `call`).

use crate::{guard, json, lock, CsmsException};
use std::sync::{Arc, Mutex};

/// Walks the pages of a List operation (`ListSecrets`, `ListSecretVersions`, ...): give the
/// input of [`Paginator::next_input`] to `call`, and its result to [`Paginator::advance`],
/// until `next_input` is null (no next marker, an empty page, a marker given before, or the
/// total reached).
#[derive(uniffi::Object)]
pub struct Paginator {
    inner: Mutex<csms_core::Paginator>,
}

#[uniffi::export]
impl Paginator {
    /// Pages of `operation` from `input_json` (wire names; it may hold a marker or offset
    /// already). An operation that does not page is `CsmsException.Validation` naming
    /// `operation`; input that is not a JSON object names `input`.
    #[uniffi::constructor]
    pub fn new(operation: String, input_json: String) -> Result<Arc<Self>, CsmsException> {
        guard(|| {
            let op = csms_core::operation(&operation)?;
            let pages = csms_core::Paginator::new(op, json(&input_json, "input")?)?;
            Ok(Arc::new(Paginator { inner: Mutex::new(pages) }))
        })
    }

    /// The input of the next page (JSON text), or null after the last one.
    pub fn next_input(&self) -> Option<String> {
        lock(&self.inner).next_input().map(|input| input.to_string())
    }

    /// Moves past the page whose result (the JSON text of `call`) is given.
    pub fn advance(&self, result_json: String) -> Result<(), CsmsException> {
        guard(|| {
            let result = json(&result_json, "result")?;
            lock(&self.inner).advance(&result);
            Ok(())
        })
    }
}

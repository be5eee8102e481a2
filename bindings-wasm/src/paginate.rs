//! Paging through List operations (`client.paginate` in js/index.js): the core's
//! [`Paginator`] behind the JavaScript async iterator, which does the calls.

use crate::{js_err, parse_json};
use csms_core::{json_text, operation, Paginator, Type};
use wasm_bindgen::prelude::*;

/// The pages of one List operation (`ListSecrets`, ...), from a first input (JSON text).
#[wasm_bindgen]
pub struct WasmPaginator {
    inner: Paginator,
}

#[wasm_bindgen]
impl WasmPaginator {
    /// Starts at `input` (JSON text of an object, or `null`); throws a validation error for
    /// an operation that does not page.
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str, input: &str) -> Result<WasmPaginator, JsValue> {
        let op = operation(name).map_err(js_err)?;
        let input = parse_json(input, "input")?;
        Ok(WasmPaginator { inner: Paginator::new(op, input).map_err(js_err)? })
    }

    /// The input of the next page (JSON text), or undefined after the last page.
    #[wasm_bindgen(js_name = nextInput)]
    pub fn next_input(&self) -> Option<String> {
        self.inner.next_input().map(json_text)
    }

    /// Moves past a page given its parsed result (JSON text).
    pub fn advance(&mut self, result: &str) -> Result<(), JsValue> {
        self.inner.advance(&parse_json(result, "result")?);
        Ok(())
    }

    /// The member of a page's result that holds its items: the operation's list member.
    #[wasm_bindgen(getter)]
    pub fn items(&self) -> String {
        let fields = self.inner.operation().output.fields;
        fields.iter().find(|m| matches!(m.ty, Type::List(_))).map_or("", |m| m.name).to_owned()
    }
}

//! Paging through List operations without doing I/O: the paginator gives the input of the
//! next page from the result of the previous one, and says when there is none.

use crate::error::{Error, Result};
use crate::operations::{OperationSpec, Pagination, Type};
use serde_json::{Map, Value};

/// Walks the pages of a List operation (`ListSecrets`, `ListSecretVersions`, ...).
///
/// ```
/// use csms_core::{operation, Paginator};
/// use serde_json::json;
///
/// let mut pages = Paginator::new(operation("ListSecrets").unwrap(), json!({"limit": "2"})).unwrap();
/// assert_eq!(pages.next_input(), Some(&json!({"limit": "2"})));
/// // ... build, send and parse that page, then hand its result over:
/// pages.advance(&json!({"secrets": [{"name": "a"}, {"name": "b"}], "page_info": {"next_marker": "b"}}));
/// assert_eq!(pages.next_input(), Some(&json!({"limit": "2", "marker": "b"})));
/// pages.advance(&json!({"secrets": [{"name": "c"}], "page_info": {}}));
/// assert_eq!(pages.next_input(), None);
/// ```
#[derive(Debug, Clone)]
pub struct Paginator {
    op: &'static OperationSpec,
    pagination: Pagination,
    /// Always a JSON object.
    input: Value,
    done: bool,
    /// Every marker sent so far (the starting one included): a server that hands one back
    /// again would have the pages go round forever.
    seen: Vec<String>,
}

impl Paginator {
    /// A paginator starting from `input` (which may already hold a marker or offset).
    /// Fails for operations that do not page.
    pub fn new(op: &'static OperationSpec, input: Value) -> Result<Self> {
        let pagination = op
            .pagination
            .ok_or_else(|| Error::validation("operation", format!("`{}` does not page through results", op.name)))?;
        let input = match input {
            Value::Object(_) => input,
            Value::Null => Value::Object(Map::new()),
            _ => return Err(Error::validation("input", "must be an object of members")),
        };
        let mut seen = Vec::new();
        if let Pagination::Marker { marker, .. } = pagination {
            if let Some(first) = input.get(marker).and_then(Value::as_str) {
                seen.push(first.to_owned());
            }
        }
        Ok(Paginator { op, pagination, input, done: false, seen })
    }

    /// The operation being paged.
    pub fn operation(&self) -> &'static OperationSpec {
        self.op
    }

    /// The input of the next page, or `None` after the last one.
    pub fn next_input(&self) -> Option<&Value> {
        (!self.done).then_some(&self.input)
    }

    fn set(&mut self, member: &str, value: Value) {
        if let Value::Object(map) = &mut self.input {
            map.insert(member.to_owned(), value);
        }
    }

    /// Moves to the page after the one whose parsed `result` is given. After the last page
    /// (no next marker, an empty page, a marker given before, or the total reached),
    /// [`Paginator::next_input`] returns `None`.
    pub fn advance(&mut self, result: &Value) {
        match self.pagination {
            Pagination::Marker { marker, next, .. } => {
                let next_marker = lookup(result, next).and_then(Value::as_str).filter(|m| !m.is_empty());
                match next_marker {
                    Some(m) if !self.seen.iter().any(|s| s == m) => {
                        self.seen.push(m.to_owned());
                        self.set(marker, Value::String(m.to_owned()))
                    }
                    _ => self.done = true,
                }
            }
            Pagination::Offset { offset, total, items, .. } => {
                let count = lookup(result, items).and_then(Value::as_array).map_or(0, Vec::len) as i64;
                let current = self.input.get(offset).and_then(as_int).unwrap_or(0);
                let total = lookup(result, total).and_then(as_int);
                // (No next offset beyond `i64::MAX`: the last page.)
                let next = current.checked_add(count);
                let Some(next) = next.filter(|&n| count > 0 && total.is_none_or(|t| n < t)) else {
                    self.done = true;
                    return;
                };
                let is_text = self.op.member(offset).is_some_and(|m| matches!(m.ty, Type::String));
                let value = if is_text { Value::String(next.to_string()) } else { Value::from(next) };
                self.set(offset, value);
            }
        }
    }
}

/// The value at a dotted path such as `page_info.next_marker`.
fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

fn as_int(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::operation;
    use serde_json::json;

    #[test]
    fn any_repeated_marker_ends_the_pages() {
        let op = operation("ListSecrets").unwrap();
        let page = |next: &str| json!({"secrets": [{"name": next}], "page_info": {"next_marker": next}});
        // a -> b -> a: not the same marker twice in a row, but a cycle.
        let mut pages = Paginator::new(op, json!({"limit": "1"})).unwrap();
        let mut sent = Vec::new();
        for next in ["a", "b", "a", "b"] {
            let Some(input) = pages.next_input() else { break };
            sent.push(input.get("marker").cloned());
            pages.advance(&page(next));
        }
        assert_eq!(sent, [None, Some(json!("a")), Some(json!("b"))]);
        assert_eq!(pages.next_input(), None);
        // The marker the walk started from counts as seen.
        let mut pages = Paginator::new(op, json!({"marker": "s"})).unwrap();
        pages.advance(&page("t"));
        pages.advance(&page("s"));
        assert_eq!(pages.next_input(), None);
    }

    #[test]
    fn an_offset_at_the_end_of_the_range_is_the_last_page() {
        let op = operation("ListResourceInstances").unwrap();
        let start = json!({"action": "filter", "offset": "9223372036854775807"});
        let mut pages = Paginator::new(op, start.clone()).unwrap();
        pages.advance(&json!({"resources": [{"resource_id": "a"}], "total_count": 5}));
        assert_eq!(pages.next_input(), None);
        let mut pages = Paginator::new(op, json!({"offset": "9223372036854775806"})).unwrap();
        pages.advance(&json!({"resources": [{"resource_id": "a"}]}));
        assert_eq!(pages.next_input(), Some(&json!({"offset": "9223372036854775807"})));
    }
}

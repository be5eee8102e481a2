//! Finding the operation of a request: method and path matched against the path templates
//! of the core's operation table.

use csms_core::{percent_decode, OperationSpec, OPERATIONS};
use std::sync::OnceLock;

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Must equal this text.
    Literal(&'static str),
    /// `{project_id}`.
    Project,
    /// `{member}`: any non-empty segment, percent-decoded into the member.
    Member(&'static str),
}

#[derive(Debug)]
struct Route {
    op: &'static OperationSpec,
    segments: Vec<Segment>,
}

fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        OPERATIONS
            .iter()
            .map(|op| Route {
                op,
                segments: op
                    .path
                    .trim_start_matches('/')
                    .split('/')
                    .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some("project_id") => Segment::Project,
                        Some(name) => Segment::Member(name),
                        None => Segment::Literal(s),
                    })
                    .collect(),
            })
            .collect()
    })
}

/// A request matched to an operation.
#[derive(Debug, Clone)]
pub(crate) struct Matched {
    /// The operation.
    pub op: &'static OperationSpec,
    /// The decoded `{project_id}` of the path, for operations that have one.
    pub project_id: Option<String>,
    /// The decoded path members, by name.
    pub members: Vec<(&'static str, String)>,
}

/// Why a request matched no operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoRoute {
    /// No operation has this path.
    NotFound,
    /// Operations have this path, with these other methods.
    WrongMethod(Vec<&'static str>),
}

/// Matches `method` and the raw (percent-encoded) `path` against the operation table.
///
/// Each path segment is percent-decoded before it is compared or taken as a member value.
/// When several templates match, the one whose first differing segment is a literal wins
/// (so `/secrets/batch-import` beats `/secrets/{secret_name}` for POST).
pub(crate) fn route(method: &str, path: &str) -> Result<Matched, NoRoute> {
    let path = if path.len() > 1 { path.strip_suffix('/').unwrap_or(path) } else { path };
    let Some(rest) = path.strip_prefix('/') else {
        return Err(NoRoute::NotFound);
    };
    let raw: Vec<&str> = rest.split('/').collect();
    let decoded: Vec<String> = raw.iter().map(|s| percent_decode(s)).collect();

    let mut best: Option<(&Route, Vec<bool>)> = None;
    let mut other_methods: Vec<&'static str> = Vec::new();
    for route in routes() {
        if route.segments.len() != decoded.len() {
            continue;
        }
        let fits = route.segments.iter().zip(&decoded).all(|(seg, value)| match seg {
            Segment::Literal(text) => value == text,
            Segment::Project | Segment::Member(_) => !value.is_empty(),
        });
        if !fits {
            continue;
        }
        if !route.op.method.eq_ignore_ascii_case(method) {
            if !other_methods.contains(&route.op.method) {
                other_methods.push(route.op.method);
            }
            continue;
        }
        let key: Vec<bool> = route.segments.iter().map(|s| matches!(s, Segment::Literal(_))).collect();
        if best.as_ref().is_none_or(|(_, best_key)| key > *best_key) {
            best = Some((route, key));
        }
    }
    let Some((route, _)) = best else {
        return Err(if other_methods.is_empty() {
            NoRoute::NotFound
        } else {
            other_methods.sort_unstable();
            NoRoute::WrongMethod(other_methods)
        });
    };
    let mut matched = Matched { op: route.op, project_id: None, members: Vec::new() };
    for (seg, value) in route.segments.iter().zip(decoded) {
        match seg {
            Segment::Literal(_) => {}
            Segment::Project => matched.project_id = Some(value),
            Segment::Member(name) => matched.members.push((name, value)),
        }
    }
    Ok(matched)
}

/// The `name=value` pairs of a raw query string, decoded, in order.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(method: &str, path: &str) -> Result<&'static str, NoRoute> {
        route(method, path).map(|m| m.op.name)
    }

    #[test]
    fn every_operation_routes_to_itself() {
        for op in OPERATIONS {
            let path = op.path.replace("{project_id}", "p1").replace('{', "x").replace('}', "");
            let path = path.replace("xsecret_name", "my-secret");
            assert_eq!(name(op.method, &path), Ok(op.name), "{}", op.path);
        }
    }

    #[test]
    fn literals_win_and_members_are_decoded() {
        assert_eq!(name("POST", "/v1/p/secrets/batch-import"), Ok("BatchImportSecrets"));
        assert_eq!(name("GET", "/v1/p/secrets/restore"), Ok("ShowSecret"));
        assert_eq!(name("GET", "/v1/p/csms/events/tags"), Ok("ShowSecretEvent"));
        let m = route("DELETE", "/v1/p%31/csms/sid/tags/k%20y%2F%C3%BC~%2B").unwrap();
        assert_eq!(m.op.name, "DeleteSecretTag");
        assert_eq!(m.project_id.as_deref(), Some("p1"));
        assert_eq!(m.members, vec![("secret_id", "sid".to_owned()), ("key", "k y/ü~+".to_owned())]);
        assert_eq!(name("GET", "/v1/p/nothing"), Err(NoRoute::NotFound));
        assert_eq!(name("PATCH", "/v1/p/secrets/s"), Err(NoRoute::WrongMethod(vec!["DELETE", "GET", "PUT"])));
        assert_eq!(name("GET", "/v1/p/secrets/"), Ok("ListSecrets"));
        assert_eq!(name("GET", "/v1//secrets"), Err(NoRoute::NotFound));
    }

    #[test]
    fn queries_decode() {
        assert_eq!(
            query_pairs("a=1&b=x%20y&c&&d=+"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "".into()),
                ("d".into(), "+".into())
            ]
        );
    }
}

//! What a web page may do with the emulator: the `Host` check that keeps pages of other
//! sites out through DNS rebinding, and CORS, off unless origins are configured.

use crate::errors::{codes, ApiError};
use crate::http::{WireRequest, WireResponse};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The `Host` values the emulator answers for.
///
/// - `IP:PORT` of the listening address, and `localhost:PORT`;
/// - when listening on an unspecified address (`0.0.0.0`, `::`), any IP literal with the
///   port (`127.0.0.1:PORT`, `[::1]:PORT`, `192.0.2.7:PORT`): a DNS-rebinding page always
///   sends its own host *name*, never an address;
/// - every configured allowed host, with any port (or none); `*` accepts any `Host`.
///
/// A `Host` without a port stands for port 80. HTTP/1.1 requires one `Host`; an HTTP/1.0
/// request may go without. The authority of an absolute-form target is checked too.
#[derive(Debug, Clone)]
pub(crate) struct HostCheck {
    listen: SocketAddr,
    allowed: Vec<String>,
    any: bool,
}

impl HostCheck {
    /// Accepts the hosts of `listen` and the `allowed` names.
    pub(crate) fn new(listen: SocketAddr, allowed: &[String]) -> Self {
        HostCheck {
            listen,
            allowed: allowed.iter().map(|h| h.to_ascii_lowercase()).collect(),
            any: allowed.iter().any(|h| h == "*"),
        }
    }

    /// `Ok` when `request` is addressed to this emulator; otherwise the error to answer
    /// (400 without `Host` or with several, 421 for another host).
    pub(crate) fn check(&self, request: &WireRequest) -> Result<(), ApiError> {
        let hosts: Vec<&str> =
            request.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("host")).map(|(_, v)| v.as_str()).collect();
        let host = match hosts.as_slice() {
            [] if request.http10 => None,
            [] => return Err(ApiError::new(400, codes::BAD_REQUEST, "The request is invalid: no Host header")),
            [one] => Some(*one),
            _ => return Err(ApiError::new(400, codes::BAD_REQUEST, "The request is invalid: several Host headers")),
        };
        let absolute = ["http://", "https://"]
            .iter()
            .find_map(|scheme| request.target.strip_prefix(scheme))
            .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
        for authority in host.into_iter().chain(absolute) {
            if !self.accepts(authority) {
                return Err(ApiError::new(
                    421,
                    codes::MISDIRECTED,
                    format!(
                        "The request is invalid: the emulator does not answer for host `{authority}`; use {} or \
                         localhost:{}, or start it with --allow-host",
                        self.listen,
                        self.listen.port()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether `authority` (`host[:port]`) names this emulator.
    pub(crate) fn accepts(&self, authority: &str) -> bool {
        if self.any {
            return true;
        }
        let authority = authority.to_ascii_lowercase();
        let Some((name, port)) = split_authority(&authority) else { return false };
        if self.allowed.iter().any(|a| *a == name || *a == authority) {
            return true;
        }
        if port.unwrap_or(80) != self.listen.port() {
            return false;
        }
        if name == "localhost" {
            return true;
        }
        let ip = match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
            Some(v6) => v6.parse::<Ipv6Addr>().map(IpAddr::V6),
            None => name.parse::<Ipv4Addr>().map(IpAddr::V4),
        };
        match ip {
            Ok(ip) => self.listen.ip().is_unspecified() || ip == self.listen.ip(),
            Err(_) => false,
        }
    }
}

/// `name[:port]` or `[v6][:port]` → (name, port); `None` when the port is not a number.
fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    let (name, port) = if authority.starts_with('[') {
        let end = authority.find(']')? + 1;
        let rest = &authority[end..];
        (&authority[..end], if rest.is_empty() { None } else { Some(rest.strip_prefix(':')?) })
    } else {
        match authority.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
        Some(_) => return None,
        None => None,
    };
    (!name.is_empty()).then_some((name, port))
}

/// The origins allowed to call the emulator from a web page; none (the default): CORS off.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cors {
    origins: Vec<String>,
    any: bool,
}

impl Cors {
    /// CORS for `origins` (`*` for any); empty: off.
    pub(crate) fn new(origins: &[String]) -> Self {
        Cors { origins: origins.to_vec(), any: origins.iter().any(|o| o == "*") }
    }

    /// Whether any origin is allowed (preflights are answered, headers added).
    pub(crate) fn is_on(&self) -> bool {
        !self.origins.is_empty()
    }

    /// The `Access-Control-Allow-Origin` for a request from `origin`, if it is allowed.
    fn allow_origin(&self, origin: Option<&str>) -> Option<String> {
        if self.any {
            return Some("*".into());
        }
        let origin = origin?;
        self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin)).then(|| origin.to_owned())
    }

    /// Adds the CORS headers of the answer to `request` (none when CORS is off or the
    /// origin is not allowed).
    pub(crate) fn decorate(&self, request: &WireRequest, response: &mut WireResponse) {
        if !self.is_on() {
            return;
        }
        if let Some(allow) = self.allow_origin(request.header("origin")) {
            response.header("Access-Control-Allow-Origin", allow);
            response.header("Access-Control-Expose-Headers", "X-Request-Id, Date");
        }
        if !self.any {
            response.header("Vary", "Origin");
        }
    }

    /// The answer to an `OPTIONS` request while CORS is on: a preflight allowing the four
    /// methods and whatever headers were asked for, or 403 for an origin not allowed.
    pub(crate) fn preflight(&self, request: &WireRequest) -> Result<WireResponse, ApiError> {
        let origin = request.header("origin");
        if self.allow_origin(origin).is_none() {
            return Err(ApiError::new(
                403,
                codes::FORBIDDEN,
                format!("The origin `{}` may not call the emulator; start it with --cors ORIGIN", origin.unwrap_or("")),
            ));
        }
        let headers = request.header("access-control-request-headers").filter(|h| !h.is_empty()).unwrap_or("*");
        let mut response = WireResponse { status: 200, headers: Vec::new(), body: Vec::new() };
        response.header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE");
        response.header("Access-Control-Allow-Headers", headers);
        response.header("Access-Control-Max-Age", "600");
        response.header("Vary", "Access-Control-Request-Headers");
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_host(host: Option<&str>, http10: bool) -> WireRequest {
        WireRequest {
            method: "GET".into(),
            target: "/".into(),
            headers: host.map(|h| vec![("Host".to_owned(), h.to_owned())]).unwrap_or_default(),
            http10,
            ..WireRequest::default()
        }
    }

    #[test]
    fn hosts_of_the_listening_address_and_localhost() {
        let check = HostCheck::new("127.0.0.1:8089".parse().unwrap(), &[]);
        for ok in ["127.0.0.1:8089", "localhost:8089", "LOCALHOST:8089"] {
            assert!(check.accepts(ok), "{ok}");
        }
        for bad in [
            "evil.example:8089",
            "localhost",
            "127.0.0.1",
            "127.0.0.1:8090",
            "127.0.0.2:8089",
            "[::1]:8089",
            "localhost.:8089",
            "127.0.0.1:80x",
            "",
            "localhost:",
        ] {
            assert!(!check.accepts(bad), "{bad}");
        }
        let v6 = HostCheck::new("[::1]:9000".parse().unwrap(), &[]);
        assert!(v6.accepts("[::1]:9000") && v6.accepts("localhost:9000") && !v6.accepts("127.0.0.1:9000"));
        let any = HostCheck::new("0.0.0.0:9000".parse().unwrap(), &[]);
        assert!(any.accepts("127.0.0.1:9000") && any.accepts("192.0.2.7:9000") && any.accepts("[::1]:9000"));
        assert!(!any.accepts("rebind.example:9000"));
        let proxied = HostCheck::new("127.0.0.1:9000".parse().unwrap(), &["CSMS.test".into()]);
        assert!(proxied.accepts("csms.test") && proxied.accepts("csms.test:443") && !proxied.accepts("other.test"));
        assert!(HostCheck::new("127.0.0.1:9000".parse().unwrap(), &["*".into()]).accepts("anything:1"));
    }

    #[test]
    fn requests_need_one_host_of_ours() {
        let check = HostCheck::new("127.0.0.1:8089".parse().unwrap(), &[]);
        assert!(check.check(&with_host(Some("127.0.0.1:8089"), false)).is_ok());
        assert!(check.check(&with_host(None, true)).is_ok());
        assert_eq!(check.check(&with_host(None, false)).unwrap_err().status, 400);
        let e = check.check(&with_host(Some("rebind.example:8089"), false)).unwrap_err();
        assert_eq!((e.status, e.code), (421, codes::MISDIRECTED));
        let mut absolute = with_host(Some("127.0.0.1:8089"), false);
        absolute.target = "http://rebind.example:8089/v1".into();
        assert_eq!(check.check(&absolute).unwrap_err().status, 421);
        let mut twice = with_host(Some("127.0.0.1:8089"), false);
        twice.headers.push(("host".into(), "127.0.0.1:8089".into()));
        assert_eq!(check.check(&twice).unwrap_err().status, 400);
    }

    #[test]
    fn cors_only_for_the_origins_given() {
        let mut request = with_host(Some("h"), false);
        request.headers.push(("Origin".into(), "http://localhost:3000".into()));
        let mut response = WireResponse { status: 200, headers: Vec::new(), body: Vec::new() };
        Cors::new(&[]).decorate(&request, &mut response);
        assert!(response.headers.is_empty());
        assert!(!Cors::new(&[]).is_on());

        let cors = Cors::new(&["http://localhost:3000".into()]);
        cors.decorate(&request, &mut response);
        assert!(response.headers.contains(&("Access-Control-Allow-Origin".into(), "http://localhost:3000".into())));
        assert!(cors.preflight(&request).is_ok());
        request.headers[1].1 = "http://evil.example".into();
        let mut response = WireResponse { status: 200, headers: Vec::new(), body: Vec::new() };
        cors.decorate(&request, &mut response);
        assert!(!response.headers.iter().any(|(k, _)| k == "Access-Control-Allow-Origin"));
        assert_eq!(cors.preflight(&request).unwrap_err().status, 403);
        assert!(Cors::new(&["*".into()]).preflight(&request).is_ok());
    }
}

// Redacted text forms of the generated records `Header`, `HttpRequest` and
// `ProvidedCredentials` (its SK and tokens as `***`) (the Kotlin
// binding's Redaction.kt does the same): the values of the credential headers
// (`Authorization`, `X-Security-Token`, `X-Auth-Token`, any spelling) print as `***`, and a
// request's body as its size only. `print`, string interpolation, `debugPrint` and `dump`
// use these; the fields themselves are unchanged.
// UNTESTED (written on Linux): compile it on macOS with `swift build` after ../build-xcframework.
import Foundation

/// Whether a header of this name carries a credential (its value is printed as `***`).
public func isCredentialHeader(_ name: String) -> Bool {
    ["authorization", "x-security-token", "x-auth-token"].contains(name.lowercased())
}

extension Header: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "Header(name: \(name), value: \(isCredentialHeader(name) ? "***" : value))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["name": name, "value": isCredentialHeader(name) ? "***" : value])
    }
}

extension HttpRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "HttpRequest(method: \(method), url: \(url), headers: \(headers), body: \(body.count) bytes)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["method": method, "url": url, "headers": headers, "body": "\(body.count) bytes"])
    }
}

extension ProvidedCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private static func hidden(_ value: String?) -> String { value == nil ? "nil" : "***" }
    public var description: String {
        "ProvidedCredentials(ak: \(ak ?? "nil"), sk: \(Self.hidden(sk)), securityToken: \(Self.hidden(securityToken)), "
            + "authToken: \(Self.hidden(authToken)), expiresAt: \(expiresAt.map { "\($0)" } ?? "nil"), projectId: \(projectId ?? "nil"))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["ak": ak ?? "nil", "sk": Self.hidden(sk), "securityToken": Self.hidden(securityToken),
                                "authToken": Self.hidden(authToken), "expiresAt": expiresAt as Any, "projectId": projectId as Any])
    }
}

// Typed client options (issue 18): `CsmsClient(region:projectId:credentials:...)` with labels, so
// that a misspelt option does not compile. One initializer for both kinds of credentials (fixed
// keys, or a provider: `CsmsCredentials`); its default values are the Swift binding's only copy
// of the defaults (tools/codegen/test_swift_client.py checks them against
// tests/parity/swift.json). The JSON initializer `CsmsClient(optionsJson:...)` stays as the
// low-level path.
// UNTESTED (written on Linux, no Swift toolchain): compile it on macOS with `swift build`.
import Foundation

/// What a typed `CsmsClient` takes as `credentials`: fixed keys (`ProvidedCredentials`) or a
/// provider (`CredentialProvider`: `EnvCredentials()`, `defaultCredentials()`, ...). Only these
/// two are accepted; another conforming type is `CsmsException.Validation` naming `credentials`.
public protocol CsmsCredentials {}

extension ProvidedCredentials: CsmsCredentials {}
extension CredentialProvider: CsmsCredentials {}

extension CsmsClient {
    /// A client for `region` (its endpoint, `https://csms.{region}.myhuaweicloud.com`) or
    /// `endpoint` (`https://host[:port]`) and `projectId` (the project of the secrets).
    ///
    /// - `credentials`: fixed keys, `ProvidedCredentials(ak: ..., sk: ...)` (with
    ///   `securityToken` for a temporary key) or `ProvidedCredentials(authToken: ...)`, which
    ///   must not expire (`expiresAt` nil) and whose `projectId` is used when `projectId` is
    ///   nil; or a provider (`EnvCredentials()`, `ProfileCredentials()`,
    ///   `MetadataCredentials()`, `FunctionCredentials { ... }`, `defaultCredentials()`),
    ///   whose credentials are fetched when due.
    /// - `algorithm`: the signing algorithm (`SDK-HMAC-SHA256`, `SDK-HMAC-SHA384`, ...).
    /// - `transport`: nil (the default) makes a `URLSessionTransport` with `connectTimeout`,
    ///   `timeout` and `maxResponseBytes`, which the client owns (its session is invalidated
    ///   when the client is freed); give your own to share one between clients, then
    ///   `connectTimeout`, `timeout` and `maxResponseBytes` are its own settings and unused
    ///   here (as in Kotlin); bound its calls with `withOptions(timeout:deadline:)`.
    /// - `timeout`: each attempt of the default transport, response body included; past it
    ///   the attempt fails as `CsmsException.Transport` with `timedOut`, retried as any timeout.
    /// - `maxAttempts` (1 = never retry, at most 100), `backoffBase` (the first retry's backoff,
    ///   doubling), `backoffCap` (the longest backoff), `maxRetryAfter` (the longest
    ///   `Retry-After` waited for): the retry policy, checked by the core.
    /// - `maxClockOffset` (0: never): the largest server clock offset followed.
    /// - `userAgent`, `derivedService`, `debugHook`: as in the JSON options.
    ///
    /// Durations are `TimeInterval` seconds. A wrong value is `CsmsException.Validation` whose
    /// `field` names the parameter (`projectId`, `maxAttempts`, `backoffCap`, ...).
    ///
    /// ```swift
    /// let client = try CsmsClient(region: "cn-north-4", projectId: "...",
    ///                             credentials: ProvidedCredentials(ak: "...", sk: "..."))
    /// ```
    public convenience init(
        region: String? = nil,
        endpoint: String? = nil,
        projectId: String? = nil,
        credentials: CsmsCredentials,
        algorithm: String = "SDK-HMAC-SHA256",
        transport: HttpTransport? = nil,
        userAgent: String? = nil,
        derivedService: String? = nil,
        maxAttempts: Int = 3,
        backoffBase: TimeInterval = 0.1,
        backoffCap: TimeInterval = 20.0,
        maxRetryAfter: TimeInterval = 60.0,
        maxClockOffset: TimeInterval = 86400.0,
        connectTimeout: TimeInterval = 10.0,
        timeout: TimeInterval = 60.0,
        maxResponseBytes: Int64 = 16_777_216,
        debugHook: DebugHook? = nil
    ) throws {
        let keys: ProvidedCredentials?
        let provider: CredentialProvider?
        switch credentials {
        case let given as ProvidedCredentials:
            if given.expiresAt != nil {
                throw CsmsException.Validation(
                    field: "credentials",
                    reason: "fixed credentials cannot expire (expiresAt is set): give FunctionCredentials { ... } instead")
            }
            keys = given
            provider = nil
        case let given as CredentialProvider:
            keys = nil
            provider = given
        default:
            throw CsmsException.Validation(
                field: "credentials",
                reason: "must be ProvidedCredentials or a CredentialProvider, not \(type(of: credentials))")
        }
        let options = CsmsClientOptions(
            region: region, endpoint: endpoint, projectId: projectId ?? keys?.projectId, algorithm: algorithm,
            transport: transport, userAgent: userAgent, derivedService: derivedService, maxAttempts: maxAttempts,
            backoffBase: backoffBase, backoffCap: backoffCap, maxRetryAfter: maxRetryAfter,
            maxClockOffset: maxClockOffset, connectTimeout: connectTimeout, timeout: timeout,
            maxResponseBytes: maxResponseBytes, debugHook: debugHook)
        let client = try options.client(keys: keys, provider: provider)
        self.init(unsafeFromHandle: client.uniffiCloneHandle())
    }
}

/// The typed initializer's options but the credentials, checked and turned into the JSON
/// initializer's (which checks the retry policy with the core's bounds).
struct CsmsClientOptions {
    let region: String?
    let endpoint: String?
    let projectId: String?
    let algorithm: String
    let transport: HttpTransport?
    let userAgent: String?
    let derivedService: String?
    let maxAttempts: Int
    let backoffBase: TimeInterval
    let backoffCap: TimeInterval
    let maxRetryAfter: TimeInterval
    let maxClockOffset: TimeInterval
    let connectTimeout: TimeInterval
    let timeout: TimeInterval
    let maxResponseBytes: Int64
    let debugHook: DebugHook?

    func client(keys: ProvidedCredentials?, provider: CredentialProvider?) throws -> CsmsClient {
        var json: [String: Any] = ["algorithm": algorithm]
        json["region"] = region
        json["endpoint"] = endpoint
        json["project_id"] = projectId
        json["user_agent"] = userAgent
        json["derived_service"] = derivedService
        json["max_clock_offset_ms"] = try csmsMillis("maxClockOffset", maxClockOffset)
        if let keys = keys {
            var credentials: [String: Any] = [:]
            credentials["ak"] = keys.ak
            credentials["sk"] = keys.sk
            credentials["security_token"] = keys.securityToken
            credentials["auth_token"] = keys.authToken
            json["credentials"] = credentials
        }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)
        let transport: HttpTransport
        if let given = self.transport {
            transport = given
        } else {
            // Checked before the transport's preconditions could stop the process.
            for (field, value) in [("connectTimeout", connectTimeout), ("timeout", timeout)]
            where !(value.isFinite && value > 0 && value <= 86400) {
                throw CsmsException.Validation(field: field, reason: "must be above 0 s and at most a day, not \(value) s")
            }
            guard maxResponseBytes > 0 else {
                throw CsmsException.Validation(field: "maxResponseBytes", reason: "must be above 0, not \(maxResponseBytes)")
            }
            // Owned by the client: freed with it, which invalidates the session it made.
            transport = URLSessionTransport(connectTimeout: connectTimeout, requestTimeout: timeout,
                                            maxResponseBytes: maxResponseBytes)
        }
        return try csmsRenamed {
            try CsmsClient(optionsJson: text, transport: transport, maxAttempts: Int32(clamping: maxAttempts),
                           backoffBaseMillis: try csmsMillis("backoffBase", backoffBase),
                           maxRetryAfterMillis: try csmsMillis("maxRetryAfter", maxRetryAfter),
                           debugHook: debugHook, credentials: provider,
                           backoffCapMillis: try csmsMillis("backoffCap", backoffCap))
        }
    }
}

/// `seconds` in whole milliseconds (rounded), or `CsmsException.Validation` naming `field`
/// when it is not a finite number from 0 (the range is then checked by the core).
func csmsMillis(_ field: String, _ seconds: TimeInterval) throws -> Int64 {
    guard seconds.isFinite, seconds >= 0, seconds < 9e15 else {
        throw CsmsException.Validation(field: field, reason: "must be a finite number of seconds from 0, not \(seconds)")
    }
    return Int64((seconds * 1000).rounded())
}

/// `csmsMillis` for an optional value (nil stays nil).
func csmsOptionalMillis(_ field: String, _ seconds: TimeInterval?) throws -> Int64? {
    guard let seconds = seconds else { return nil }
    return try csmsMillis(field, seconds)
}

/// The Swift names of the fields the JSON initializer and `withSettings` name in their
/// validation errors (the core's snake_case names).
let csmsFieldNames: [String: String] = [
    "project_id": "projectId",
    "credentials.ak": "credentials",
    "credentials.sk": "credentials",
    "credentials.security_token": "credentials",
    "credentials.auth_token": "credentials",
    "user_agent": "userAgent",
    "derived_service": "derivedService",
    "service": "derivedService",
    "max_clock_offset_ms": "maxClockOffset",
    "max_attempts": "maxAttempts",
    "backoff_base": "backoffBase",
    "backoff_cap": "backoffCap",
    "max_retry_after": "maxRetryAfter",
    "timeout": "timeout",
    "deadline": "deadline",
    "max_entries": "maxEntries",
    "max_stale": "maxStale",
]

/// Runs `make`, renaming the field of a `CsmsException.Validation` to its Swift name.
func csmsRenamed<T>(_ make: () throws -> T) throws -> T {
    do {
        return try make()
    } catch CsmsException.Validation(let field, let reason) {
        let bare = field.hasPrefix("options.") ? String(field.dropFirst("options.".count)) : field
        throw CsmsException.Validation(field: csmsFieldNames[bare] ?? bare, reason: reason)
    }
}

// One error model (issue 18): the same kinds and field names as every other binding
// (tests/parity/swift.json; tools/codegen/test_swift_client.py checks this file against it).
// `CsmsException`'s cases are uniffi's; `kind`, `message` and the fields are read here, and
// `errorDescription` (LocalizedError) is the core's message text (`generate swift` makes the
// generated conformance return `exceptionMessage(error:)`).
// UNTESTED (written on Linux, no Swift toolchain): compile it on macOS with `swift build`.
import Foundation

extension CsmsException {
    /// What went wrong, as every binding names it.
    public enum Kind: String, Sendable, CaseIterable {
        /// The input or an option was refused before anything was sent (`field`, `reason`).
        case validation
        /// The server answered with an error status (`status`, `errorCode`, `errorMsg`, ...).
        case api
        /// A 2xx response whose body is not what the operation returns.
        case decode
        /// No response (`maybeSent`, `timedOut`, `notRetried`).
        case transport
        /// A credential provider failed or gave something unusable (`provider`, `reason`).
        case credentials
        /// A rotation stopped (`step`, `reason`).
        case rotation
        /// A bug in the binding or the core, a panic included (please report it).
        case `internal`
    }

    /// The kind of this error.
    public var kind: Kind {
        switch self {
        case .Validation: return .validation
        case .Api: return .api
        case .Decode: return .decode
        case .Transport: return .transport
        case .Credentials: return .credentials
        case .Rotation: return .rotation
        case .Internal: return .`internal`
        }
    }

    /// The core's message text, as in every binding (``invalid `secret_name`: ...``,
    /// `CSMS error 404 CSMS.0106: ... (request id ...)`); also `localizedDescription`.
    public var message: String { exceptionMessage(error: self) }

    /// `validation`: the member or option at fault.
    public var field: String? {
        if case let .Validation(field, _) = self { return field }
        return nil
    }

    /// Why: every kind but `api`.
    public var reason: String? {
        switch self {
        case let .Validation(_, reason): return reason
        case let .Decode(reason, _, _): return reason
        case let .Transport(reason, _, _, _): return reason
        case let .Credentials(_, reason): return reason
        case let .Rotation(_, reason): return reason
        case let .Internal(reason): return reason
        case .Api: return nil
        }
    }

    /// `api`, `decode`: the HTTP status.
    public var status: Int32? {
        switch self {
        case let .Api(status, _, _, _, _, _, _, _, _): return status
        case let .Decode(_, status, _): return status
        default: return nil
        }
    }

    /// `api`: the service's error code (`CSMS.0106`).
    public var errorCode: String? {
        if case let .Api(_, errorCode, _, _, _, _, _, _, _) = self { return errorCode }
        return nil
    }

    /// `api`: the service's error message.
    public var errorMsg: String? {
        if case let .Api(_, _, errorMsg, _, _, _, _, _, _) = self { return errorMsg }
        return nil
    }

    /// `api`, `decode`: the response's request id (empty without one).
    public var requestId: String? {
        switch self {
        case let .Api(_, _, _, requestId, _, _, _, _, _): return requestId
        case let .Decode(_, _, requestId): return requestId
        default: return nil
        }
    }

    /// `api`, `transport`: why a failure that is normally retried was not (nil when it was, or
    /// when it is never retried).
    public var notRetried: String? {
        switch self {
        case let .Api(_, _, _, _, notRetried, _, _, _, _): return notRetried
        case let .Transport(_, _, notRetried, _): return notRetried
        default: return nil
        }
    }

    /// `api`: the response's `Retry-After`, in seconds (nil without one).
    public var retryAfter: TimeInterval? {
        if case let .Api(_, _, _, _, _, retryAfter, _, _, _) = self { return retryAfter }
        return nil
    }

    /// `api`, a refused signature (401 `APIGW.0301`): the canonical request the client signed
    /// (tokens as `***`, never the SK).
    public var canonicalRequest: String? {
        if case let .Api(_, _, _, _, _, _, canonicalRequest, _, _) = self { return canonicalRequest }
        return nil
    }

    /// `api`, a refused signature: the string the client signed.
    public var stringToSign: String? {
        if case let .Api(_, _, _, _, _, _, _, stringToSign, _) = self { return stringToSign }
        return nil
    }

    /// `transport`: the request may have reached the server.
    public var maybeSent: Bool? {
        if case let .Transport(_, maybeSent, _, _) = self { return maybeSent }
        return nil
    }

    /// `transport`: a timeout ended the attempt or the call.
    public var timedOut: Bool? {
        if case let .Transport(_, _, _, timedOut) = self { return timedOut }
        return nil
    }

    /// `credentials`: the provider that failed (`environment`, `profile`, `metadata`,
    /// `default chain`, or the name given to `FunctionCredentials`).
    public var provider: String? {
        if case let .Credentials(provider, _) = self { return provider }
        return nil
    }

    /// `rotation`: the step that stopped (`probe`, `create`, `apply`, `test`, `finish`, `wait`).
    public var step: String? {
        if case let .Rotation(step, _) = self { return step }
        return nil
    }
}

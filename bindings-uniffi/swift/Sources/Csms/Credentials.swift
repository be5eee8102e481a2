// Credential providers (issue 15), as in Kotlin's Credentials.kt: factories named as the
// providers they make over the generated `CredentialProvider`, and `CsmsClient.fromEnv` with a
// metadata transport of its own (3-second timeouts, no proxy, no redirects).
// UNTESTED (written on Linux): compile it on macOS with `swift build` after ../build-xcframework.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, `HUAWEICLOUD_SDK_SECURITY_TOKEN` and
/// `HUAWEICLOUD_SDK_PROJECT_ID` from `env`, else the process environment, read at each fetch.
public func EnvCredentials(env: [String: String]? = nil) -> CredentialProvider {
    CredentialProvider.environment(env: env)
}

/// The official SDKs' profile file (`[basic]`, read-only): `path`, else
/// `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`.
public func ProfileCredentials(path: String? = nil, env: [String: String]? = nil) -> CredentialProvider {
    CredentialProvider.profile(path: path, env: env)
}

/// Temporary keys from the instance metadata service: `endpoint`, else
/// `CSMS_METADATA_ENDPOINT`, else `http://169.254.169.254`.
public func MetadataCredentials(endpoint: String? = nil, env: [String: String]? = nil) -> CredentialProvider {
    CredentialProvider.metadata(transport: MetadataHttp.transport, endpoint: endpoint, env: env)
}

/// Credentials from your own `function`, called `name` in errors; what it throws, or
/// credentials that make no sense, end the call with `CsmsException.Credentials` naming it.
public func FunctionCredentials(name: String = "function",
                                _ function: @escaping @Sendable () async throws -> ProvidedCredentials) -> CredentialProvider {
    CredentialProvider.function(function: ClosureCredentials(function), name: name)
}

/// The default chain: the environment, the profile file, the metadata service.
public func defaultCredentials(env: [String: String]? = nil) -> CredentialProvider {
    CredentialProvider.chain(transport: MetadataHttp.transport, env: env)
}

extension CsmsClient {
    /// A client configured from the environment (`env`, else the process's) as the official
    /// SDKs are; the credentials are fetched at once, so a missing variable fails here.
    public static func fromEnv(region: String? = nil, env: [String: String]? = nil, transport: HttpTransport? = nil,
                               maxAttempts: Int32? = nil, backoffBaseMillis: Int64? = nil,
                               maxRetryAfterMillis: Int64? = nil, debugHook: DebugHook? = nil) async throws -> CsmsClient {
        try await CsmsClient.fromEnv(metadataTransport: MetadataHttp.transport, region: region, env: env,
                                     transport: transport, maxAttempts: maxAttempts,
                                     backoffBaseMillis: backoffBaseMillis, maxRetryAfterMillis: maxRetryAfterMillis,
                                     debugHook: debugHook)
    }
}

private final class ClosureCredentials: CredentialFunction, @unchecked Sendable {
    private let function: @Sendable () async throws -> ProvidedCredentials
    init(_ function: @escaping @Sendable () async throws -> ProvidedCredentials) { self.function = function }
    func credentials() async throws -> ProvidedCredentials { try await function() }
}

/// Refuses every redirect (the metadata service never redirects; a redirect is not followed).
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

/// The transport of every metadata provider of the process.
enum MetadataHttp {
    static let transport: URLSessionTransport = {
        let timeout = Double(metadataTimeoutMillis()) / 1000
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        config.connectionProxyDictionary = [:]
        let session = URLSession(configuration: config, delegate: NoRedirects(), delegateQueue: nil)
        return URLSessionTransport(session: session, maxResponseBytes: 1 << 20)
    }()
}

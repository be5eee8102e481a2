// The default Swift transport: URLSession (connect 10 s, whole request 60 s by default, both
// configurable), Task.sleep between attempts. `CsmsException`'s message is the core's:
// `exceptionMessage(error:)`. Failures are `CsmsException.Transport`, with `timedOut` true
// for `URLError.timedOut` only. It reads at most `maxResponseBytes` of a response's body
// (16 MiB by default, the core's), as Kotlin's JavaHttpTransport does: a larger
// `Content-Length` is refused before reading, and reading stops (the task is cancelled) as soon
// as the body passes the limit, with `CsmsException.Transport` (maybe sent, not timed out, not
// retried: `notRetried` says why).
// UNTESTED (written on Linux): compile it on macOS with `swift build` after ../build-xcframework.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

public final class URLSessionTransport: HttpTransport, @unchecked Sendable {
    private let session: URLSession
    /// Whether this transport made its session (then it invalidates it when freed).
    private let ownsSession: Bool
    /// The longest response body read, in bytes.
    public let maxResponseBytes: Int64

    /// `connectTimeout`: URLSession has no connect timeout of its own; it bounds the time
    /// without data (connect included). `requestTimeout`: the whole request. `maxResponseBytes`:
    /// the longest response body read (must be positive, as Kotlin's `require`).
    public init(session: URLSession? = nil,
                connectTimeout: TimeInterval = Double(defaultConnectTimeoutMillis()) / 1000,
                requestTimeout: TimeInterval = Double(defaultRequestTimeoutMillis()) / 1000,
                maxResponseBytes: Int64 = defaultMaxResponseBytes()) {
        precondition(maxResponseBytes > 0, "maxResponseBytes must be positive, not \(maxResponseBytes)")
        self.maxResponseBytes = maxResponseBytes
        self.ownsSession = session == nil
        if let session = session {
            self.session = session
        } else {
            let config = URLSessionConfiguration.ephemeral
            config.timeoutIntervalForRequest = connectTimeout
            config.timeoutIntervalForResource = requestTimeout
            self.session = URLSession(configuration: config)
        }
    }

    /// Invalidates the session this transport made (a typed `CsmsClient` that made this
    /// transport frees it with itself); a session given to it is left alone.
    deinit {
        if ownsSession { session.invalidateAndCancel() }
    }

    /// The `notRetried` of a request URLSession refuses before sending anything (a URL it
    /// cannot use): resending it cannot help, so the call ends at once.
    public static let unsendable = "the HTTP stack refused the request before sending it; resending it cannot help"

    public func send(request: HttpRequest) async throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw CsmsException.Transport(reason: "invalid URL \(request.url)", maybeSent: false,
                                          notRetried: URLSessionTransport.unsendable, timedOut: false)
        }
        var r = URLRequest(url: url)
        r.httpMethod = request.method
        for h in request.headers where h.name.lowercased() != "host" && h.name.lowercased() != "content-length" {
            r.addValue(h.value, forHTTPHeaderField: h.name)
        }
        if !request.body.isEmpty { r.httpBody = request.body }
        let tooLarge = CsmsException.Transport(reason: "the response body exceeded \(maxResponseBytes) bytes", maybeSent: true,
                                               notRetried: "a response over the limit would be over it again", timedOut: false)
        do {
            #if canImport(FoundationNetworking)
            // swift-corelibs-foundation has no URLSession.bytes: the body is checked once read.
            let (data, response) = try await session.data(for: r)
            if Int64(data.count) > maxResponseBytes { throw tooLarge }
            #else
            let (bytes, response) = try await session.bytes(for: r)
            // expectedContentLength is -1 when there is no Content-Length.
            if response.expectedContentLength > maxResponseBytes {
                bytes.task.cancel()
                throw tooLarge
            }
            var data = Data()
            if response.expectedContentLength > 0 { data.reserveCapacity(Int(response.expectedContentLength)) }
            for try await byte in bytes {
                if Int64(data.count) >= maxResponseBytes {
                    bytes.task.cancel()  // closes the connection
                    throw tooLarge
                }
                data.append(byte)
            }
            #endif
            guard let http = response as? HTTPURLResponse else {
                throw CsmsException.Transport(reason: "not an HTTP response", maybeSent: true, notRetried: nil, timedOut: false)
            }
            var headers: [Header] = []
            for (k, v) in http.allHeaderFields {
                headers.append(Header(name: "\(k)", value: "\(v)"))
            }
            return HttpResponse(status: Int32(clamping: http.statusCode), headers: headers, body: data)
        } catch let e as URLError {
            // A request URLSession refuses before sending anything: resending it cannot help.
            let refused: Set<URLError.Code> = [.badURL, .unsupportedURL]
            let notSent: Set<URLError.Code> = refused.union([.cannotFindHost, .cannotConnectToHost, .dnsLookupFailed, .notConnectedToInternet])
            // `.timedOut`: URLSession cannot tell a connect timeout from a later one, so it may have been sent.
            throw CsmsException.Transport(reason: e.localizedDescription, maybeSent: !notSent.contains(e.code),
                                          notRetried: refused.contains(e.code) ? URLSessionTransport.unsendable : nil,
                                          timedOut: e.code == .timedOut)
        }
    }

    /// Throws when the task is cancelled (the call then ends with that error, as a
    /// `CsmsException.Transport` that may have been sent).
    public func sleep(millis: Int64) async throws {
        try await Task.sleep(nanoseconds: UInt64(max(0, millis)) * 1_000_000)
    }
}

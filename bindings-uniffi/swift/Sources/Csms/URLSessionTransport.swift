// The default Swift transport: URLSession (connect 10 s, each request 60 s by default, both
// configurable), Task.sleep between attempts. `CsmsException`'s message is the core's:
// `exceptionMessage(error:)`. Failures are `CsmsException.Transport`, with `timedOut` true
// for `URLError.timedOut` and the connect timeout. It reads at most `maxResponseBytes` of a response's body
// (16 MiB by default, the core's), as Kotlin's JavaHttpTransport does: a larger
// `Content-Length` is refused before reading, and reading stops (the task is cancelled) as soon
// as the body passes the limit, with `CsmsException.Transport` (maybe sent, not timed out, not
// retried: `notRetried` says why).
//
// Connect timeout: URLSession has none (its `timeoutIntervalForRequest` is an idle timeout,
// here the request timeout). A timer cancels a task that shows no sign of a connection within
// `connectTimeout` (signs: the TLS server-trust challenge of a new connection, request body
// bytes sent, or the response), which then fails with `timedOut` and `maybeSent` false unless
// the task's metrics say its request started. A request without a body on a connection that is
// reused shows no sign before its response: for it, `connectTimeout` also bounds the wait for
// the response's headers (then `maybeSent` is true). swift-corelibs-foundation (Linux) has no
// task delegate: there only the idle timeout applies.
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
    /// The longest wait for a sign of a connection (see the file's comment), in seconds.
    public let connectTimeout: TimeInterval

    /// `connectTimeout`: the connect phase (a timer of this transport's: URLSession has none),
    /// for a `session` of yours too. `requestTimeout`: each request, body included (the
    /// session's `timeoutIntervalForRequest` and `timeoutIntervalForResource`; unused with a
    /// `session` of yours, which has its own). `maxResponseBytes`: the longest response body
    /// read. Non-positive values are a `precondition` failure (as Kotlin's `require`).
    public init(session: URLSession? = nil,
                connectTimeout: TimeInterval = Double(defaultConnectTimeoutMillis()) / 1000,
                requestTimeout: TimeInterval = Double(defaultRequestTimeoutMillis()) / 1000,
                maxResponseBytes: Int64 = defaultMaxResponseBytes()) {
        precondition(maxResponseBytes > 0, "maxResponseBytes must be positive, not \(maxResponseBytes)")
        precondition(connectTimeout > 0 && requestTimeout > 0, "timeouts must be positive")
        self.maxResponseBytes = maxResponseBytes
        self.connectTimeout = connectTimeout
        self.ownsSession = session == nil
        if let session = session {
            self.session = session
        } else {
            let config = URLSessionConfiguration.ephemeral
            config.timeoutIntervalForRequest = requestTimeout  // idle: the connect timer bounds connecting
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
        #if canImport(FoundationNetworking)
        do {
            // swift-corelibs-foundation has no URLSession.bytes and no task delegate: the body is
            // checked once read, and the idle timeout is the only one.
            let (data, response) = try await session.data(for: r)
            if Int64(data.count) > maxResponseBytes { throw tooLarge }
            return try URLSessionTransport.response(response, data)
        } catch let e as URLError {
            throw URLSessionTransport.failure(e, started: nil)
        }
        #else
        let watch = ConnectWatch()
        let prepared = r  // a constant for the child task
        let nanos = UInt64(min(connectTimeout, 86_400) * 1_000_000_000)
        do {
            return try await withThrowingTaskGroup(of: HttpResponse?.self, returning: HttpResponse.self) { group in
                group.addTask { try await self.exchange(prepared, watch: watch) }
                group.addTask {
                    try await Task.sleep(nanoseconds: nanos)
                    // No sign of a connection in time: this error cancels the exchange.
                    if watch.expire() { throw ConnectTimedOut() }
                    return nil  // connected in time: the exchange goes on alone
                }
                while let next = try await group.next() {
                    if let response = next {
                        group.cancelAll()  // the timer
                        return response
                    }
                }
                throw CancellationError()  // both children ended without a response: cancelled
            }
        } catch is ConnectTimedOut {
            throw CsmsException.Transport(reason: "no connection within the connect timeout of \(connectTimeout) s",
                                          maybeSent: watch.requestStarted ?? false, notRetried: nil, timedOut: true)
        } catch let e as URLError {
            throw URLSessionTransport.failure(e, started: watch.requestStarted)
        }
        #endif
    }

    /// The failure an attempt ends with when the body passes `maxResponseBytes`.
    private var tooLarge: CsmsException {
        CsmsException.Transport(reason: "the response body exceeded \(maxResponseBytes) bytes", maybeSent: true,
                                notRetried: "a response over the limit would be over it again", timedOut: false)
    }

    #if !canImport(FoundationNetworking)
    /// Sends `request` and reads the response, telling `watch` when the response came.
    private func exchange(_ request: URLRequest, watch: ConnectWatch) async throws -> HttpResponse? {
        let (bytes, response) = try await session.bytes(for: request, delegate: watch)
        watch.connected()
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
        return try URLSessionTransport.response(response, data)
    }
    #endif

    /// The `HttpResponse` of `response` with `body`.
    private static func response(_ response: URLResponse, _ body: Data) throws -> HttpResponse {
        guard let http = response as? HTTPURLResponse else {
            throw CsmsException.Transport(reason: "not an HTTP response", maybeSent: true, notRetried: nil, timedOut: false)
        }
        var headers: [Header] = []
        for (k, v) in http.allHeaderFields {
            headers.append(Header(name: "\(k)", value: "\(v)"))
        }
        return HttpResponse(status: Int32(clamping: http.statusCode), headers: headers, body: body)
    }

    /// The `CsmsException.Transport` of a URLSession failure; `started`: whether the task's
    /// metrics say its request started (nil: unknown).
    private static func failure(_ e: URLError, started: Bool?) -> CsmsException {
        // A request URLSession refuses before sending anything: resending it cannot help.
        let refused: Set<URLError.Code> = [.badURL, .unsupportedURL]
        let notSent: Set<URLError.Code> = refused.union([.cannotFindHost, .cannotConnectToHost, .dnsLookupFailed, .notConnectedToInternet])
        // `.timedOut` (the idle timeout): sent unless the metrics say the request never started.
        let maybeSent = !notSent.contains(e.code) && (e.code != .timedOut || started != false)
        return CsmsException.Transport(reason: e.localizedDescription, maybeSent: maybeSent,
                                       notRetried: refused.contains(e.code) ? URLSessionTransport.unsendable : nil,
                                       timedOut: e.code == .timedOut)
    }

    /// Throws when the task is cancelled (the call then ends with that error, as a
    /// `CsmsException.Transport` that may have been sent).
    public func sleep(millis: Int64) async throws {
        try await Task.sleep(nanoseconds: UInt64(max(0, millis)) * 1_000_000)
    }
}

/// The connect timer's error (never leaves this file).
private struct ConnectTimedOut: Error {}

#if !canImport(FoundationNetworking)
/// The task delegate of one exchange: notes the signs of a connection and, from the task's
/// metrics, whether its request started.
private final class ConnectWatch: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var isConnected = false
    private var started: Bool?

    /// Whether the task's request started (its metrics, once collected; nil before).
    var requestStarted: Bool? {
        lock.lock(); defer { lock.unlock() }
        return started
    }

    /// A sign of a connection: the timer will not fire.
    func connected() {
        lock.lock(); defer { lock.unlock() }
        isConnected = true
    }

    /// Called by the timer: true (the task is to be cancelled) when no sign came in time.
    func expire() -> Bool {
        lock.lock(); defer { lock.unlock() }
        return !isConnected
    }

    // A new TLS connection: the TCP connection is up. Handled as URLSession would.
    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        if challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust { connected() }
        completionHandler(.performDefaultHandling, nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64,
                    totalBytesSent: Int64, totalBytesExpectedToSend: Int64) {
        connected()
    }

    // Delivered before the task completes (a cancelled one included).
    func urlSession(_ session: URLSession, task: URLSessionTask, didFinishCollecting metrics: URLSessionTaskMetrics) {
        let began = metrics.transactionMetrics.contains { $0.requestStartDate != nil }
        lock.lock(); defer { lock.unlock() }
        started = began
    }
}
#endif

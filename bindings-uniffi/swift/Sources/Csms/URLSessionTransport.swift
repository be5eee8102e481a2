// The default Swift transport: URLSession (connect 10 s, whole request 60 s by default, both
// configurable), Task.sleep between attempts. `CsmsException`'s message is the core's:
// `exceptionMessage(error:)`. Failures are `CsmsException.Transport`, with `timedOut` true
// for `URLError.timedOut` only.
// UNTESTED (written on Linux): compile it on macOS with `swift build` after ../build-xcframework.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

public final class URLSessionTransport: HttpTransport, @unchecked Sendable {
    private let session: URLSession

    /// `connectTimeout`: URLSession has no connect timeout of its own; it bounds the time
    /// without data (connect included). `requestTimeout`: the whole request.
    public init(session: URLSession? = nil,
                connectTimeout: TimeInterval = Double(defaultConnectTimeoutMillis()) / 1000,
                requestTimeout: TimeInterval = Double(defaultRequestTimeoutMillis()) / 1000) {
        if let session = session {
            self.session = session
        } else {
            let config = URLSessionConfiguration.ephemeral
            config.timeoutIntervalForRequest = connectTimeout
            config.timeoutIntervalForResource = requestTimeout
            self.session = URLSession(configuration: config)
        }
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
        do {
            let (data, response) = try await session.data(for: r)
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

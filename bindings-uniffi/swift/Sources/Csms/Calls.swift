// Per-call settings and cancellation (issue 18). Every typed operation (Operations.swift), the
// pagination streams (Pagination.swift) and `invoke` go through `invoke`, which passes the
// task's cancellation on to the Rust call: a cancelled task's call stops where it is (the
// transport's `send` or `sleep` in flight is dropped, so uniffi cancels the task running it and
// with it the URLSession task), is not retried, and throws `CancellationError`.
// UNTESTED (written on Linux, no Swift toolchain): compile it on macOS with `swift build`.
import Foundation

extension CsmsClient {
    /// Calls `operation` (by name, input and result as JSON text with wire names), as `call`
    /// does, with the current task's cancellation passed on: when the task is cancelled (before
    /// or during the call), the call ends at once without another attempt and this throws
    /// `CancellationError`. The typed operations (`showSecret(...)`, ...) use it.
    public func invoke(operation: String, inputJson: String = "{}") async throws -> String {
        let cancel = CancelHandle()
        return try await withTaskCancellationHandler {
            do {
                return try await self.callCancellable(operation: operation, inputJson: inputJson, cancel: cancel)
            } catch {
                // Whatever the Rust call ended with, a cancelled task's call ends as cancelled.
                if cancel.isCancelled() || Task.isCancelled { throw CancellationError() }
                throw error
            }
        } onCancel: {
            cancel.cancel()
        }
    }

    /// A view of this client for some calls: the same options, transport, credentials, clock
    /// offset and debug hook, with
    /// - `timeout`: each attempt's timeout (on top of the transport's own; past it, the attempt
    ///   is cancelled and fails as `CsmsException.Transport` with `timedOut`, retried as any
    ///   timeout, the same error as the client-wide `timeout`),
    /// - `maxAttempts`: attempts per call (1 to 100),
    /// - `deadline`: the whole call, retries and backoff included (each attempt's timeout is
    ///   cut to what is left; no retry whose wait would pass it; past it the call ends with
    ///   `CsmsException.Transport`, `timedOut` set and `notRetried` saying so).
    ///
    /// nil keeps this client's. Durations are seconds; `timeout` and `deadline` from 1 ms to a
    /// day. A wrong value is `CsmsException.Validation` naming `timeout`, `maxAttempts` or
    /// `deadline`. Cheap: use it per call, and let it go (this client stays as it is).
    ///
    /// ```swift
    /// let secret = try await client.withOptions(timeout: 5, deadline: 12).showSecret(secretName: "db")
    /// ```
    public func withOptions(timeout: TimeInterval? = nil, maxAttempts: Int? = nil,
                            deadline: TimeInterval? = nil) throws -> CsmsClient {
        try csmsRenamed {
            try self.withSettings(maxAttempts: maxAttempts.map { Int32(clamping: $0) },
                                  timeoutMillis: try csmsOptionalMillis("timeout", timeout),
                                  deadlineMillis: try csmsOptionalMillis("deadline", deadline))
        }
    }
}

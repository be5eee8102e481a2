// Rotation in one call (issue 17), as Kotlin's Rotation.kt: closures over the generated
// `RotationCallbacks` and `CsmsClient.rotateWithCallbacks`; the state machine is the core's,
// run in the native library with the client's call loop.
// UNTESTED (written on Linux): compile it on macOS with `swift build` after ../build-xcframework.
import Foundation

extension CsmsClient {
    /// Rotates `secretName`: resumes a rotation an earlier run left half way, else stores a
    /// new value as `SYSPENDING` (`generate`'s password, else CSMS's `GenerateRandomPassword`),
    /// has `apply(newValue, previousValue)` make the target accept it (idempotent: it may run
    /// again with the same value after a crash), `test`s it when given, then moves
    /// `SYSCURRENT` to it. `strategy`: `single-user` or `alternating-users`. A throwing
    /// callback or a refused test: `CsmsException.Rotation(step:reason:)`.
    ///
    /// ```swift
    /// let result = try await client.rotate(secretName: "db-password",
    ///                                      apply: { new, old in try await database.alterPassword(new, old) },
    ///                                      test: { new in try await database.canLogIn(new) })
    /// ```
    public func rotate(secretName: String, strategy: String = "single-user",
                       generate: (@Sendable () async throws -> String)? = nil,
                       apply: @escaping @Sendable (String, String) async throws -> Void,
                       test: (@Sendable (String) async throws -> Bool)? = nil) async throws -> RotationResult {
        try await rotateWithCallbacks(secretName: secretName,
                                      callbacks: ClosureRotation(generate: generate, apply: apply, test: test),
                                      clock: UptimeClock(), strategy: strategy,
                                      generates: generate != nil, tests: test != nil, taskDeadlineMillis: nil)
    }
}

private final class ClosureRotation: RotationCallbacks, @unchecked Sendable {
    private let generating: (@Sendable () async throws -> String)?
    private let applying: @Sendable (String, String) async throws -> Void
    private let testing: (@Sendable (String) async throws -> Bool)?

    init(generate: (@Sendable () async throws -> String)?, apply: @escaping @Sendable (String, String) async throws -> Void,
         test: (@Sendable (String) async throws -> Bool)?) {
        generating = generate
        applying = apply
        testing = test
    }

    func apply(newValue: String, previousValue: String) async throws { try await applying(newValue, previousValue) }
    func test(newValue: String) async throws -> Bool { try await testing?(newValue) ?? true }
    func generate() async throws -> String {
        guard let generating else {
            throw CsmsException.Validation(field: "generate", reason: "this rotation has no generator")
        }
        return try await generating()
    }
}

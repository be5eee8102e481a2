// The secret cache (issue 16), as Kotlin's SecretCache.kt: the core's rules run in the native
// `NativeSecretCache` with the client's own call loop; this class gives the monotonic clock
// (`DispatchTime`), keeps the typed `Version` of each version it decoded, and feeds `changes`.
// A hit is a synchronous native call (`hit`, a plain C call in Swift) and a dictionary lookup.
// UNTESTED (written on Linux): compile it on macOS with `swift build` after ../build-xcframework.
import Dispatch
import Foundation

/// A cache of secret values in front of a client: reads follow a stage (`SYSCURRENT` by
/// default) through a pointer refreshed every `ttl` seconds (each expiry drawn in
/// `[ttl/2, ttl)`), values are fetched once per version, concurrent reads of a cold entry make
/// one request (a cancelled task leaves it to another), and a service outage serves the last
/// value for up to `maxStale` seconds (nil: no limit). A 404 or 403 is thrown, never hidden.
///
/// ```swift
/// let cache = try SecretCache(client: client, ttl: 300)
/// let password = try await cache.getSecretString("db-password")
/// ```
public final class SecretCache: @unchecked Sendable {
    private let native: NativeSecretCache
    private let lock = NSLock()
    private var models: [String: [(id: String, version: Version)]] = [:]
    private let maxEntries: Int
    private let continuation: AsyncStream<StageChange>.Continuation

    /// Every move of a stage of a cached secret to another version, as the cache sees it
    /// (at most 64 buffered for a slow reader, the oldest dropped).
    public let changes: AsyncStream<StageChange>

    /// Out-of-range settings throw `CsmsException.Validation` naming `ttl` (more than 0, at
    /// most a day), `maxEntries` or `maxStale`.
    public init(client: CsmsClient, ttl: TimeInterval = 300, maxEntries: Int32 = 1024,
                maxStale: TimeInterval? = 86400) throws {
        var continuation: AsyncStream<StageChange>.Continuation?
        changes = AsyncStream(bufferingPolicy: .bufferingNewest(64)) { continuation = $0 }
        self.continuation = continuation!
        self.maxEntries = Int(max(maxEntries, 1))
        let relay = Relay(self.continuation)
        native = try csmsRenamed {
            try NativeSecretCache(client: client, clock: UptimeClock(), ttlMillis: try csmsMillis("ttl", ttl),
                                  maxEntries: maxEntries, maxStaleMillis: try csmsOptionalMillis("maxStale", maxStale),
                                  listener: relay)
        }
    }

    /// The version of `name` carrying `stage` (its value in `secretString` or `secretBinary`).
    public func get(_ name: String, stage: String = "SYSCURRENT") async throws -> Version {
        try await read(name, stage: stage, versionId: nil)
    }

    /// The version `versionId` of `name` (cached until evicted: versions do not change).
    public func getVersion(_ name: String, versionId: String) async throws -> Version {
        try await read(name, stage: "SYSCURRENT", versionId: versionId)
    }

    /// The text value of `name` at `stage`; nil when the secret holds binary data.
    public func getSecretString(_ name: String, stage: String = "SYSCURRENT") async throws -> String? {
        try await get(name, stage: stage).secretString
    }

    /// Asks the service now (unless it was asked less than a second ago) and returns the
    /// current version: for the moment the application learns its value stopped working.
    public func refresh(_ name: String) async throws -> Version {
        try model(name, try await native.refresh(name: name))
    }

    /// `SYSCURRENT`, then `SYSPREVIOUS` and `SYSPENDING` when they exist, each once.
    public func accepted(_ name: String) async throws -> [Version] {
        try await native.accepted(name: name).map { try model(name, $0) }
    }

    /// Forgets every cached value.
    public func clear() {
        native.clear()
        lock.withLock { models.removeAll() }
    }

    /// Forgets every cached value and ends `changes`.
    public func close() {
        clear()
        continuation.finish()
    }

    private func read(_ name: String, stage: String, versionId: String?) async throws -> Version {
        let now = Int64(bitPattern: DispatchTime.now().uptimeNanoseconds)
        if let id = try native.hit(name: name, stage: stage, versionId: versionId, nowNanos: now),
           let known = known(name, id) {
            return known
        }
        return try model(name, try await native.get(name: name, stage: stage, versionId: versionId))
    }

    private func known(_ name: String, _ id: String) -> Version? {
        lock.withLock { models[name]?.first { $0.id == id }?.version }
    }

    private func model(_ name: String, _ secret: CachedSecret) throws -> Version {
        let id = secret.versionId()
        if let known = known(name, id) { return known }
        let decoded = try csmsDecode(ShowSecretVersionResult.self, operation: "ShowSecretVersion",
                                     json: secret.resultJson())
        guard let version = decoded.version else {
            throw CsmsException.Decode(reason: "the ShowSecretVersion answer has no `version`", status: 200, requestId: "")
        }
        return lock.withLock {
            var versions = models[name] ?? []
            if let other = versions.first(where: { $0.id == id }) { return other.version }
            versions.insert((id, version), at: 0)
            models[name] = Array(versions.prefix(8))
            if models.count > maxEntries, let other = models.keys.first(where: { $0 != name }) {
                models.removeValue(forKey: other)
            }
            return version
        }
    }
}

/// The monotonic clock the native cache and rotation read (and `SecretCache.read` gives `hit`).
final class UptimeClock: MonotonicClock, @unchecked Sendable {
    func nanos() -> Int64 { Int64(bitPattern: DispatchTime.now().uptimeNanoseconds) }
}

private final class Relay: ChangeListener, @unchecked Sendable {
    private let continuation: AsyncStream<StageChange>.Continuation
    init(_ continuation: AsyncStream<StageChange>.Continuation) { self.continuation = continuation }
    func onChange(change: StageChange) throws { continuation.yield(change) }
}

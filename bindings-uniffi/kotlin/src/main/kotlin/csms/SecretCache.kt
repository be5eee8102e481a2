package csms

import java.lang.ref.Cleaner
import kotlin.time.Duration
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.asSharedFlow

/**
 * A cache of secret values in front of [client] (issue 16): reads follow a stage (`SYSCURRENT` by
 * default) through a pointer refreshed every [ttl] (each expiry drawn in `[ttl/2, ttl)`), values
 * are fetched once per version, concurrent reads of a cold entry make one request (a cancelled
 * reader leaves it to another), and a service outage serves the last value for up to [maxStale]
 * (null: no limit), refreshes backing off from 1 s to 5 min. A 404 or 403 is raised, never hidden.
 * At most [maxEntries] secrets, least recently used evicted. The rules are the core's
 * (`csms_core::cache`), run in the native library with the client's own call loop; this class
 * gives the clock (`System.nanoTime`), keeps the typed [Version] of each version it decoded, and
 * feeds [changes]. A hit costs one JNA direct-mapped native call (the core's lookup) and a map
 * lookup, no JSON and no uniffi marshalling (see `csms_uniffi_cache_hit`); a miss takes the
 * suspend path.
 *
 * ```kotlin
 * val cache = SecretCache(client, ttl = 5.minutes)
 * val password = cache.getSecretString("db-password")
 * ```
 *
 * Out-of-range settings are `CsmsException.Validation` naming `ttl` (more than 0, at most a day;
 * whole milliseconds), `maxEntries` or `maxStale`. [close] forgets everything; a read after it
 * throws `IllegalStateException`.
 */
class SecretCache(
    client: CsmsClient,
    ttl: Duration = CsmsDefaults.ttl,
    maxEntries: Int = CsmsDefaults.maxEntries,
    maxStale: Duration? = CsmsDefaults.maxStale,
) : AutoCloseable {
    private val moves = MutableSharedFlow<StageChange>(extraBufferCapacity = 64, onBufferOverflow = BufferOverflow.DROP_OLDEST)

    /**
     * Every move of a stage of a cached secret to another version, as the cache sees it (after a
     * TTL, a [refresh] or any read that asked the service). A hot flow: collectors see the moves
     * made while they collect (at most 64 buffered for a slow one, the oldest dropped).
     */
    val changes: SharedFlow<StageChange> = moves.asSharedFlow()

    private val native = renamed {
        NativeSecretCache(
            client,
            NanoClock,
            ttl.inWholeMilliseconds,
            maxEntries,
            maxStale?.inWholeMilliseconds,
            object : ChangeListener {
                override fun onChange(change: StageChange) {
                    moves.tryEmit(change)
                }
            },
        )
    }

    /** A strong reference to [native] for the fast path, dropped once this cache is unreachable. */
    private val handle: Long = native.uniffiCloneHandle().also { h ->
        CLEANER.register(this) { DirectNative.cacheRelease(h) }
    }

    @Volatile private var closed = false

    /** The typed versions decoded so far, per secret (the versions the native cache may answer with). */
    private val models = object : LinkedHashMap<String, ArrayDeque<Pair<String, Version>>>(16, 0.75f, true) {
        override fun removeEldestEntry(eldest: MutableMap.MutableEntry<String, ArrayDeque<Pair<String, Version>>>) =
            size > maxOf(maxEntries, 1)
    }

    /** The version of [name] carrying [stage] (its value in `secretString` or `secretBinary`). */
    suspend fun get(name: String, stage: String = CURRENT): Version = read(name, stage, null)

    /** The version [versionId] of [name] (cached until evicted: versions do not change). */
    suspend fun getVersion(name: String, versionId: String): Version = read(name, CURRENT, versionId)

    /** The text value of [name] at [stage]; null when the secret holds binary data. */
    suspend fun getSecretString(name: String, stage: String = CURRENT): String? = get(name, stage).secretString

    /**
     * Asks the service now (unless it was asked less than a second ago; one request however many
     * call it at once) and returns the current version: for the moment the application learns its
     * value stopped working (a refused database login, say).
     */
    suspend fun refresh(name: String): Version = model(name, native.refresh(name))

    /**
     * The versions a verifier accepts during a rotation: `SYSCURRENT`, then `SYSPREVIOUS` and
     * `SYSPENDING` when they exist, each once.
     */
    suspend fun accepted(name: String): List<Version> = native.accepted(name).map { model(name, it) }

    /** Forgets every cached value. */
    fun clear() {
        native.clear()
        synchronized(models) { models.clear() }
    }

    /** Forgets every cached value and frees the native cache; do not use the cache after. */
    override fun close() {
        closed = true
        clear()
        native.close()
    }

    override fun toString(): String = "SecretCache(${native.len()} secrets)"

    private suspend fun read(name: String, stage: String, versionId: String?): Version {
        check(!closed) { "this SecretCache is closed" }
        hit(name, stage, versionId)?.let { id -> known(name, id)?.let { return it } }
        return try {
            model(name, native.get(name, stage, versionId))
        } catch (e: CsmsException.Api) {
            // The native cache dropped what it had (a deleted secret, a revoked access): so does this one.
            if (e.status == 403 || e.status == 404) synchronized(models) { models.remove(name) }
            throw e
        }
    }

    /** The id of the version the core answers with from memory, null when it needs the service. */
    private fun hit(name: String, stage: String, versionId: String?): String? {
        val n = name.toByteArray()
        val s = if (stage == CURRENT) CURRENT_BYTES else stage.toByteArray()
        val v = versionId?.toByteArray()
        val out = ByteArray(ID_BYTES)
        val length = DirectNative.cacheHit(handle, n, s, v, System.nanoTime(), out)
        return if (length < 0) null else String(out, 0, length)
    }

    private fun known(name: String, id: String): Version? =
        synchronized(models) { models[name]?.firstOrNull { it.first == id }?.second }

    /** The typed version of [secret] (decoded once per version), and frees the native handle. */
    private fun model(name: String, secret: CachedSecret): Version = secret.use {
        val id = it.versionId()
        known(name, id) ?: run {
            val version = ShowSecretVersionResult.fromJson(it.resultJson()).version
                ?: throw CsmsException.Decode("the ShowSecretVersion answer has no `version`", 200, "")
            synchronized(models) {
                val versions = models.getOrPut(name) { ArrayDeque() }
                // A reader that decoded it meanwhile: keep one object per version.
                versions.firstOrNull { v -> v.first == id }?.let { v -> return v.second }
                versions.addFirst(id to version)
                while (versions.size > MAX_VERSIONS) versions.removeLast()
            }
            version
        }
    }

    private companion object {
        const val CURRENT = "SYSCURRENT"
        val CURRENT_BYTES = CURRENT.toByteArray()
        /** The longest version id the fast path returns (a longer one takes the suspend path). */
        const val ID_BYTES = 128
        val CLEANER: Cleaner = Cleaner.create()
        /** The versions kept per secret, as the core's `MAX_VERSIONS`. */
        const val MAX_VERSIONS = 8
    }
}

/** The monotonic clock the native cache and rotation read: `System.nanoTime()`. */
internal object NanoClock : MonotonicClock {
    override fun nanos(): Long = System.nanoTime()
}

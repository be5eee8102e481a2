@file:Suppress("FunctionName") // factories named as the class they make, like a constructor

package csms

import kotlin.time.Duration
import kotlin.time.Duration.Companion.days
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/*
 * Typed client options (issue 18): `CsmsClient(region = ..., projectId = ..., credentials = ...)`
 * with named arguments, so that a misspelt option does not compile. Two factories, one per kind
 * of credentials (fixed keys, or a provider); the rest of their parameters are the same. The JSON
 * constructor `CsmsClient(optionsJson, transport, ...)` stays as the low-level path.
 */

/**
 * The default of every option, in the units the options take: the typed [CsmsClient]
 * factories, [CsmsClient.withOptions] and [SecretCache] take their default values from here,
 * and the parity test compares them with `tests/parity/kotlin.json`, the same defaults as every
 * other binding.
 */
object CsmsDefaults {
    /** The signing algorithm of the official SDKs. */
    const val algorithm: String = "SDK-HMAC-SHA256"
    /** Attempts per call, the first included (1 = never retry; at most 100). */
    const val maxAttempts: Int = 3
    /** The first retry's backoff before jitter; it doubles with each retry. */
    val backoffBase: Duration = 100.milliseconds
    /** The longest backoff. */
    val backoffCap: Duration = 20.seconds
    /** The longest `Retry-After` waited for. */
    val maxRetryAfter: Duration = 60.seconds
    /** The largest server clock offset followed. */
    val maxClockOffset: Duration = 1.days
    /** The default transport's connect timeout. */
    val connectTimeout: Duration = 10.seconds
    /** The default transport's timeout of each attempt, response body included. */
    val timeout: Duration = 60.seconds
    /** The longest response body the default transport reads, in bytes (16 MiB). */
    const val maxResponseBytes: Long = 16L shl 20
    /** [SecretCache]: how long a cached value is served before it is fetched again. */
    val ttl: Duration = 300.seconds
    /** [SecretCache]: the most secrets kept. */
    const val maxEntries: Int = 1024
    /** [SecretCache]: how long the last value is served while the service fails. */
    val maxStale: Duration = 1.days
}

/**
 * A client with fixed [credentials]: `ProvidedCredentials(ak = ..., sk = ...)` (with
 * `securityToken` for a temporary key), or `ProvidedCredentials(authToken = ...)` for an IAM
 * token. They must not expire (`expiresAt` null: use [FunctionCredentials] for keys that do);
 * their `projectId` is used when [projectId] is null. See the other `CsmsClient` factory for the
 * rest of the options.
 */
fun CsmsClient(
    region: String? = null,
    endpoint: String? = null,
    projectId: String? = null,
    credentials: ProvidedCredentials,
    algorithm: String = CsmsDefaults.algorithm,
    transport: HttpTransport? = null,
    maxAttempts: Int = CsmsDefaults.maxAttempts,
    connectTimeout: Duration = CsmsDefaults.connectTimeout,
    timeout: Duration = CsmsDefaults.timeout,
    maxResponseBytes: Long = CsmsDefaults.maxResponseBytes,
    backoffBase: Duration = CsmsDefaults.backoffBase,
    backoffCap: Duration = CsmsDefaults.backoffCap,
    maxRetryAfter: Duration = CsmsDefaults.maxRetryAfter,
    maxClockOffset: Duration = CsmsDefaults.maxClockOffset,
    userAgent: String? = null,
    derivedService: String? = null,
    debugHook: DebugHook? = null,
): CsmsClient {
    if (credentials.expiresAt != null) {
        throw CsmsException.Validation(
            "credentials", "fixed credentials cannot expire (expiresAt is set): give FunctionCredentials { ... } instead",
        )
    }
    val options = ClientOptions(
        region, endpoint, projectId ?: credentials.projectId, algorithm, transport, maxAttempts, connectTimeout,
        timeout, maxResponseBytes, backoffBase, backoffCap, maxRetryAfter, maxClockOffset, userAgent, derivedService,
        debugHook,
    )
    return options.client(keys = credentials, provider = null)
}

/**
 * A client whose [credentials] come from a provider ([EnvCredentials], [ProfileCredentials],
 * [MetadataCredentials], [FunctionCredentials], [defaultCredentials]), fetched when due.
 * Every default is [CsmsDefaults]'.
 *
 * - [region] (its endpoint, `https://csms.{region}.myhuaweicloud.com`) or [endpoint]
 *   (`https://host[:port]`), and [projectId] (the project of the secrets).
 * - [algorithm]: the signing algorithm (`SDK-HMAC-SHA256`, `SDK-HMAC-SHA384`, ...).
 * - [transport]: null (the default) makes a [UrlConnectionTransport] (`HttpURLConnection`, on
 *   the JVM and Android) that the client owns and closes with it ([CsmsClient.close],
 *   `use { }`); give your own (`JavaHttpTransport()` for `java.net.http`, ...) to share one
 *   between clients, then close it yourself.
 * - [connectTimeout], [timeout] (each attempt, body included), [maxResponseBytes]: the
 *   default transport's settings. A transport of yours has its own: a value other than the
 *   default here is then `CsmsException.Validation` naming it.
 * - [maxAttempts] (1 = never retry), [backoffBase] (the first retry's backoff, doubling up
 *   to [backoffCap]), [maxRetryAfter] (the longest `Retry-After` waited for): the retry
 *   policy, checked by the core (`RetryPolicy::validate`: attempts from 1 to 100, durations
 *   at most a day, the cap not below the base).
 * - [maxClockOffset] (zero: never): the largest server clock offset followed.
 * - [userAgent], [derivedService], [debugHook]: as in the JSON options.
 *
 * A value out of range is `CsmsException.Validation` whose `field` names the parameter
 * (`projectId`, `maxAttempts`, `connectTimeout`, ...). Per call: [CsmsClient.withOptions].
 *
 * ```kotlin
 * CsmsClient(region = "cn-north-4", projectId = "...", credentials = ProvidedCredentials(ak = "...", sk = "...")).use { client ->
 *     println(client.showSecretVersion(secretName = "db", versionId = "latest").version?.secretString)
 * }
 * ```
 */
fun CsmsClient(
    region: String? = null,
    endpoint: String? = null,
    projectId: String? = null,
    credentials: CredentialProvider,
    algorithm: String = CsmsDefaults.algorithm,
    transport: HttpTransport? = null,
    maxAttempts: Int = CsmsDefaults.maxAttempts,
    connectTimeout: Duration = CsmsDefaults.connectTimeout,
    timeout: Duration = CsmsDefaults.timeout,
    maxResponseBytes: Long = CsmsDefaults.maxResponseBytes,
    backoffBase: Duration = CsmsDefaults.backoffBase,
    backoffCap: Duration = CsmsDefaults.backoffCap,
    maxRetryAfter: Duration = CsmsDefaults.maxRetryAfter,
    maxClockOffset: Duration = CsmsDefaults.maxClockOffset,
    userAgent: String? = null,
    derivedService: String? = null,
    debugHook: DebugHook? = null,
): CsmsClient = ClientOptions(
    region, endpoint, projectId, algorithm, transport, maxAttempts, connectTimeout, timeout, maxResponseBytes,
    backoffBase, backoffCap, maxRetryAfter, maxClockOffset, userAgent, derivedService, debugHook,
).client(keys = null, provider = credentials)

/** The longest timeout of the default transport accepted: a day (as the retry policy's durations). */
private val MAX_DURATION = 1.days

/** The options of the typed factories but the credentials, checked and turned into the JSON constructor's. */
private class ClientOptions(
    val region: String?,
    val endpoint: String?,
    val projectId: String?,
    val algorithm: String,
    val transport: HttpTransport?,
    val maxAttempts: Int,
    val connectTimeout: Duration,
    val timeout: Duration,
    val maxResponseBytes: Long,
    val backoffBase: Duration,
    val backoffCap: Duration,
    val maxRetryAfter: Duration,
    val maxClockOffset: Duration,
    val userAgent: String?,
    val derivedService: String?,
    val debugHook: DebugHook?,
) {
    fun client(keys: ProvidedCredentials?, provider: CredentialProvider?): CsmsClient {
        if (transport != null) {
            for ((name, value, default) in listOf(
                Triple("connectTimeout", connectTimeout, CsmsDefaults.connectTimeout),
                Triple("timeout", timeout, CsmsDefaults.timeout),
                Triple("maxResponseBytes", maxResponseBytes, CsmsDefaults.maxResponseBytes),
            )) {
                if (value != default) {
                    throw CsmsException.Validation(name, "configures the default transport; set it on the transport you give instead")
                }
            }
        }
        positive("connectTimeout", connectTimeout)
        positive("timeout", timeout)
        if (maxResponseBytes <= 0) throw CsmsException.Validation("maxResponseBytes", "must be above 0, not $maxResponseBytes")
        if (maxClockOffset.isNegative() || maxClockOffset.isInfinite()) {
            throw CsmsException.Validation("maxClockOffset", "must be finite and 0 or more, not $maxClockOffset")
        }
        val json = CsmsJson.objectOf {
            put("region", region)
            put("endpoint", endpoint)
            put("project_id", projectId)
            if (keys != null) {
                put("credentials", CsmsJson.mapOf {
                    put("ak", keys.ak)
                    put("sk", keys.sk)
                    put("security_token", keys.securityToken)
                    put("auth_token", keys.authToken)
                })
            }
            put("algorithm", algorithm)
            put("user_agent", userAgent)
            put("derived_service", derivedService)
            put("max_clock_offset_ms", maxClockOffset.inWholeMilliseconds)
        }
        // The retry policy is checked in Rust by the core's RetryPolicy::validate, which names
        // the option as here; an infinite duration goes as Long.MAX_VALUE ms, beyond its bound.
        val base = backoffBase.inWholeMilliseconds
        val cap = backoffCap.inWholeMilliseconds
        val retryAfter = maxRetryAfter.inWholeMilliseconds
        val owned = if (transport == null) defaultTransport() else null
        try {
            return renamed {
                if (owned == null) {
                    CsmsClient(json, transport, maxAttempts, base, retryAfter, debugHook, provider, cap)
                } else {
                    OwningCsmsClient(json, owned, maxAttempts, base, retryAfter, debugHook, provider, cap)
                }
            }
        } catch (e: Throwable) {
            owned?.close()
            throw e
        }
    }

    /** The transport a client makes when given none, with these options. */
    private fun defaultTransport() = UrlConnectionTransport(
        java.time.Duration.ofMillis(connectTimeout.inWholeMilliseconds),
        java.time.Duration.ofMillis(timeout.inWholeMilliseconds),
        maxResponseBytes,
    )

    /** A timeout of the default transport: from 1 ms to a day. */
    private fun positive(name: String, value: Duration) {
        if (value.isInfinite() || value > MAX_DURATION || value.inWholeMilliseconds < 1) {
            throw CsmsException.Validation(name, "must be at least 1 ms and at most $MAX_DURATION, not $value")
        }
    }
}

/**
 * Runs [make], renaming the option a `CsmsException.Validation` of the native layer names (the
 * core's snake case) to its Kotlin parameter.
 */
internal inline fun <T> renamed(make: () -> T): T = try {
    make()
} catch (e: CsmsException.Validation) {
    val field = OPTION_NAMES[e.field.removePrefix("options.")] ?: e.field.removePrefix("options.")
    if (field == e.field) throw e
    throw CsmsException.Validation(field, e.reason)
}

/** The native layer's names of the options (the JSON constructor's, the cache's), and the Kotlin parameters. */
internal val OPTION_NAMES = mapOf(
    "project_id" to "projectId",
    "credentials" to "credentials",
    "credentials.ak" to "credentials",
    "credentials.sk" to "credentials",
    "credentials.security_token" to "credentials",
    "credentials.auth_token" to "credentials",
    "user_agent" to "userAgent",
    "derived_service" to "derivedService",
    "service" to "derivedService",
    "max_clock_offset_ms" to "maxClockOffset",
    "max_entries" to "maxEntries",
    "max_stale" to "maxStale",
)

/** A client made by a typed factory with its own default transport, closed with it. */
internal class OwningCsmsClient(
    optionsJson: String,
    /** The transport this client made and closes. */
    internal val ownedTransport: UrlConnectionTransport,
    maxAttempts: Int,
    backoffBaseMillis: Long,
    maxRetryAfterMillis: Long,
    debugHook: DebugHook?,
    credentials: CredentialProvider?,
    backoffCapMillis: Long,
) : CsmsClient(
    optionsJson, ownedTransport, maxAttempts, backoffBaseMillis, maxRetryAfterMillis, debugHook, credentials, backoffCapMillis,
) {
    /** Fails the later calls of this client's views, frees the native client, then closes the transport it owns. */
    override fun close() {
        try {
            runCatching { markClosed() } // already freed: nothing to mark
            super.close()
        } finally {
            ownedTransport.close()
        }
    }
}

/**
 * A view of this client for some calls, with other settings; null keeps this client's (or this
 * view's). It shares this client's transport, credentials, clock offset and debug hook; making
 * one is cheap (no connection, no thread).
 *
 * - [timeout]: each attempt, on top of the transport's own timeout. An attempt over it is
 *   cancelled (the transport aborts the exchange) and fails with `CsmsException.Transport`
 *   (`timedOut`, `maybeSent = true`), then retried as any timeout.
 * - [maxAttempts]: attempts per call (checked as the factory's).
 * - [deadline]: the whole call, attempts, backoff and `Retry-After` waits included. Each
 *   attempt's timeout is cut to what is left, a retry that would start past it is not made,
 *   and a call that runs out ends in `CsmsException.Transport` with `timedOut` set, no attempt
 *   after it (`notRetried` says why).
 *
 * [timeout] and [deadline] are from 1 ms to a day, and measured with the transport's `sleep`.
 * A wrong value is `CsmsException.Validation` naming `timeout`, `maxAttempts` or `deadline`.
 * Cancelling the calling coroutine cancels the call at once (`CancellationException`), with
 * or without a view: the exchange in flight is aborted and nothing is retried.
 *
 * Use a view while its client is open. Making a view from a closed client throws
 * `IllegalStateException` (the native object is destroyed); once a client that owns its
 * transport (the typed factories' default) is closed, a call through a view of it is
 * `CsmsException.Validation` naming `client`. A view keeps what it shares alive, so one made
 * from a client nobody else holds works on. Closing a view (or letting it go) leaves its
 * client open.
 *
 * ```kotlin
 * val patient = client.withOptions(timeout = 5.seconds, maxAttempts = 5, deadline = 20.seconds)
 * patient.showSecret(secretName = "db")
 * ```
 */
fun CsmsClient.withOptions(timeout: Duration? = null, maxAttempts: Int? = null, deadline: Duration? = null): CsmsClient =
    withSettings(null, maxAttempts, timeout?.inWholeMilliseconds, deadline?.inWholeMilliseconds)

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
    algorithm: String = DEFAULT_ALGORITHM,
    transport: HttpTransport? = null,
    maxAttempts: Int = 3,
    connectTimeout: Duration? = null,
    requestTimeout: Duration? = null,
    maxResponseBytes: Long? = null,
    backoffBase: Duration = 100.milliseconds,
    maxRetryAfter: Duration = 60.seconds,
    maxClockOffset: Duration = 1.days,
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
        requestTimeout, maxResponseBytes, backoffBase, maxRetryAfter, maxClockOffset, userAgent, derivedService, debugHook,
    )
    return options.client(keys = credentials, provider = null)
}

/**
 * A client whose [credentials] come from a provider ([EnvCredentials], [ProfileCredentials],
 * [MetadataCredentials], [FunctionCredentials], [defaultCredentials]), fetched when due.
 *
 * - [region] (its endpoint, `https://csms.{region}.myhuaweicloud.com`) or [endpoint]
 *   (`https://host[:port]`), and [projectId] (the project of the secrets).
 * - [algorithm]: the signing algorithm (`SDK-HMAC-SHA256`, `SDK-HMAC-SHA384`, ...).
 * - [transport]: null (the default) makes a [UrlConnectionTransport] (`HttpURLConnection`, on
 *   the JVM and Android) that the client owns and closes with it ([CsmsClient.close],
 *   `use { }`); give your own (`JavaHttpTransport()` for `java.net.http`, ...) to share one
 *   between clients, then close it yourself.
 * - [connectTimeout] (10 s), [requestTimeout] (60 s, each attempt, body included),
 *   [maxResponseBytes] (16 MiB): the default transport's; null is that default. With a
 *   [transport] of yours they are its own settings, so giving them here is
 *   `CsmsException.Validation` naming them.
 * - [maxAttempts] (3, 1 = never retry), [backoffBase] (100 ms, the first retry's backoff,
 *   doubling), [maxRetryAfter] (60 s: the longest `Retry-After` waited for): the retry policy.
 * - [maxClockOffset] (a day; zero: never): the largest server clock offset followed.
 * - [userAgent], [derivedService], [debugHook]: as in the JSON options.
 *
 * A value out of range is `CsmsException.Validation` whose `field` names the parameter
 * (`projectId`, `maxAttempts`, `connectTimeout`, ...).
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
    algorithm: String = DEFAULT_ALGORITHM,
    transport: HttpTransport? = null,
    maxAttempts: Int = 3,
    connectTimeout: Duration? = null,
    requestTimeout: Duration? = null,
    maxResponseBytes: Long? = null,
    backoffBase: Duration = 100.milliseconds,
    maxRetryAfter: Duration = 60.seconds,
    maxClockOffset: Duration = 1.days,
    userAgent: String? = null,
    derivedService: String? = null,
    debugHook: DebugHook? = null,
): CsmsClient = ClientOptions(
    region, endpoint, projectId, algorithm, transport, maxAttempts, connectTimeout, requestTimeout, maxResponseBytes,
    backoffBase, maxRetryAfter, maxClockOffset, userAgent, derivedService, debugHook,
).client(keys = null, provider = credentials)

/** The signing algorithm of the official SDKs, the default. */
private const val DEFAULT_ALGORITHM = "SDK-HMAC-SHA256"

/** The longest timeout, backoff or `Retry-After` accepted: a day (as in Python). */
private val MAX_DURATION = 1.days

/** The options of the typed factories but the credentials, checked and turned into the JSON constructor's. */
private class ClientOptions(
    val region: String?,
    val endpoint: String?,
    val projectId: String?,
    val algorithm: String,
    val transport: HttpTransport?,
    val maxAttempts: Int,
    val connectTimeout: Duration?,
    val requestTimeout: Duration?,
    val maxResponseBytes: Long?,
    val backoffBase: Duration,
    val maxRetryAfter: Duration,
    val maxClockOffset: Duration,
    val userAgent: String?,
    val derivedService: String?,
    val debugHook: DebugHook?,
) {
    fun client(keys: ProvidedCredentials?, provider: CredentialProvider?): CsmsClient {
        if (maxAttempts < 1) throw CsmsException.Validation("maxAttempts", "must be at least 1, not $maxAttempts")
        if (transport != null) {
            for ((name, value) in listOf(
                "connectTimeout" to connectTimeout, "requestTimeout" to requestTimeout, "maxResponseBytes" to maxResponseBytes,
            )) {
                if (value != null) {
                    throw CsmsException.Validation(name, "configures the default transport; set it on the transport you give instead")
                }
            }
        }
        positive("connectTimeout", connectTimeout)
        positive("requestTimeout", requestTimeout)
        if (maxResponseBytes != null && maxResponseBytes <= 0) {
            throw CsmsException.Validation("maxResponseBytes", "must be above 0, not $maxResponseBytes")
        }
        val backoffMillis = millis("backoffBase", backoffBase, MAX_DURATION)
        val retryAfterMillis = millis("maxRetryAfter", maxRetryAfter, MAX_DURATION)
        val clockOffsetMillis = millis("maxClockOffset", maxClockOffset, Duration.INFINITE)
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
            put("max_clock_offset_ms", clockOffsetMillis)
        }
        val owned = if (transport == null) defaultTransport() else null
        try {
            return renamed {
                if (owned == null) {
                    CsmsClient(json, transport, maxAttempts, backoffMillis, retryAfterMillis, debugHook, provider)
                } else {
                    OwningCsmsClient(json, owned, maxAttempts, backoffMillis, retryAfterMillis, debugHook, provider)
                }
            }
        } catch (e: Throwable) {
            owned?.close()
            throw e
        }
    }

    /** The transport a client makes when given none, with these options. */
    private fun defaultTransport() = UrlConnectionTransport(
        java.time.Duration.ofMillis((connectTimeout ?: defaultConnectTimeoutMillis().milliseconds).inWholeMilliseconds),
        java.time.Duration.ofMillis((requestTimeout ?: defaultRequestTimeoutMillis().milliseconds).inWholeMilliseconds),
        maxResponseBytes ?: defaultMaxResponseBytes(),
    )

    private fun positive(name: String, value: Duration?) {
        if (value != null) millis(name, value, MAX_DURATION, min = 1)
    }

    /** [value] in whole milliseconds, from [min] ms to [max] (`INFINITE`: no bound but the finite). */
    private fun millis(name: String, value: Duration, max: Duration, min: Long = 0): Long {
        if (value.isInfinite() || value > max || value.inWholeMilliseconds < min) {
            val bound = if (max.isInfinite()) "" else " and at most $max"
            throw CsmsException.Validation(name, "must be ${if (min > 0) "at least 1 ms" else "0 or more"}$bound, not $value")
        }
        return value.inWholeMilliseconds
    }

    /** Runs [make], renaming the option a `CsmsException.Validation` of the JSON constructor names to its parameter. */
    private inline fun <T> renamed(make: () -> T): T = try {
        make()
    } catch (e: CsmsException.Validation) {
        val field = OPTION_NAMES[e.field.removePrefix("options.")] ?: e.field.removePrefix("options.")
        if (field == e.field) throw e
        throw CsmsException.Validation(field, e.reason)
    }
}

/** The JSON constructor's names of the options, and the typed factories' parameters. */
private val OPTION_NAMES = mapOf(
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
    "max_attempts" to "maxAttempts",
    "backoff_base_millis" to "backoffBase",
    "max_retry_after_millis" to "maxRetryAfter",
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
) : CsmsClient(optionsJson, ownedTransport, maxAttempts, backoffBaseMillis, maxRetryAfterMillis, debugHook, credentials) {
    /** Frees the native client, then closes the transport it owns. */
    override fun close() {
        try {
            super.close()
        } finally {
            ownedTransport.close()
        }
    }
}

/**
 * A view of this client for some calls, with a shorter [requestTimeout] (each attempt, on top
 * of the transport's own) and other [maxAttempts]; null keeps this client's. It shares this
 * client's transport, credentials, clock offset and debug hook: use it while this client is
 * open, and close it (or let it go) without closing this client.
 *
 * An attempt over [requestTimeout] is cancelled (the transport aborts the exchange) and fails
 * with `CsmsException.Transport` (`timedOut`, `maybeSent = true`), then retried as any
 * timeout. A wrong value is `CsmsException.Validation` naming `requestTimeout` or `maxAttempts`;
 * a client without a transport names `transport`.
 *
 * ```kotlin
 * val patient = client.withOptions(requestTimeout = 5.seconds, maxAttempts = 5)
 * patient.showSecret(secretName = "db")
 * ```
 */
fun CsmsClient.withOptions(requestTimeout: Duration? = null, maxAttempts: Int? = null): CsmsClient {
    if (maxAttempts != null && maxAttempts < 1) throw CsmsException.Validation("maxAttempts", "must be at least 1, not $maxAttempts")
    val transport = requestTimeout?.let { timeout ->
        if (timeout.isInfinite() || timeout > MAX_DURATION || timeout.inWholeMilliseconds < 1) {
            throw CsmsException.Validation("requestTimeout", "must be at least 1 ms and at most $MAX_DURATION, not $timeout")
        }
        val base = httpTransport() ?: throw CsmsException.Validation("transport", "this client has none to call with")
        AttemptTimeout(base, timeout)
    }
    return withSettings(transport, maxAttempts)
}

/** [base], each send bounded by [timeout]. */
private class AttemptTimeout(private val base: HttpTransport, private val timeout: Duration) : HttpTransport {
    override suspend fun send(request: HttpRequest): HttpResponse =
        kotlinx.coroutines.withTimeoutOrNull(timeout) { base.send(request) }
            ?: throw CsmsException.Transport("request timed out after $timeout", maybeSent = true, timedOut = true)

    override suspend fun sleep(millis: Long) = base.sleep(millis)
}

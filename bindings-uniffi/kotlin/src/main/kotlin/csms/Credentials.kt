@file:Suppress("FunctionName") // factories named as the providers they make, as in the other languages

package csms

import java.time.Duration

/*
 * Credential providers (issue 15): give one to `CsmsClient(options, transport, credentials = provider)`
 * (then the options have no `credentials`), or let [fromEnv] pick the default chain.
 *
 * A provider fetches when credentials are first needed, again ahead of their expiry (40 minutes
 * before, at half their lifetime when they live less than 80 minutes), and once more, the call
 * retried, after a 401 saying they expired; one fetch at a time (concurrent calls suspend until
 * it ends, or keep signing with the current credentials while they still work). A provider
 * shared by several clients fetches for all of them. `env`: a map read instead of the process
 * environment (tests, or an application's own settings). Everything but the metadata requests
 * and your own function runs in the native library: the secret key never becomes a JVM string.
 */

/**
 * `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK` (a missing one: `CsmsException.Validation` naming it),
 * `HUAWEICLOUD_SDK_SECURITY_TOKEN` and `HUAWEICLOUD_SDK_PROJECT_ID`, from [env] or the process
 * environment, read at each fetch.
 */
fun EnvCredentials(env: Map<String, String>? = null): CredentialProvider = CredentialProvider.environment(env)

/**
 * The official SDKs' profile file (`[basic]` section, read-only): [path], else
 * `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`.
 */
fun ProfileCredentials(path: String? = null, env: Map<String, String>? = null): CredentialProvider =
    CredentialProvider.profile(path, env)

/**
 * Temporary keys from the instance metadata service (session token first; 3-second timeouts, no
 * proxy, no redirects): [endpoint], else `CSMS_METADATA_ENDPOINT`, else `http://169.254.169.254`
 * (refused when the process environment has `CSMS_TEST_NO_METADATA` set).
 */
fun MetadataCredentials(endpoint: String? = null, env: Map<String, String>? = null): CredentialProvider =
    CredentialProvider.metadata(MetadataHttp.transport, endpoint, env)

/**
 * Credentials from your own [function] (keys from a vault, say), called when they are due, one
 * call at a time; [name] names it in errors. What it throws, or credentials that make no sense
 * (no SK, both a key and a token, ...), end the call with `CsmsException.Credentials` naming
 * [name]; nothing is sent.
 *
 * ```kotlin
 * val vault = FunctionCredentials("vault") {
 *     ProvidedCredentials(ak = "...", sk = "...", securityToken = "...", expiresAt = Instant.now().plusSeconds(900))
 * }
 * ```
 */
fun FunctionCredentials(name: String = "function", function: suspend () -> ProvidedCredentials): CredentialProvider =
    CredentialProvider.function(
        object : CredentialFunction {
            override suspend fun credentials(): ProvidedCredentials = function()
        },
        name,
    )

/**
 * The default chain, in the official SDKs' order: [EnvCredentials], [ProfileCredentials],
 * [MetadataCredentials]. The first that gives credentials is kept; when none does, the
 * `CsmsException.Credentials` (provider `default chain`) says why each did not.
 */
fun defaultCredentials(env: Map<String, String>? = null): CredentialProvider =
    CredentialProvider.chain(MetadataHttp.transport, env)

/**
 * A client configured from the environment ([env], else the process environment) as the official
 * SDKs are: credentials from [defaultCredentials], the endpoint from `CSMS_ENDPOINT`,
 * `HUAWEICLOUD_SDK_REGION_CSMS_<REGION>` or the [region] (else `HUAWEICLOUD_SDK_REGION`), the
 * project id from `HUAWEICLOUD_SDK_PROJECT_ID` or the credentials' own. The credentials are
 * fetched now: a missing variable fails here (`CsmsException.Validation` naming it, such as
 * `HUAWEICLOUD_SDK_SK`). The other arguments are the `CsmsClient` constructor's.
 */
suspend fun CsmsClient.Companion.fromEnv(
    region: String? = null,
    env: Map<String, String>? = null,
    transport: HttpTransport? = null,
    maxAttempts: Int? = null,
    backoffBaseMillis: Long? = null,
    maxRetryAfterMillis: Long? = null,
    debugHook: DebugHook? = null,
): CsmsClient = CsmsClient.fromEnv(
    MetadataHttp.transport, region, env, transport, maxAttempts, backoffBaseMillis, maxRetryAfterMillis, debugHook,
)

/** The transport of every metadata provider of the process, made when first needed. */
internal object MetadataHttp {
    /** 1 MiB: a security key answer is a few hundred bytes. */
    private const val MAX_RESPONSE_BYTES = 1L shl 20

    val transport: JavaHttpTransport by lazy {
        val timeout = Duration.ofMillis(metadataTimeoutMillis())
        JavaHttpTransport(timeout, timeout, MAX_RESPONSE_BYTES, noProxy = true)
    }
}

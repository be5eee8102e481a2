package csms.bench

import com.huaweicloud.sdk.core.HcClient
import com.huaweicloud.sdk.core.auth.AKSKSigner
import com.huaweicloud.sdk.core.auth.BasicCredentials
import com.huaweicloud.sdk.core.http.HttpConfig
import com.huaweicloud.sdk.core.http.HttpMethod
import com.huaweicloud.sdk.core.impl.DefaultHttpClient
import com.huaweicloud.sdk.csms.v1.model.ShowSecretVersionRequest
import com.huaweicloud.sdk.csms.v1.model.UpdateSecretRequest
import com.huaweicloud.sdk.csms.v1.model.UpdateSecretRequestBody
import csms.CsmsClient
import csms.Emulator
import csms.Header
import csms.HttpRequest
import csms.HttpResponse
import csms.HttpTransport
import csms.JavaHttpTransport
import csms.ProvidedCredentials
import csms.ShowSecretVersionResult
import csms.UrlConnectionTransport
import csms.showSecretVersion
import csms.signRequest
import csms.updateSecret
import java.io.ByteArrayInputStream
import java.util.concurrent.CompletableFuture
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import com.huaweicloud.sdk.core.http.HttpClient as OfficialHttpClient
import com.huaweicloud.sdk.core.http.HttpRequest as OfficialRequest
import com.huaweicloud.sdk.core.http.HttpResponse as OfficialResponse
import com.huaweicloud.sdk.csms.v1.CsmsClient as OfficialClient

/*
 * The Kotlin package beside Huawei's official Java SDK (huaweicloud-sdk-csms 3.1.143), in one
 * JVM, against the emulator on loopback (issue 21). Run by `bindings-uniffi/run-bench`: the
 * native library in release mode, the emulator in release mode.
 *
 * Every measure runs both sides on the same work: a warm-up (JIT) of each, then
 * [WARM_UP_ROUNDS] rounds as below, timed but not counted, then [ROUNDS] interleaved rounds
 * (ours then official, official then ours in the next round, every measure in turn); the
 * figure is the median over the rounds of the time per call. The warm-up rounds are there
 * because on two cores the JIT's one optimizing thread is busy for the first 10 to 15 seconds
 * (the official SDK's code and ours, compiled and recompiled as each measure's paths run):
 * the typed call's main method (`FastCall.callFields`) waited in its queue until 11 to 12 s
 * (`-XX:+PrintCompilation`), running as profiled, less optimized code until then, so a round
 * of that time measured the no-I/O call at 10 µs rather than 5.3, and the whole run's median
 * moved from 5.3 to 8.2 µs from run to run. By the sixth warm-up round the rounds measure
 * steady times. Ratios are official time / ours (above 1: ours is faster). The last line is
 * `ratios: no-io X, sign Y, e2e Z` (e2e: the lower of ShowSecretVersion and UpdateSecret).
 */

private const val WARM_UP_ROUNDS = 6
private const val ROUNDS = 9
private const val PROJECT = "PID"

/** One measure: the same work done by ours and by the official SDK, [n] calls a round. */
private class Measure(val name: String, val n: Int, val ours: suspend () -> Unit, val official: suspend () -> Unit) {
    val oursNanos = ArrayList<Double>()
    val officialNanos = ArrayList<Double>()

    suspend fun warmUp(calls: Int) {
        repeat(calls) { ours() }
        repeat(calls) { official() }
    }

    suspend fun round(oursFirst: Boolean) {
        if (oursFirst) {
            oursNanos += time(n, ours)
            officialNanos += time(n, official)
        } else {
            officialNanos += time(n, official)
            oursNanos += time(n, ours)
        }
    }

    private suspend fun time(n: Int, body: suspend () -> Unit): Double {
        val start = System.nanoTime()
        repeat(n) { body() }
        return (System.nanoTime() - start).toDouble() / n
    }

    /** Forgets the rounds timed so far (the warm-up rounds). */
    fun forget() {
        oursNanos.clear()
        officialNanos.clear()
    }

    fun oursMedian() = median(oursNanos)
    fun officialMedian() = median(officialNanos)
    fun ratio() = officialMedian() / oursMedian()
}

private fun median(values: List<Double>): Double = values.sorted().let { s -> if (s.size % 2 == 1) s[s.size / 2] else (s[s.size / 2 - 1] + s[s.size / 2]) / 2 }

/** A transport answering every request with [response], without a socket. */
private class CannedTransport(private val response: HttpResponse) : HttpTransport {
    override suspend fun send(request: HttpRequest): HttpResponse = response
    override suspend fun sleep(millis: Long) {}
}

/** The official SDK's `HttpClient` answering every request with a copy of the canned response, without a socket. */
private class CannedOfficialHttpClient(
    private val cannedStatus: Int,
    private val cannedHeaders: Map<String, List<String>>,
    private val cannedBody: ByteArray,
) : OfficialHttpClient {
    override fun syncInvokeHttp(request: OfficialRequest): OfficialResponse = object : OfficialResponse {
        override fun getStatusCode(): Int = cannedStatus
        override fun getContentType(): String = "application/json"
        override fun getContentLength(): Long = cannedBody.size.toLong()
        override fun getHeaders(): Map<String, List<String>> = cannedHeaders
        override fun getBodyAsString(): String = String(cannedBody, Charsets.UTF_8)
        override fun getBodyAsBytes(): ByteArray = cannedBody
        override fun getBody(): java.io.InputStream = ByteArrayInputStream(cannedBody)
        override fun getHeader(name: String): String? =
            cannedHeaders.entries.firstOrNull { it.key.equals(name, ignoreCase = true) }?.value?.firstOrNull()
    }

    override fun asyncInvokeHttp(request: OfficialRequest): CompletableFuture<OfficialResponse> =
        CompletableFuture.completedFuture(syncInvokeHttp(request))
}

/** An official client on [httpClient] (HcClient's constructor taking one is package-private: reflection). */
private fun officialClient(endpoint: String, credentials: BasicCredentials, httpClient: OfficialHttpClient?): OfficialClient {
    if (httpClient == null) {
        return OfficialClient.newBuilder().withCredential(credentials).withEndpoints(listOf(endpoint)).build()
    }
    val make = HcClient::class.java.getDeclaredConstructor(HttpConfig::class.java, OfficialHttpClient::class.java)
    make.isAccessible = true
    val hc = make.newInstance(HttpConfig.getDefaultHttpConfig(), httpClient)
        .withCredential(credentials).withEndpoints(listOf(endpoint))
    return OfficialClient(hc)
}

private fun officialRequest(endpoint: String, path: String, headers: Map<String, String> = emptyMap()): OfficialRequest =
    OfficialRequest.newBuilder().withEndpoint(endpoint).withPath(path).withMethod(HttpMethod.GET)
        .withContentType("application/json").addHeaders(headers).build()

// Both SDKs are called from a coroutine of Dispatchers.IO, where blocking calls belong (the
// official SDK blocks; ours exchanges in place there, and hops to Dispatchers.IO from others).
fun main(): Unit = runBlocking(Dispatchers.IO) {
    val ak = "AK"
    val sk = "SK"
    Emulator().use { emulator ->
        val endpoint = emulator.endpoint
        val credentials = BasicCredentials().withAk(ak).withSk(sk).withProjectId(PROJECT)
        // Ours with the default transport (UrlConnectionTransport, owned by the client).
        val ours = CsmsClient(endpoint = endpoint, projectId = PROJECT, credentials = ProvidedCredentials(ak = ak, sk = sk))
        val official = officialClient(endpoint, credentials, null)
        ours.call("CreateSecret", """{"name":"db","secret_string":"s3cret-value"}""")

        // The canned response: the emulator's own answer to ShowSecretVersion.
        val optionsJson = emulator.options()
        val path = "/v1/$PROJECT/secrets/db/versions/latest"
        val javaHttp = JavaHttpTransport()
        val urlConnection = UrlConnectionTransport()
        val signed = ours.buildRequest("ShowSecretVersion", """{"secret_name":"db","version_id":"latest"}""")
        val real = urlConnection.send(signed)
        check(real.status == 200) { "ShowSecretVersion answered ${real.status}" }
        val canned = HttpResponse(real.status, real.headers, real.body)
        val cannedHeaders = real.headers.groupBy({ it.name }, { it.value })
        val oursCanned = CsmsClient(optionsJson, CannedTransport(canned))
        val officialCanned = officialClient(endpoint, credentials, CannedOfficialHttpClient(real.status, cannedHeaders, real.body))

        // Signing alone: the same unsigned GET.
        val unsigned = HttpRequest("GET", endpoint + path, listOf(Header("Content-Type", "application/json")), ByteArray(0))
        val officialUnsigned = officialRequest(endpoint, path)
        val signer = AKSKSigner.getInstance()

        // The exchange alone: one signed request sent again and again.
        val officialHttp = DefaultHttpClient(HttpConfig.getDefaultHttpConfig())
        val officialSigned = officialRequest(endpoint, path, signer.sign(officialUnsigned, credentials))

        val show = ShowSecretVersionRequest().withSecretName("db").withVersionId("latest")
        val update = UpdateSecretRequest().withSecretName("db").withBody(UpdateSecretRequestBody().withDescription("bench"))
        val measures = listOf(
            Measure("ShowSecretVersion end to end", 300,
                { ours.showSecretVersion(secretName = "db", versionId = "latest") }, { official.showSecretVersion(show) }),
            Measure("UpdateSecret end to end", 300,
                { ours.updateSecret(secretName = "db", description = "bench") }, { official.updateSecret(update) }),
            Measure("no I/O: full typed call, canned response", 3000,
                { oursCanned.showSecretVersion(secretName = "db", versionId = "latest") }, { officialCanned.showSecretVersion(show) }),
            Measure("no I/O: buildRequest + parseResponse, JSON text", 3000, {
                oursCanned.buildRequest("ShowSecretVersion", """{"secret_name":"db","version_id":"latest"}""")
                oursCanned.parseResponse("ShowSecretVersion", canned)
            }, { officialCanned.showSecretVersion(show) }),
            Measure("no I/O: buildRequest + parseResponse, typed", 3000, {
                oursCanned.buildRequest("ShowSecretVersion", """{"secret_name":"db","version_id":"latest"}""")
                ShowSecretVersionResult.fromJson(oursCanned.parseResponse("ShowSecretVersion", canned))
            }, { officialCanned.showSecretVersion(show) }),
            Measure("signing alone (signRequest vs AKSKSigner)", 5000,
                { signRequest(unsigned, ak, sk) }, { signer.sign(officialUnsigned, credentials) }),
            Measure("buildRequest alone vs AKSKSigner", 5000,
                { oursCanned.buildRequest("ShowSecretVersion", """{"secret_name":"db","version_id":"latest"}""") },
                { signer.sign(officialUnsigned, credentials) }),
            Measure("exchange: UrlConnectionTransport vs OkHttp", 300,
                { urlConnection.send(signed) }, { officialHttp.syncInvokeHttp(officialSigned).bodyAsBytes }),
            Measure("exchange: JavaHttpTransport vs OkHttp", 300,
                { javaHttp.send(signed) }, { officialHttp.syncInvokeHttp(officialSigned).bodyAsBytes }),
        )
        for (m in measures) m.warmUp(if (m.n >= 3000) 20_000 else 1_000)
        for (round in 0 until WARM_UP_ROUNDS) for (m in measures) m.round(oursFirst = round % 2 == 0)
        for (m in measures) m.forget()
        for (round in 0 until ROUNDS) for (m in measures) m.round(oursFirst = round % 2 == 0)

        println("%-48s %12s %12s %7s".format("measure (median of $ROUNDS rounds, per call)", "ours µs", "official µs", "ratio"))
        for (m in measures) println("%-48s %12.2f %12.2f %7.2f".format(m.name, m.oursMedian() / 1000, m.officialMedian() / 1000, m.ratio()))
        val e2e = minOf(measures[0].ratio(), measures[1].ratio())
        println("ratios: no-io %.2f, sign %.2f, e2e %.2f".format(measures[2].ratio(), measures[5].ratio(), e2e))
        javaHttp.close()
        urlConnection.close()
        ours.close()
    }
}

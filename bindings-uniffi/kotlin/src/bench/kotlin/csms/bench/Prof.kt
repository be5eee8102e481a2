package csms.bench

import csms.*
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking

private class Canned2(private val response: HttpResponse) : HttpTransport {
    override suspend fun send(request: HttpRequest): HttpResponse = response
    override suspend fun sleep(millis: Long) {}
}

fun main(): Unit = runBlocking(Dispatchers.IO) {
    Emulator().use { emulator ->
        val ours = CsmsClient(endpoint = emulator.endpoint, projectId = "PID", credentials = ProvidedCredentials(ak = "AK", sk = "SK"))
        ours.call("CreateSecret", """{"name":"db","secret_string":"s3cret-value"}""")
        val u = UrlConnectionTransport()
        val real = u.send(ours.buildRequest("ShowSecretVersion", """{"secret_name":"db","version_id":"latest"}"""))
        val canned = CsmsClient(emulator.options(), Canned2(HttpResponse(real.status, real.headers, real.body)))
        val secs = (System.getProperty("secs") ?: "20").toLong()
        val end = System.nanoTime() + secs * 1_000_000_000
        var n = 0L
        var t0 = System.nanoTime()
        while (System.nanoTime() < end) {
            repeat(10000) { canned.showSecretVersion(secretName = "db", versionId = "latest") }
            n += 10000
            if (n % 500000 == 0L) { val t = System.nanoTime(); println("%.3f µs".format((t - t0) / 500000.0 / 1000)); t0 = t }
        }
        u.close(); ours.close(); canned.close()
    }
}

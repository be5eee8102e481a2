package csms

import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Fixes from the Kotlin binding review (no emulator needed). */
class ReviewFixesTest {
    private val options = """{"region":"cn-north-4","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}"""

    private class Throwing(val error: () -> Throwable) : HttpTransport {
        override suspend fun send(request: HttpRequest): HttpResponse = throw error()
        override suspend fun sleep(millis: Long) {}
    }

    @Test
    fun aTransportThrowingAnErrorEndsTheCallAsTransport() = runBlocking {
        for (error in listOf<() -> Throwable>({ NotImplementedError("not yet") }, { AssertionError("no") })) {
            val client = CsmsClient(options, Throwing(error), maxAttempts = 1)
            val e = assertThrows<CsmsException.Transport> { runBlocking { withTimeout(5_000) { client.listSecrets() } } }
            assertTrue(e.maybeSent)
            assertFalse(e.timedOut)
            assertTrue(e.reason.contains(error()::class.java.name), e.reason)
        }
    }

    @Test
    fun aHostTransportsTimedOutCrossesTheCore() = runBlocking {
        val timedOut = CsmsException.Transport("no answer within 5 s", true, timedOut = true)
        val refused = CsmsException.Transport("refused", false)  // timedOut defaults to false
        assertFalse(refused.timedOut)
        for (thrown in listOf(timedOut, refused)) {
            val client = CsmsClient(options, Throwing { thrown }, maxAttempts = 1)
            val e = assertThrows<CsmsException.Transport> { runBlocking { client.listSecrets() } }
            assertEquals(thrown.reason, e.reason)
            assertEquals(thrown.timedOut, e.timedOut, e.reason)
        }
        // The core's retry loop keeps the flag when it withholds a resend and says why.
        val rotate = CsmsClient(options, Throwing { timedOut }, backoffBaseMillis = 0L)
        val e = assertThrows<CsmsException.Transport> { runBlocking { rotate.rotateSecret(secretName = "db") } }
        assertTrue(e.timedOut && e.maybeSent, e.message)
        assertTrue(e.notRetried?.contains("not idempotent") == true, e.message)
    }

    @Test
    fun credentialsAndBodiesDoNotPrint() {
        val token = CsmsClient("""{"region":"cn-north-4","project_id":"PID","credentials":{"auth_token":"TOKEN-SECRET-123"}}""")
        val t = token.buildRequest("ShowSecret", """{"secret_name":"db"}""").toString()
        assertFalse(t.contains("TOKEN-SECRET-123"), t)
        assertTrue(t.contains("Header(name=X-Auth-Token, value=***)"), t)
        val sts = CsmsClient("""{"region":"cn-north-4","project_id":"PID","credentials":{"ak":"AK","sk":"SK","security_token":"STS-TOKEN-XYZ"}}""")
        val request = sts.buildRequest("CreateSecret", """{"name":"db","secret_string":"hunter2"}""")
        val s = request.toString()
        for (secret in listOf("STS-TOKEN-XYZ", "hunter2", "Signature=")) assertFalse(s.contains(secret), s)
        assertTrue(s.contains("Header(name=X-Security-Token, value=***)") && s.contains("Header(name=Authorization, value=***)"), s)
        assertTrue(s.contains("body=${request.body.size} bytes") && s.contains("Header(name=X-Sdk-Date, value=2"), s)
        // The fields keep their values; equality is unchanged.
        assertTrue(request.headers.any { it.value == "STS-TOKEN-XYZ" })
        assertEquals(request, request.copy())
    }
}

/** A transport answering every request with `status` (and a CSMS error body), sleeping through `sleep`. */
private class Answering(val status: Int, val onSleep: suspend (Long) -> Unit = {}) : HttpTransport {
    var sleeps = 0
    override suspend fun send(request: HttpRequest): HttpResponse =
        HttpResponse(status, listOf(Header("X-Request-Id", "rid")), """{"error_code":"CSMS.0106","error_msg":"no"}""".toByteArray())
    override suspend fun sleep(millis: Long) {
        sleeps++
        onSleep(millis)
    }
}

class SleepAndSignedTypesTest {
    private val options = """{"region":"cn-north-4","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}"""

    @Test
    fun aFailingSleepEndsTheCallWithItsError() = runBlocking {
        val refused = Answering(503) { throw CsmsException.Transport("no more sleeping", false) }
        val e = assertThrows<CsmsException.Transport> { runBlocking { CsmsClient(options, refused).listSecrets() } }
        assertEquals("no more sleeping", e.reason)
        assertFalse(e.maybeSent)
        assertEquals(1, refused.sleeps)
        val broken = Answering(503) { throw IllegalStateException("clock gone") }
        val other = assertThrows<CsmsException.Transport> { runBlocking { CsmsClient(options, broken).listSecrets() } }
        assertTrue(other.maybeSent && other.reason.contains("clock gone"), other.reason)
    }

    @Test
    fun statusIsAnInt() = runBlocking {
        val e = assertThrows<CsmsException.Api> { runBlocking { CsmsClient(options, Answering(404)).showSecret(secretName = "db") } }
        assertTrue(e.status == 404)
        val parsed = CsmsClient(options).parseResponse("ShowSecret", HttpResponse(200, listOf(), """{"secret":{"name":"db"}}""".toByteArray()))
        assertTrue(parsed.contains("\"db\""))
        for (bad in listOf(-1, 65536)) {
            val v = assertThrows<CsmsException.Validation> { CsmsClient(options).parseResponse("ShowSecret", HttpResponse(bad, listOf(), ByteArray(0))) }
            assertEquals("status", v.field)
            val c = assertThrows<CsmsException.Validation> { runBlocking { CsmsClient(options, Answering(bad)).showSecret(secretName = "db") } }
            assertEquals("status", c.field)
        }
    }

    @Test
    fun attemptsAndBackoffAreSignedAndChecked() = runBlocking {
        for (n in listOf(0, -1)) {
            val e = assertThrows<CsmsException.Validation> { CsmsClient(options, Answering(503), maxAttempts = n) }
            assertEquals("maxAttempts", e.field)
        }
        val e = assertThrows<CsmsException.Validation> { CsmsClient(options, Answering(503), backoffBaseMillis = -5L) }
        assertEquals("backoffBase", e.field)
        val slept = ArrayList<Long>()
        val t = Answering(503) { slept.add(it) }
        assertThrows<CsmsException.Api> { runBlocking { CsmsClient(options, t, maxAttempts = 2, backoffBaseMillis = 0L).listSecrets() } }
        assertEquals(listOf(0L), slept)
        assertEquals(10_000L, defaultConnectTimeoutMillis())
    }
}

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
        override suspend fun sleep(millis: ULong) {}
    }

    @Test
    fun aTransportThrowingAnErrorEndsTheCallAsTransport() = runBlocking {
        for (error in listOf<() -> Throwable>({ NotImplementedError("not yet") }, { AssertionError("no") })) {
            val client = CsmsClient(options, Throwing(error), maxAttempts = 1u)
            val e = assertThrows<CsmsException.Transport> { runBlocking { withTimeout(5_000) { client.listSecrets() } } }
            assertTrue(e.maybeSent)
            assertTrue(e.reason.contains(error()::class.java.name), e.reason)
        }
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

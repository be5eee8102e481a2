package csms

import java.util.Collections
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** A refused signature explains itself, and the debug hook sees every attempt (issue 15). */
class ExplainTest {
    private val token = "KT-SECURITY-TOKEN-0123"

    private fun options(emulator: Emulator, sk: String) =
        """{"endpoint":"${emulator.endpoint}","project_id":"PID","credentials":{"ak":"AK","sk":"$sk","security_token":"$token"}}"""

    @Test
    fun `a wrong SK shows what was signed and no secret`() {
        Emulator().use { emulator ->
            val client = CsmsClient(options(emulator, "WRONG-SK-0123"), JavaHttpTransport())
            val e = assertThrows<CsmsException.Api> { runBlocking { client.call("ShowSecret", """{"secret_name":"db"}""") } }
            assertEquals(401, e.status)
            assertEquals("APIGW.0301", e.errorCode)
            val canonical = e.canonicalRequest!!
            val stringToSign = e.stringToSign!!
            assertTrue(canonical.startsWith("GET\n/v1/"), canonical)
            assertTrue(canonical.contains("\nx-security-token:***\n"), canonical)
            assertTrue(stringToSign.startsWith("SDK-HMAC-SHA256\n"), stringToSign)
            // The emulator's 401 quotes what it computed (Rust's Debug quoting): the same strings.
            assertTrue(e.errorMsg.contains(canonical.replace("\n", "\\n")), e.errorMsg)
            assertTrue(e.errorMsg.contains(stringToSign.replace("\n", "\\n")), e.errorMsg)
            val m = e.message
            assertTrue(m.indexOf("clock is more than 15 minutes off") < m.indexOf("a wrong SK for this AK"), m)
            assertTrue(m.indexOf("a wrong SK for this AK") < m.indexOf("a proxy changed the host, path or a signed header"), m)
            for (text in listOf(canonical, stringToSign, m, e.toString())) {
                assertFalse(text.contains("WRONG-SK") || text.contains(token), text)
            }
            val missing = assertThrows<CsmsException.Api> {
                runBlocking { CsmsClient(emulator.options(), JavaHttpTransport()).call("ShowSecret", """{"secret_name":"missing"}""") }
            }
            assertEquals(404, missing.status)
            assertNull(missing.canonicalRequest)
        }
    }

    private class Recording(private val canonical: Boolean, private val fail: Boolean = false) : DebugHook {
        val records: MutableList<AttemptRecord> = Collections.synchronizedList(mutableListOf())

        override fun onAttempt(record: AttemptRecord) {
            records.add(record)
            if (fail) throw IllegalStateException("the hook fails")
        }

        override fun wantsCanonicalRequest() = canonical
    }

    @Test
    fun `the debug hook gets one record per attempt`() {
        Emulator("--faults", "seed=7,503=100%").use { emulator ->
            val hook = Recording(canonical = true)
            val client = CsmsClient(options(emulator, "SK"), JavaHttpTransport(), 3, 5L, null, hook)
            val e = assertThrows<CsmsException.Api> { runBlocking { client.call("ShowSecret", """{"secret_name":"db"}""") } }
            assertEquals(503, e.status)
            assertEquals(listOf(1, 2, 3), hook.records.map { it.attempt })
            for (r in hook.records) {
                assertEquals("ShowSecret", r.operation)
                assertEquals("GET", r.method)
                assertEquals(503, r.status)
                assertNull(r.error)
                assertTrue(r.url.endsWith("/secrets/db"), r.url)
                assertTrue(r.requestId.isNotEmpty())
                assertTrue(r.durationMillis in 0..10_000)
                val canonical = r.canonicalRequest!!
                assertTrue(canonical.startsWith("GET\n") && canonical.contains("x-security-token:***"), canonical)
                assertFalse(r.toString().contains(token))
            }
        }
        Emulator("--faults", "seed=7,close-before=100%").use { emulator ->
            val hook = Recording(canonical = false)
            val client = CsmsClient(emulator.options(), JavaHttpTransport(), 3, 5L, null, hook)
            assertThrows<CsmsException.Transport> { runBlocking { client.call("ShowSecret", """{"secret_name":"db"}""") } }
            assertEquals(listOf(1, 2, 3), hook.records.map { it.attempt })
            assertTrue(hook.records.all { it.status == null && it.error != null && it.canonicalRequest == null }, "${hook.records}")
        }
    }

    @Test
    fun `a hook that throws does not break the call`() {
        Emulator().use { emulator ->
            val hook = Recording(canonical = true, fail = true)
            val client = CsmsClient(emulator.options(), JavaHttpTransport(), null, null, null, hook)
            runBlocking { client.call("CreateSecret", """{"name":"hooked-kt","secret_string":"v"}""") }
            val shown = runBlocking { client.call("ShowSecret", """{"secret_name":"hooked-kt"}""") }
            assertTrue(shown.contains("hooked-kt"), shown)
            assertEquals(2, hook.records.size)
        }
    }
}

package csms

import kotlin.time.Duration.Companion.days
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The typed client options (issue 18): `CsmsClient(endpoint = ..., projectId = ..., credentials = ...)`. */
class TypedOptionsTest {
    private val keys = ProvidedCredentials(ak = "AK", sk = "SK")

    @Test
    fun `named options with fixed keys call the emulator through the default transport`() = runBlocking {
        Emulator().use { emulator ->
            CsmsClient(endpoint = emulator.endpoint, projectId = "PID", credentials = keys, maxAttempts = 1).use { client ->
                client.createSecret(name = "db", secretString = "s3cr3t")
                assertEquals("s3cr3t", client.showSecretVersion(secretName = "db", versionId = "latest").version?.secretString)
            }
        }
    }

    @Test
    fun `a provider, its project id, and a transport of ours`() = runBlocking {
        Emulator().use { emulator ->
            val vault = FunctionCredentials("vault") { ProvidedCredentials(ak = "AK", sk = "SK") }
            JavaHttpTransport().use { transport ->
                val client = CsmsClient(endpoint = emulator.endpoint, projectId = "PID", credentials = vault, transport = transport)
                client.listSecrets()
                client.close()
            }
            // The keys' own project id when none is given.
            CsmsClient(endpoint = emulator.endpoint, credentials = ProvidedCredentials(ak = "AK", sk = "SK", projectId = "PID")).use {
                it.listSecrets()
            }
            assertEquals(2L, emulator.operationCount("ListSecrets"))
        }
    }

    @Test
    fun `a wrong value is a Validation naming the option`() {
        fun field(make: () -> CsmsClient): String = assertThrows<CsmsException.Validation> { make().close() }.field
        val at = "http://127.0.0.1:9"
        assertEquals("maxAttempts", field { CsmsClient(endpoint = at, projectId = "PID", credentials = keys, maxAttempts = 0) })
        assertEquals("connectTimeout", field { CsmsClient(endpoint = at, projectId = "PID", credentials = keys, connectTimeout = 0.seconds) })
        assertEquals("timeout", field { CsmsClient(endpoint = at, projectId = "PID", credentials = keys, timeout = (-1).seconds) })
        assertEquals("maxResponseBytes", field { CsmsClient(endpoint = at, projectId = "PID", credentials = keys, maxResponseBytes = 0) })
        assertEquals("backoffBase", field { CsmsClient(endpoint = at, projectId = "PID", credentials = keys, backoffBase = (-5).milliseconds) })
        assertEquals("maxRetryAfter", field { CsmsClient(endpoint = at, projectId = "PID", credentials = keys, maxRetryAfter = 2.days) })
        // The retry policy's bounds are the core's (RetryPolicy::validate), named as here.
        assertEquals("maxAttempts", field { CsmsClient(endpoint = at, projectId = "PID", credentials = keys, maxAttempts = 101) })
        assertEquals("backoffCap", field { CsmsClient(endpoint = at, projectId = "PID", credentials = keys, backoffCap = 2.days) })
        assertEquals("backoffCap", field { CsmsClient(endpoint = at, projectId = "PID", credentials = keys, backoffCap = 50.milliseconds) })
        assertEquals("backoffBase", field { CsmsClient(endpoint = at, projectId = "PID", credentials = keys, backoffBase = kotlin.time.Duration.INFINITE) })
        assertEquals("projectId", field { CsmsClient(endpoint = at, credentials = keys) })
        assertEquals("credentials", field { CsmsClient(endpoint = at, projectId = "PID", credentials = ProvidedCredentials(ak = "AK")) })
        assertEquals("credentials", field {
            CsmsClient(endpoint = at, projectId = "PID", credentials = keys.copy(expiresAt = java.time.Instant.now().plusSeconds(60)))
        })
        assertEquals("algorithm", field { CsmsClient(endpoint = at, projectId = "PID", credentials = keys, algorithm = "MD5") })
        assertEquals("endpoint", field { CsmsClient(endpoint = "ftp://x", projectId = "PID", credentials = keys) })
        JavaHttpTransport().use { transport ->
            val e = assertThrows<CsmsException.Validation> {
                CsmsClient(endpoint = at, projectId = "PID", credentials = keys, transport = transport, timeout = 5.seconds)
            }
            assertEquals("timeout", e.field)
            assertTrue(e.reason.contains("default transport"), e.reason)
        }
    }

    @Test
    fun `close closes the transport the client made`() {
        val client = CsmsClient(endpoint = "http://127.0.0.1:9", projectId = "PID", credentials = keys)
        val transport = (client as OwningCsmsClient).ownedTransport
        client.close()
        val e = assertThrows<CsmsException.Transport> {
            runBlocking { transport.send(HttpRequest("GET", "http://127.0.0.1:9/", emptyList(), ByteArray(0))) }
        }
        assertTrue(e.reason.contains("closed"), e.reason)
    }
}

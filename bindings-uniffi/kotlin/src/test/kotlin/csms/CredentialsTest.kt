package csms

import java.time.Instant
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Credential providers against the emulator (issue 15). Every provider that can ask the
 * metadata service points at the emulator; the test run has `CSMS_TEST_NO_METADATA=1`
 * (pom.xml), checked first, so a forgotten override fails at once instead of reaching
 * 169.254.169.254.
 */
class CredentialsTest {
    companion object {
        @JvmStatic
        @BeforeAll
        fun guarded() {
            check(System.getenv("CSMS_TEST_NO_METADATA") == "1") {
                "run the Kotlin tests through Maven (pom.xml sets CSMS_TEST_NO_METADATA=1): a test could reach the real metadata address"
            }
        }
    }

    private val list = "ListSecrets"

    /** A client of `emulator` whose credentials come from `provider`. */
    private fun client(emulator: Emulator, provider: CredentialProvider) =
        CsmsClient("""{"endpoint":"${emulator.endpoint}","project_id":"PID"}""", JavaHttpTransport(), credentials = provider)

    private fun env(emulator: Emulator, vararg pairs: Pair<String, String>) =
        mapOf("CSMS_ENDPOINT" to emulator.endpoint, *pairs)

    @Test
    fun `fromEnv reads the official variables from the map it is given`() = runBlocking {
        Emulator().use { emulator ->
            val vars = env(emulator, "HUAWEICLOUD_SDK_AK" to "AK", "HUAWEICLOUD_SDK_SK" to "SK", "HUAWEICLOUD_SDK_PROJECT_ID" to "PID")
            val client = CsmsClient.fromEnv(env = vars, transport = JavaHttpTransport())
            client.call(list, "{}")
            assertEquals(1L, emulator.operationCount(list))
            // Nothing set: the endpoint is the first thing missing.
            val none = assertThrows<CsmsException.Validation> { runBlocking { CsmsClient.fromEnv(env = emptyMap()) } }
            assertEquals("CSMS_ENDPOINT", none.field)
            val noProject = assertThrows<CsmsException.Validation> {
                runBlocking { CsmsClient.fromEnv(env = env(emulator, "HUAWEICLOUD_SDK_AK" to "AK", "HUAWEICLOUD_SDK_SK" to "SK")) }
            }
            assertEquals("HUAWEICLOUD_SDK_PROJECT_ID", noProject.field)
        }
    }

    @Test
    fun `a missing SK is a validation error naming it and nothing is sent`() = runBlocking {
        Emulator().use { emulator ->
            val c = client(emulator, EnvCredentials(mapOf("HUAWEICLOUD_SDK_AK" to "AK")))
            val e = assertThrows<CsmsException.Validation> { runBlocking { c.call(list, "{}") } }
            assertEquals("HUAWEICLOUD_SDK_SK", e.field)
            assertTrue(e.message.contains("HUAWEICLOUD_SDK_SK"), e.message)
            assertEquals(0L, emulator.operationCount(list))
        }
    }

    @Test
    fun `keys that live four seconds are refreshed ahead and no call fails`() = runBlocking {
        Emulator("--metadata", "--temp-credential-ttl", "4").use { emulator ->
            val c = client(emulator, MetadataCredentials(endpoint = emulator.endpoint))
            val started = System.nanoTime()
            var calls = 0L
            while (System.nanoTime() - started < 13_000_000_000L) {
                c.call(list, "{}") // a failure fails the test
                calls++
                delay(200)
            }
            val fetches = emulator.operationCount("MetadataSecurityKey")
            println("$calls calls over 13 s, $fetches key fetches")
            // Refreshed at half of the 4-second lifetime: about 7 fetches for about 60 calls.
            assertTrue(fetches in 3..14, "$fetches fetches for $calls calls")
            assertTrue(calls >= 40, "$calls calls")
            assertEquals(calls, emulator.operationCount(list), "no call was refused and retried")
            assertEquals(1L, emulator.operationCount("MetadataToken"), "the session token is kept")
        }
    }

    @Test
    fun `concurrent calls on a cold provider wait for one fetch`() = runBlocking {
        Emulator("--metadata").use { emulator ->
            val fetches = AtomicInteger()
            val slow = FunctionCredentials("slow") {
                fetches.incrementAndGet()
                delay(300)
                ProvidedCredentials(ak = "AK", sk = "SK")
            }
            val c = client(emulator, slow)
            (1..16).map { async(Dispatchers.Default) { c.call(list, "{}") } }.awaitAll()
            assertEquals(1, fetches.get())
            // The same with the metadata service: one key fetch for 16 concurrent calls.
            val metadata = client(emulator, MetadataCredentials(endpoint = emulator.endpoint))
            (1..16).map { async(Dispatchers.Default) { metadata.call(list, "{}") } }.awaitAll()
            assertEquals(1L, emulator.operationCount("MetadataSecurityKey"))
        }
    }

    @Test
    fun `a call cancelled during a fetch leaves the provider usable`() = runBlocking {
        Emulator().use { emulator ->
            val calls = AtomicInteger()
            val stuck = FunctionCredentials("stuck once") {
                if (calls.incrementAndGet() == 1) delay(60_000)
                ProvidedCredentials(ak = "AK", sk = "SK")
            }
            val c = client(emulator, stuck)
            val first = launch(Dispatchers.Default) { c.call(list, "{}") }
            while (calls.get() == 0) delay(10)
            first.cancelAndJoin()
            // The cancelled fetch ended with the call: the next caller fetches instead of waiting for it.
            withTimeout(5_000) { c.call(list, "{}") }
            assertEquals(2, calls.get())
        }
    }

    @Test
    fun `a function provider signs, and one that throws or gives nonsense is named and nothing is sent`() = runBlocking {
        Emulator().use { emulator ->
            val expiring = ProvidedCredentials(ak = "AK", sk = "SK", expiresAt = Instant.now().plusSeconds(3600))
            client(emulator, FunctionCredentials { expiring }).call(list, "{}")
            assertEquals(1L, emulator.operationCount(list))
            val cases = listOf(
                FunctionCredentials("vault") { throw IllegalStateException("vault sealed") } to "vault sealed",
                FunctionCredentials("vault") { ProvidedCredentials(ak = "AK") } to "credentials.sk",
                FunctionCredentials("vault") { ProvidedCredentials(ak = "A K\nX", sk = "sk-secret-value") } to "credentials.ak",
                FunctionCredentials("vault") { ProvidedCredentials(authToken = "t", ak = "AK", sk = "sk-secret-value") } to "not both",
                FunctionCredentials("vault") {
                    ProvidedCredentials(ak = "AK", sk = "sk-secret-value", expiresAt = Instant.now().minusSeconds(60))
                } to "check the clock",
            )
            for ((provider, says) in cases) {
                val e = assertThrows<CsmsException.Credentials> { runBlocking { client(emulator, provider).call(list, "{}") } }
                assertEquals("vault", e.provider)
                assertTrue(e.reason.contains(says), e.reason)
                assertFalse(e.message.contains("sk-secret-value"), e.message)
                assertTrue(e.message.startsWith("no credentials from the vault provider: "), e.message)
            }
            assertEquals(1L, emulator.operationCount(list), "nothing sent by the failing providers")
        }
    }

    @Test
    fun `provided credentials print no secret`() {
        val text = ProvidedCredentials(ak = "AK", sk = "sk-secret-value", securityToken = "token-value").toString()
        assertTrue(text.contains("ak=AK") && text.contains("sk=***") && text.contains("securityToken=***"), text)
        assertFalse(text.contains("sk-secret-value") || text.contains("token-value"), text)
    }

    @Test
    fun `the default chain says why each provider did not apply`() = runBlocking {
        Emulator().use { emulator ->
            val vars = env(
                emulator,
                "HUAWEICLOUD_SDK_CREDENTIALS_FILE" to "/nonexistent/csms-test/credentials",
                "CSMS_METADATA_ENDPOINT" to emulator.endpoint, // serves no metadata: 404
            )
            // Half an access key in the environment: the missing half named, the chain stops there.
            val half = assertThrows<CsmsException.Validation> {
                runBlocking { CsmsClient.fromEnv(env = vars + ("HUAWEICLOUD_SDK_AK" to "AK")) }
            }
            assertEquals("HUAWEICLOUD_SDK_SK", half.field)
            val e = assertThrows<CsmsException.Credentials> { runBlocking { CsmsClient.fromEnv(env = vars) } }
            assertEquals("default chain", e.provider)
            for (part in listOf(
                "environment: invalid `HUAWEICLOUD_SDK_AK`: is not set",
                "profile: no credentials from the profile provider: /nonexistent/csms-test/credentials: does not exist",
                "metadata: no credentials from the metadata provider: the security key request got status 404",
            )) {
                assertTrue(e.message.contains(part), "$part not in ${e.message}")
            }
            // The same chain as a provider, without a metadata endpoint: the real address is refused at once.
            val started = System.nanoTime()
            val guarded = client(emulator, defaultCredentials(mapOf("HUAWEICLOUD_SDK_CREDENTIALS_FILE" to "/nonexistent/c")))
            val refused = assertThrows<CsmsException.Credentials> { runBlocking { guarded.call(list, "{}") } }
            assertTrue(refused.reason.contains("refusing to contact http://169.254.169.254"), refused.reason)
            assertTrue(System.nanoTime() - started < 1_000_000_000L, "it failed fast")
            assertEquals(0L, emulator.operationCount(list))
        }
    }

    @Test
    fun `an expired-token refusal refetches once and the call is retried`() = runBlocking {
        Emulator("--metadata", "--temp-credential-ttl", "60").use { emulator ->
            val c = client(emulator, MetadataCredentials(endpoint = emulator.endpoint))
            c.call(list, "{}")
            // The server's clock jumps past the key's expiry; the client still thinks it fresh.
            assertEquals(200, emulator.post("/_emulator/clock", """{"offset_ms": 61000}"""))
            c.call(list, "{}")
            assertEquals(2L, emulator.operationCount("MetadataSecurityKey"))
            assertEquals(3L, emulator.operationCount(list), "the refused attempt and its retry")
        }
    }

    @Test
    fun `a provider shared by two clients fetches for both, and profiles are read natively`() = runBlocking {
        Emulator().use { emulator ->
            val file = kotlin.io.path.createTempFile("csms-profile").toFile()
            try {
                file.writeText("[basic]\nak = AK\nsk = SK\nproject_id = PID\n")
                val fetches = AtomicInteger()
                val profile = ProfileCredentials(file.path)
                val counted = FunctionCredentials("counted") { fetches.incrementAndGet(); ProvidedCredentials(ak = "AK", sk = "SK") }
                for (provider in listOf(profile, counted)) {
                    val first = client(emulator, provider)
                    // No credentials before a call fetched them: buildRequest does no I/O.
                    val early = assertThrows<CsmsException.Validation> { first.buildRequest(list, "{}") }
                    assertEquals("credentials", early.field)
                    first.call(list, "{}")
                    val signed = first.buildRequest(list, "{}").headers.first { it.name == "Authorization" }.value
                    assertTrue(signed.contains("Access=AK,"), signed)
                    client(emulator, provider).call(list, "{}")
                }
                assertEquals(1, fetches.get())
                assertEquals(4L, emulator.operationCount(list))
                val both = assertThrows<CsmsException.Validation> {
                    CsmsClient(emulator.options(), JavaHttpTransport(), credentials = profile)
                }
                assertEquals("credentials", both.field)
            } finally {
                file.delete()
            }
        }
    }
}

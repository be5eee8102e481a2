package csms

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows

/** End to end against target/debug/csms-emulator, through the default transport. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmulatorTest {
    private lateinit var process: Process
    private lateinit var endpoint: String

    @BeforeAll
    fun start() {
        val root = File(System.getProperty("csms.root") ?: "../..")
        val exe = System.getenv("CSMS_EMULATOR") ?: root.resolve("target/debug/csms-emulator").path
        process = ProcessBuilder(exe, "--listen", "127.0.0.1:0", "--ak", "AK", "--sk", "SK", "--project-id", "PID")
            .redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val line = BufferedReader(InputStreamReader(process.inputStream)).readLine() ?: error("the emulator printed nothing")
        require(line.startsWith("listening on ")) { "unexpected first line: $line" }
        endpoint = line.removePrefix("listening on ").trim()
    }

    @AfterAll
    fun stop() {
        if (::process.isInitialized) process.destroy()
    }

    private fun options(sk: String = "SK") =
        """{"endpoint":"$endpoint","project_id":"PID","credentials":{"ak":"AK","sk":"$sk"}}"""

    private fun client(sk: String = "SK") = CsmsClient(options(sk), JavaHttpTransport())

    private fun field(json: String, name: String): String? =
        Regex("\"$name\"\\s*:\\s*\"([^\"]*)\"").find(json)?.groupValues?.get(1)

    @Test
    fun rotationFlow() = runBlocking {
        val c = client()
        val name = "kotlin-rotation-${System.nanoTime()}"
        val created = c.call("CreateSecret", """{"name":"$name","secret_string":"first-value"}""")
        assertEquals(name, field(created, "name"))
        val updated = c.call("UpdateSecret", """{"secret_name":"$name","description":"kotlin"}""")
        assertEquals("kotlin", field(updated, "description"))
        val v2 = c.call("CreateSecretVersion", """{"secret_name":"$name","secret_string":"second"}""")
        assertEquals("v2", field(v2, "id"))
        val latest = c.call("ShowSecretVersion", """{"secret_name":"$name","version_id":"latest"}""")
        assertEquals("second", field(latest, "secret_string"))
        assertTrue(latest.contains("SYSCURRENT"))
        val previous = c.call("ShowSecretStage", """{"secret_name":"$name","stage_name":"SYSPREVIOUS"}""")
        assertEquals("v1", field(previous, "version_id"))
        val versions = c.call("ListSecretVersions", """{"secret_name":"$name"}""")
        assertEquals(2, Regex("\"id\"\\s*:").findAll(versions).count(), versions)
        // A COMMON secret has no rotation function: the emulator refuses, with a request id.
        val rotate = assertThrows<CsmsException.Api> { runBlocking { c.call("RotateSecret", """{"secret_name":"$name"}""") } }
        assertEquals(400, rotate.status.toInt())
        assertTrue(rotate.requestId.isNotEmpty())
        // Concurrent calls from coroutines share the client and the transport.
        val shown = (1..8).map { async { c.call("ShowSecret", """{"secret_name":"$name"}""") } }.awaitAll()
        assertTrue(shown.all { it == shown[0] })
        c.call("DeleteSecret", """{"secret_name":"$name"}""")
        val gone = assertThrows<CsmsException.Api> { runBlocking { c.call("ShowSecret", """{"secret_name":"$name"}""") } }
        assertEquals(404, gone.status.toInt())
    }

    @Test
    fun apiErrorCarriesRequestId() {
        val e = assertThrows<CsmsException.Api> {
            runBlocking { client().call("ShowSecret", """{"secret_name":"no-such-secret-kotlin"}""") }
        }
        assertEquals(404, e.status.toInt())
        assertEquals("CSMS.0106", e.errorCode)
        assertTrue(e.requestId.isNotEmpty(), "no request id in $e")
        assertTrue(e.errorCode.isNotEmpty())
        assertTrue(e.message!!.contains(e.requestId), e.message)
        val denied = assertThrows<CsmsException.Api> {
            runBlocking { client(sk = "WRONG").call("ListSecrets", "{}") }
        }
        assertEquals(401, denied.status.toInt())
    }

    @Test
    fun validationErrorNamesItsField() {
        val e = assertThrows<CsmsException.Validation> {
            runBlocking { client().call("ShowSecret", """{"secret_name":""}""") }
        }
        assertEquals("secret_name", e.field)
        assertTrue(e.message!!.contains("secret_name"), e.message)
        val noTransport = assertThrows<CsmsException.Validation> {
            runBlocking { CsmsClient(options()).call("ListSecrets", "{}") }
        }
        assertEquals("transport", noTransport.field)
    }

    @Test
    fun typedOperations() = runBlocking {
        val c = client()
        val name = "kotlin-typed-${System.nanoTime()}"
        val created = c.createSecret(name = name, secretString = "v1", description = "typed \"quoted\"")
        assertEquals(name, field(created, "name"))
        val tagged = c.batchCreateOrDeleteTags(
            secretId = field(created, "id")!!, tags = listOf(TagItem(key = "env", value = "test")), action = "create",
        )
        assertTrue(tagged.startsWith("{"), tagged)
        assertTrue(c.showSecret(secretName = name).contains("typed"))
        c.deleteSecret(secretName = name)
        Unit
    }

    @Test
    fun retriesAndSignsEachAttemptAnew() = runBlocking {
        val seen = ArrayList<String>()
        val flaky = object : HttpTransport {
            val real = JavaHttpTransport()
            override suspend fun send(request: HttpRequest): HttpResponse {
                seen.add(request.headers.first { it.name == "Authorization" }.value)
                if (seen.size < 3) throw CsmsException.Transport("refused (test)", false)
                return real.send(request)
            }
            override suspend fun sleep(millis: ULong) {}
        }
        CsmsClient(options(), flaky).call("ListSecrets", "{}")
        assertEquals(3, seen.size)
    }
}

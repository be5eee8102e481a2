package csms

import java.nio.charset.CharacterCodingException
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The fast path's own encoding of requests (FastCall.kt's `Wire`) gives what uniffi's converters give. */
class FastPathTest {
    private val url = "https://csms.example.com/v1/p/secrets"

    /** A transport answering every request with [body] (status 200), without a socket. */
    private class Canned(private val body: String) : HttpTransport {
        override suspend fun send(request: HttpRequest): HttpResponse =
            HttpResponse(200, listOf(Header("Content-Type", "application/json")), body.toByteArray())
        override suspend fun sleep(millis: Long) {}
    }

    @Test
    fun `a typed result read from the fast path's tree is what the result JSON parses to`() {
        // Every kind of JSON value, in a member passed through as JSON (`extension`), and
        // fields the core coerces: integers beyond 64 bits signed, fractions, exponents,
        // negative zero, escapes, non-ASCII, empty containers, nulls in a list.
        val body = """{"user_id":"u1","grade":"7","disabled":"TRUE","mobile":123,"user_name":"caf\u00e9 \ud83d\ude00 \"q\" \\ \n",""" +
            """"extension":{"big":18446744073709551615,"neg":-9223372036854775808,"max":9223372036854775807,"f":1.5,"e":1e300,""" +
            """"z":-0.0,"t":true,"n":null,"s":"","a":[1,"x",null,[],{}],"o":{"k":{"k":[false]}}},"user_org_relation_list":{"org_id":"o"},"other":1}"""
        val client = CsmsClient("""{"endpoint":"https://csms.example.com","project_id":"p","credentials":{"ak":"a","sk":"s"}}""", Canned(body))
        runBlocking {
            val input = """{"user_id":"u1"}"""
            val fields = client.callFields("ShowUserDetail", input)
            val text = client.call("ShowUserDetail", input)
            assertEquals(CsmsJson.parse(text), fields.map)
            val typed = client.showUserDetail("u1")
            assertEquals(ShowUserDetailResult.fromJson(text), typed)
            assertEquals(7L, typed.grade)
            assertEquals("123", typed.mobile)
            assertEquals(18446744073709551615.0, typed.extension!!["big"])
            assertEquals(Long.MIN_VALUE, typed.extension!!["neg"])
            assertEquals(-0.0, typed.extension!!["z"])
            assertEquals("caf\u00e9 \uD83D\uDE00 \"q\" \\ \n", typed.userName)
        }
    }

    @Test
    fun `a lone surrogate in a header is refused as by uniffi's encoder, not sent as a question mark`() {
        val request = HttpRequest("GET", url, listOf(Header("X-Note", "a\uD800b")), ByteArray(0))
        assertThrows<CharacterCodingException> { signRequest(request, "AK", "SK", at = "20240806T101010Z") }
    }

    @Test
    fun `non-ASCII and question marks cross unchanged`() {
        val request = HttpRequest("GET", "$url?q=a?b", listOf(Header("X-Note", "caf\u00e9 \uD83D\uDE00 ?")), ByteArray(0))
        val signed = signRequest(request, "AK", "SK", at = "20240806T101010Z")
        assertEquals("$url?q=a?b", signed.url)
        assertEquals("caf\u00e9 \uD83D\uDE00 ?", signed.headers.first { it.name == "X-Note" }.value)
        assertEquals(null, verifyRequest(signed, "AK", "SK"))
    }

    @Test
    fun `signed headers larger than the buffer they came in come back whole`() {
        // The answer is written over the thread's buffer (2 KiB at first) where it fits, in a
        // new array where not: header values of sizes around that limit, on a fresh thread.
        var failure: Throwable? = null
        val thread = Thread {
            try {
                for (n in 1700..2100 step 7) {
                    val big = "v".repeat(n)
                    val request = HttpRequest("PUT", url, listOf(Header("X-Big", big)), "{}".toByteArray())
                    val signed = signRequest(request, "AK", "SK", securityToken = "TOKEN", at = "20240806T101010Z")
                    assertEquals(big, signed.headers.first { it.name == "X-Big" }.value)
                    assertEquals("TOKEN", signed.headers.first { it.name == "X-Security-Token" }.value)
                    assertEquals(null, verifyRequest(signed, "AK", "SK", "TOKEN"))
                    assertEquals(true, request.body === signed.body)
                }
            } catch (e: Throwable) {
                failure = e
            }
        }
        thread.start()
        thread.join()
        failure?.let { throw it }
    }

    @Test
    fun `the secret key and the security token are not left in the thread's buffer`() {
        val request = HttpRequest("GET", url, listOf(Header("Content-Type", "application/json")), ByteArray(0))
        for (token in listOf(null, "TOKEN-9f3b7c")) {
            signRequest(request, "AK", "SK-5d2e8a", securityToken = token, at = "20240806T101010Z")
            val left = String(Wire.writer().bytes, Charsets.ISO_8859_1)
            assertEquals(false, left.contains("SK-5d2e8a"), "the secret key")
            assertEquals(false, left.contains("TOKEN-9f3b7c"), "the security token")
        }
    }

    @Test
    fun `a secret value is not left in the thread's buffer by signRequest, buildRequest or parseResponse`() {
        val body = """{"secret_string":"VALUE-7c1e"}""".toByteArray()
        signRequest(HttpRequest("POST", url, emptyList(), body), "AK", "SK", at = "20240806T101010Z")
        assertEquals(false, String(Wire.writer().bytes, Charsets.ISO_8859_1).contains("VALUE-7c1e"), "signRequest")
        CsmsClient(region = "cn-north-4", projectId = "p", credentials = ProvidedCredentials(ak = "AK", sk = "SK")).use { client ->
            client.buildRequest("CreateSecret", """{"name":"db","secret_string":"VALUE-7c1e"}""", "20240806T101010Z")
            assertEquals(false, String(Wire.writer().bytes, Charsets.ISO_8859_1).contains("VALUE-7c1e"), "buildRequest")
            val answer = """{"version":{"secret_string":"VALUE-7c1e"}}""".toByteArray()
            client.parseResponse("ShowSecretVersion", HttpResponse(200, emptyList(), answer))
            assertEquals(false, String(Wire.writer().bytes, Charsets.ISO_8859_1).contains("VALUE-7c1e"), "parseResponse")
        }
    }

    @Test
    fun `a call leaves neither its input nor its response nor its result in the thread's buffer`() {
        // The answers are written over the buffer the input and the response came in: what is
        // left of those after a shorter answer is wiped too, and the answer once read.
        val client = CsmsClient(
            """{"endpoint":"https://csms.example.com","project_id":"p","credentials":{"ak":"a","sk":"s"}}""",
            Canned("""{"version":{"secret_string":"RESULT-4b8d","version_metadata":{"id":"v1"}},"padding":"${"x".repeat(600)}"}"""),
        )
        runBlocking {
            val typed = client.showSecretVersion(secretName = "INPUT-2a9f", versionId = "latest")
            assertEquals("RESULT-4b8d", typed.version!!.secretString)
            val left = String(Wire.writer().bytes, Charsets.ISO_8859_1)
            assertEquals(false, left.contains("INPUT-2a9f"), "the input")
            assertEquals(false, left.contains("padding"), "the response")
            assertEquals(false, left.contains("RESULT-4b8d"), "the result")
            client.call("ShowSecretVersion", """{"secret_name":"INPUT-2a9f","version_id":"latest"}""")
            assertEquals(false, String(Wire.writer().bytes, Charsets.ISO_8859_1).contains("RESULT-4b8d"), "call's result")
        }
    }

    /** A transport answering with [responses] in turn, recording the waits it is asked for. */
    private class Script(private vararg val responses: HttpResponse) : HttpTransport {
        var sent = 0
        val waits = mutableListOf<Long>()
        override suspend fun send(request: HttpRequest): HttpResponse = responses[sent++]
        override suspend fun sleep(millis: Long) {
            waits.add(millis)
        }
    }

    @Test
    fun `the headers the core reads of a response reach it in any letter case, and only those`() {
        // Only the headers the core reads of a response of its status cross (the request id of
        // a success; also Retry-After and Date of others): one the core never reads, even one
        // uniffi's encoder would refuse (a lone surrogate), does not fail the call.
        val odd = Header("X-Odd", "a\uD800b")
        val options = """{"endpoint":"https://csms.example.com","project_id":"p","credentials":{"ak":"a","sk":"s"}}"""
        val undecodable = Script(HttpResponse(200, listOf(odd, Header("x-REQUEST-id", "req-7")), "[1]".toByteArray()))
        val decode = assertThrows<CsmsException.Decode> { runBlocking { CsmsClient(options, undecodable).showSecretVersion("db", "latest") } }
        assertEquals("req-7", decode.requestId)
        assertEquals(200, decode.status)

        val throttled = HttpResponse(
            429, listOf(odd, Header("RETRY-after", "3"), Header("X-Request-ID", "req-8")),
            """{"error_code":"CSMS.0429","error_msg":"slow down"}""".toByteArray(),
        )
        val script = Script(throttled, HttpResponse(200, listOf(odd), """{"version":{"secret_string":"v"}}""".toByteArray()))
        val typed = runBlocking { CsmsClient(options, script).showSecretVersion("db", "latest") }
        assertEquals("v", typed.version!!.secretString)
        assertEquals(listOf(3000L), script.waits) // Retry-After read

        val refused = Script(
            HttpResponse(404, listOf(odd, Header("x-request-id", "req-9")), """{"error_code":"CSMS.0404","error_msg":"no"}""".toByteArray()),
        )
        val api = assertThrows<CsmsException.Api> { runBlocking { CsmsClient(options, refused).showSecretVersion("db", "latest") } }
        assertEquals("req-9", api.requestId)
        assertEquals("CSMS.0404", api.errorCode)
    }

    @Test
    fun `an object of the fast path's tree is a read-only map like the parsed one`() {
        val body = """{"user_id":"u1","extension":{"b":1,"a":{"x":[true]},"n":null,"s":"t"}}"""
        val client = CsmsClient("""{"endpoint":"https://csms.example.com","project_id":"p","credentials":{"ak":"a","sk":"s"}}""", Canned(body))
        runBlocking {
            val parsed = CsmsJson.parse("""{"a":{"x":[true]},"b":1,"n":null,"s":"t"}""") as Map<*, *>
            val tree = client.showUserDetail("u1").extension!!
            assertEquals(parsed, tree)
            assertEquals(tree, parsed)
            assertEquals(parsed.hashCode(), tree.hashCode())
            assertEquals(parsed.toString(), tree.toString())
            assertEquals(listOf("a", "b", "n", "s"), tree.keys.toList()) // sorted, as the core's objects are
            assertEquals(1L, tree[String(charArrayOf('b'))]) // found by value, not only by identity
            assertEquals(true, tree.containsKey("n"))
            assertEquals(null, tree["n"])
            assertEquals(false, tree.containsKey("missing"))
            assertThrows<UnsupportedOperationException> { (tree as MutableMap<String, Any?>).remove("a") }
            assertThrows<UnsupportedOperationException> { (tree as MutableMap<String, Any?>)["c"] = 1 }
        }
        client.close()
    }

    @Test
    fun `results larger than the thread's buffer come back whole`() {
        // An answer that does not fit in the buffer the response came in comes back in a new
        // array (kept as the thread's buffer up to 64 KiB): a list of small numbers is about
        // 2 bytes a number as JSON text and 9 in the tree, so its answer outgrows the response,
        // around both limits, on a fresh thread.
        var failure: Throwable? = null
        val thread = Thread {
            try {
                for (n in listOf(10, 300, 1000, 10_000, 100)) {
                    val numbers = List(n) { it % 10 }
                    val client = CsmsClient(
                        """{"endpoint":"https://csms.example.com","project_id":"p","credentials":{"ak":"a","sk":"s"}}""",
                        Canned("""{"user_id":"u$n","extension":{"a":${numbers.joinToString(",", "[", "]")}}}"""),
                    )
                    runBlocking {
                        val typed = client.showUserDetail("u1")
                        assertEquals("u$n", typed.userId)
                        assertEquals(numbers.map { it.toLong() }, typed.extension!!["a"])
                    }
                    client.close()
                }
            } catch (e: Throwable) {
                failure = e
            }
        }
        thread.start()
        thread.join()
        failure?.let { throw it }
    }
}

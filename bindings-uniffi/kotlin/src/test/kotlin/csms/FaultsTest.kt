package csms

import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.SocketTimeoutException
import java.time.Duration
import java.util.Collections
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Issue 8 through the default transport (JavaHttpTransport) and the core's retry loop in
 * CsmsClient.call: injected faults, a server clock 30 minutes off, timeouts, withheld retries.
 * The Kotlin twin of core/tests/faults.rs.
 */
class FaultsTest {
    /** Short backoff (5 ms base) so that a thousand calls with retries take seconds. */
    private fun client(emulator: Emulator, transport: HttpTransport = JavaHttpTransport(), maxAttempts: Int? = null) =
        CsmsClient(emulator.options(), transport, maxAttempts, 5L)

    /** One call of the mix, as in core/tests/faults.rs: (operation, secret, input JSON). */
    private fun callFor(n: Long): Triple<String, String, String> {
        val h = (n.toULong() * 0x9E3779B97F4A7C15uL) shr 40
        val secret = listOf("db", "app1", "app2")[(h % 3uL).toInt()]
        return when ((h / 3uL % 8uL).toInt()) {
            0 -> Triple("ShowSecret", secret, """{"secret_name":"$secret"}""")
            1 -> Triple("ShowSecretVersion", secret, """{"secret_name":"$secret","version_id":"latest"}""")
            2 -> Triple("ListSecretVersions", secret, """{"secret_name":"$secret","limit":10}""")
            3 -> Triple("UpdateSecret", secret, """{"secret_name":"$secret","description":"call $n"}""")
            4 -> Triple("CreateSecretVersion", secret, """{"secret_name":"$secret","secret_string":"value $n"}""")
            // Rotations: the database secret rotates; COMMON ones are refused with a 400.
            5, 6 -> Triple("RotateSecret", "db", """{"secret_name":"db"}""")
            else -> Triple("RotateSecret", secret, """{"secret_name":"$secret"}""")
        }
    }

    /** The default transport, counting the requests sent through it and timing each send. */
    private class Counting(val real: JavaHttpTransport = JavaHttpTransport()) : HttpTransport {
        @Volatile var sends = 0
        val sendMillis: MutableList<Long> = Collections.synchronizedList(ArrayList())
        override suspend fun send(request: HttpRequest): HttpResponse {
            sends++
            val started = System.nanoTime()
            try {
                return real.send(request)
            } finally {
                sendMillis.add((System.nanoTime() - started) / 1_000_000)
            }
        }
        override suspend fun sleep(millis: Long) = real.sleep(millis)
    }

    /**
     * A listening socket (backlog 1) that accepts nothing, its accept queue filled by
     * connections held open, so that the kernel leaves further connection requests unanswered
     * (Linux drops the SYN): connecting to it can only time out. Filled as `full_backlog` in
     * bindings-python/tests/test_retries.py does: timed connects, each one that succeeds held,
     * until one times out. [full] is false on a system that accepts connections beyond the
     * backlog (the test is then skipped).
     */
    private class FullBacklog : AutoCloseable {
        private val loopback = InetAddress.getByName("127.0.0.1")
        // Backlog 1, not 0: the JDK takes 0 (or less) to mean its default, 50.
        val server = ServerSocket(0, 1, loopback)
        private val held = ArrayList<Socket>()
        val full: Boolean = run {
            repeat(8) {
                val probe = Socket()
                try {
                    probe.connect(InetSocketAddress(loopback, server.localPort), 200)
                } catch (e: SocketTimeoutException) {
                    probe.close()
                    return@run true
                }
                held.add(probe)
            }
            false
        }
        override fun close() {
            held.forEach { runCatching { it.close() } }
            server.close()
        }
    }

    private val nonIdempotent = setOf("RotateSecret", "CreateSecretVersion")

    /** Creates `name` through the faults: ShowSecret (retried) tells whether a lost CreateSecret was applied. */
    private suspend fun ensureSecret(c: CsmsClient, name: String, input: String) {
        repeat(20) {
            try {
                c.call("ShowSecret", """{"secret_name":"$name"}""")
                return
            } catch (e: CsmsException.Api) {
                if (e.status == 404) runCatching { c.call("CreateSecret", input) }
            } catch (e: CsmsException.Transport) {
            }
        }
        error("could not create $name through the faults")
    }

    private class Tally {
        var calls = 0L
        var succeeded = 0L
        var maybeSent = 0L
        var failed = 0L
    }

    @Test
    fun aThousandCallsThroughTwentyPercentFaults() = runBlocking {
        Emulator("--faults", "seed=20261123,503=8%,429=4%,retry-after=0,close-before=4%,close-after=4%").use { emulator ->
            val started = System.nanoTime()
            val c = client(emulator, JavaHttpTransport(Duration.ofSeconds(5), Duration.ofSeconds(10)))
            ensureSecret(c, "db", """{"name":"db","secret_type":"RDS-FG","secret_string":"{\"username\":\"app\",\"password\":\"initial\"}"}""")
            for (name in listOf("app1", "app2")) ensureSecret(c, name, """{"name":"$name","secret_string":"v0"}""")
            val before = emulator.applied("db")

            val results = withContext(Dispatchers.Default) {
                (0L until 8L).map { task ->
                    async {
                        (0L until 125L).map { i ->
                            val (op, secret, input) = callFor(task * 125 + i)
                            Triple(op, secret, runCatching { c.call(op, input) })
                        }
                    }
                }.awaitAll().flatten()
            }
            assertEquals(1000, results.size)

            val tallies = HashMap<Pair<String, String>, Tally>()
            for ((op, secret, result) in results) {
                val tally = tallies.getOrPut(op to secret) { Tally() }
                tally.calls++
                val error = result.exceptionOrNull()
                if (error == null) {
                    tally.succeeded++
                    continue
                }
                tally.failed++
                when (error) {
                    is CsmsException.Api -> {
                        assertTrue(error.requestId.isNotEmpty(), "$op on $secret: no request id: ${error.message}")
                        assertTrue(error.message.contains(error.requestId), error.message)
                        when (error.status) {
                            503 -> assertEquals("CSMS.0503", error.errorCode)
                            429 -> assertEquals("CSMS.0429", error.errorCode)
                            400 -> assertTrue(op == "RotateSecret" && secret != "db", "$op on $secret: ${error.message}")
                            else -> throw AssertionError("$op on $secret: unexpected ${error.message}")
                        }
                        // A 429 is retried for every operation; a 503 only for idempotent ones.
                        if (error.status == 429) assertNull(error.notRetried, error.message)
                        if (op in nonIdempotent && error.status == 503) {
                            assertTrue(error.notRetried?.contains("not idempotent") == true, error.message)
                        }
                    }
                    is CsmsException.Transport -> {
                        // Every injected close comes after the whole request was written.
                        assertTrue(error.maybeSent, "$op on $secret: ${error.message}")
                        tally.maybeSent++
                        if (op in nonIdempotent) assertTrue(error.notRetried?.contains("not idempotent") == true, error.message)
                    }
                    else -> throw AssertionError("$op on $secret: unexpected $error")
                }
            }

            // Idempotent calls fail only when every attempt was faulted (0.2^3 = 0.8% expected).
            val idempotent = tallies.filterKeys { it.first !in nonIdempotent }.values
            val idempotentCalls = idempotent.sumOf { it.calls }
            val idempotentFailures = idempotent.sumOf { it.failed }
            assertTrue(idempotentCalls > 400, "$idempotentCalls")
            assertTrue(idempotentFailures * 100 <= idempotentCalls * 3, "$idempotentFailures of $idempotentCalls failed")

            // Non-idempotent calls: applied at most once per call (counted by the emulator).
            for (secret in listOf("db", "app1", "app2")) {
                val (rotated, versioned) = emulator.applied(secret)
                val base = if (secret == "db") before else 0L to 0L
                for ((op, count) in listOf("RotateSecret" to rotated - base.first, "CreateSecretVersion" to versioned - base.second)) {
                    val t = tallies[op to secret] ?: Tally()
                    assertTrue(count >= t.succeeded && count <= t.succeeded + t.maybeSent,
                        "$op on $secret: applied $count, succeeded ${t.succeeded}, maybe sent ${t.maybeSent}")
                }
            }
            assertEquals(0L, emulator.applied("app1").first, "a COMMON secret never rotates")

            val stats = emulator.get("/_emulator/faults")
            val requests = stats.long("requests")!!
            val faults = listOf("unavailable", "throttled", "closed_before", "closed_after").sumOf { stats.long(it)!! }
            assertTrue(requests >= 1000 + 2 * idempotentFailures, "$requests requests")
            assertTrue(faults * 100 in requests * 15..requests * 25, "$faults faults in $requests requests")
            val seconds = (System.nanoTime() - started) / 1e9
            println("faults: 1000 calls, $requests requests, $faults faults, $idempotentFailures of $idempotentCalls idempotent calls failed, ${"%.1f".format(seconds)} s")
            assertTrue(seconds < 60, "$seconds s")
        }
    }

    @Test
    fun aClockThirtyMinutesOffIsCorrectedOnceAndKept() = runBlocking {
        Emulator("--faults", "clock-offset=-1800").use { emulator ->
            // (The emulator counts requests only when it injects faults: count them here.)
            val counting = Counting()
            val c = client(emulator, counting)
            c.call("ListSecrets", "{}")
            assertEquals(2, counting.sends, "one refused attempt, one corrected")
            assertTrue(c.clockOffsetSeconds() in -1805L..-1795L, "${c.clockOffsetSeconds()}")
            c.call("ListSecrets", "{}")
            assertEquals(3, counting.sends, "the offset is kept for the next call")
        }
    }

    @Test
    fun a429IsRetriedEvenForARotationAndALongRetryAfterEndsTheCall() = runBlocking {
        Emulator("--faults", "429=100%,retry-after=0").use { emulator ->
            val counting = Counting()
            val e = assertThrows<CsmsException.Api> {
                runBlocking { client(emulator, counting).call("RotateSecret", """{"secret_name":"db"}""") }
            }
            assertEquals(429, e.status)
            assertNull(e.notRetried, e.message)
            assertEquals(java.time.Duration.ZERO, e.retryAfter)
            assertEquals(3, counting.sends, "throttling refuses before applying: every attempt")
        }
        Emulator("--faults", "429=100%,retry-after=120").use { emulator ->
            val counting = Counting()
            val e = assertThrows<CsmsException.Api> {
                runBlocking { client(emulator, counting).call("ShowSecret", """{"secret_name":"db"}""") }
            }
            assertEquals(java.time.Duration.ofSeconds(120), e.retryAfter)
            assertTrue(e.notRetried?.contains("120 s (Retry-After)") == true, e.message)
            assertEquals(1, counting.sends, "not retried earlier than asked")
            // Up to maxRetryAfterMillis, the wait is what the server asked.
            val waits = ArrayList<Long>()
            val recording = object : HttpTransport {
                override suspend fun send(request: HttpRequest) = counting.send(request)
                override suspend fun sleep(millis: Long) { waits.add(millis) }
            }
            assertThrows<CsmsException.Api> {
                runBlocking { CsmsClient(emulator.options(), recording, 2, 5L, 300_000L).call("ShowSecret", """{"secret_name":"db"}""") }
            }
            assertEquals(listOf(120_000L), waits)
            assertThrows<CsmsException.Validation> { CsmsClient(emulator.options(), recording, null, null, -1L) }
        }
    }

    @Test
    fun aServerClockYearsAheadIsNotFollowedAndTheClientWorksWhenItIsBack() = runBlocking {
        Emulator().use { emulator ->
            fun setOffset(millis: Long) {
                val request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("${emulator.endpoint}/_emulator/clock"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("""{"offset_ms":$millis}""")).build()
                java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.discarding())
            }
            val c = client(emulator)
            setOffset(20L * 365 * 86_400_000)
            val e = assertThrows<CsmsException.Api> { runBlocking { c.call("ListSecrets", "{}") } }
            assertEquals(401, e.status)
            assertTrue(e.notRetried?.contains("max_clock_offset") == true, e.message)
            assertEquals(0L, c.clockOffsetSeconds())
            setOffset(0)
            c.call("ListSecrets", "{}")
            // A wider bound, in the options, follows a server 25 hours ahead.
            setOffset(25L * 3_600_000)
            val wide = emulator.options().replace("\"project_id\"", "\"max_clock_offset_ms\":${36L * 3_600_000},\"project_id\"")
            val lenient = CsmsClient(wide, JavaHttpTransport(), null, 5L)
            lenient.call("ListSecrets", "{}")
            assertTrue(lenient.clockOffsetSeconds() in 89_990L..90_010L, "${lenient.clockOffsetSeconds()}")
            setOffset(0)
        }
    }

    @Test
    fun aWithheldRetrySaysWhyAndIsAppliedAtMostOnce() = runBlocking {
        Emulator("--faults", "seed=7,close-after=100%").use { emulator ->
            val c = client(emulator)
            // Applied, then the connection closes: CreateSecret is lost but done.
            runCatching { c.call("CreateSecret", """{"name":"w","secret_string":"v0"}""") }
            val before = emulator.requests()
            val e = assertThrows<CsmsException.Transport> {
                runBlocking { c.createSecretVersion(secretName = "w", secretString = "v1") }
            }
            assertTrue(e.maybeSent)
            assertEquals("CreateSecretVersion is not idempotent and the request may have reached the server", e.notRetried)
            assertTrue(e.message.endsWith("; not retried: ${e.notRetried}"), e.message)
            assertEquals(before + 1, emulator.requests(), "sent once")
            assertEquals(1L, emulator.applied("w").second, "applied once")
        }
    }

    @Test
    fun aRequestTimeoutFiresAndMayHaveBeenSent() = runBlocking {
        ServerSocket(0, 50, InetAddress.getLoopbackAddress()).use { silent ->
            val accepted = Collections.synchronizedList(ArrayList<Socket>())
            Thread { runCatching { while (true) accepted.add(silent.accept()) } }.apply { isDaemon = true }.start()
            val options = """{"endpoint":"http://127.0.0.1:${silent.localPort}","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}"""
            val transport = JavaHttpTransport(requestTimeout = Duration.ofMillis(300))
            assertEquals(Duration.ofSeconds(10), transport.connectTimeout)
            val started = System.nanoTime()
            val e = assertThrows<CsmsException.Transport> {
                runBlocking { CsmsClient(options, transport, null, 5L).call("RotateSecret", """{"secret_name":"x"}""") }
            }
            val millis = (System.nanoTime() - started) / 1_000_000
            assertTrue(e.maybeSent, e.message)
            assertTrue(e.timedOut, e.message)
            assertTrue(e.reason.contains("timed out"), e.reason)
            assertTrue(e.notRetried?.contains("not idempotent") == true, e.message)
            assertTrue(millis in 250..5_000, "$millis ms")
            assertEquals(1, accepted.size, "not resent")
            accepted.forEach { it.close() }
        }
        assertEquals(Duration.ofSeconds(60), JavaHttpTransport().requestTimeout)
    }

    @Test
    fun aRefusedConnectionWasNotSentAndIsRetried() = runBlocking {
        val port = ServerSocket(0, 50, InetAddress.getLoopbackAddress()).use { it.localPort }
        val options = """{"endpoint":"http://127.0.0.1:$port","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}"""
        val counting = Counting()
        val e = assertThrows<CsmsException.Transport> {
            runBlocking { CsmsClient(options, counting, null, 5L).call("RotateSecret", """{"secret_name":"x"}""") }
        }
        assertFalse(e.maybeSent, e.message)
        assertFalse(e.timedOut, e.message)
        assertNull(e.notRetried)
        assertEquals(3, counting.sends, "a request that never left is resent, even a RotateSecret")
    }

    @Test
    fun aConnectTimeoutWasNotSentAndIsRetried() = runBlocking {
        FullBacklog().use { backlog ->
            assumeTrue(backlog.full, "this system accepts connections beyond a listening socket's backlog")
            val options = """{"endpoint":"http://127.0.0.1:${backlog.server.localPort}","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}"""
            // A request timeout far longer than the test's bound: only the connect timeout can end an attempt.
            val counting = Counting(JavaHttpTransport(connectTimeout = Duration.ofMillis(300), requestTimeout = Duration.ofSeconds(30)))
            val started = System.nanoTime()
            val e = assertThrows<CsmsException.Transport> {
                runBlocking { CsmsClient(options, counting, null, 5L).call("RotateSecret", """{"secret_name":"x"}""") }
            }
            val millis = (System.nanoTime() - started) / 1_000_000
            assertFalse(e.maybeSent, e.message)
            assertTrue(e.timedOut, e.message)
            assertTrue(e.reason.startsWith("connect timed out after PT0.3S"), e.reason)
            assertNull(e.notRetried, "never sent: retried")
            assertEquals(3, counting.sends, "a request that never left is resent, even a RotateSecret")
            val each = counting.sendMillis.toList()
            assertTrue(each.all { it in 250..3_000 }, "each attempt should end at its 300 ms connect timeout: $each ms")
            assertTrue(millis in 850..10_000, "$millis ms for three connects of 300 ms")
        }
    }
}

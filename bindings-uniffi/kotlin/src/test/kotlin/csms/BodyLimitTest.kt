package csms

import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * JavaHttpTransport's limit on the response body (`maxResponseBytes`, 16 MiB by default): an
 * endless body (with and without chunked encoding), a huge `Content-Length` or a byte too many
 * end the call at once with `CsmsException.Transport` (maybe sent, not timed out, not
 * retried), the connection closed; a body at the limit is read.
 */
class BodyLimitTest {
    /** A server on 127.0.0.1 answering every request with [kind]: "endless", "chunked", "lying"
     *  (a Content-Length of 1 TB, 10 bytes, then nothing) or a body of [size] bytes. */
    private class Server(val kind: String, val size: Int = 0) : AutoCloseable {
        val server = ServerSocket(0)
        val connections = AtomicInteger()
        val closed = CountDownLatch(1)
        val options = """{"endpoint":"http://127.0.0.1:${server.localPort}","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}"""

        init {
            thread(isDaemon = true) {
                while (true) {
                    val s = try { server.accept() } catch (e: Exception) { return@thread }
                    connections.incrementAndGet()
                    thread(isDaemon = true) { answer(s) }
                }
            }
        }

        private fun answer(s: Socket) = s.use {
            try {
                val input = s.getInputStream().bufferedReader(Charsets.ISO_8859_1)
                while (input.readLine()?.isNotEmpty() == true) {}
                val out = s.getOutputStream()
                val block = ByteArray(65536) { 'x'.code.toByte() }
                when (kind) {
                    "endless" -> {
                        out.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".toByteArray())
                        while (true) out.write(block)
                    }
                    "chunked" -> {
                        out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".toByteArray())
                        while (true) {
                            out.write("${block.size.toString(16)}\r\n".toByteArray())
                            out.write(block)
                            out.write("\r\n".toByteArray())
                        }
                    }
                    "lying" -> out.write("HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n0123456789".toByteArray())
                    else -> {
                        val json = """{"secrets": [], "page_info": {"current_count": 0}}"""
                        val body = json + " ".repeat(size - json.length)
                        out.write("HTTP/1.1 200 OK\r\nContent-Length: $size\r\n\r\n$body".toByteArray())
                    }
                }
                out.flush()
                while (s.getInputStream().read() >= 0) {}
            } catch (e: Exception) {
                // the client closed the connection
            }
            closed.countDown()
        }

        override fun close() = server.close()
    }

    /** [kind]'s answer refused by the transport [make] gives for a limit (null: its default). */
    private fun assertRefused(
        kind: String,
        limit: Long?,
        size: Int = 0,
        make: (Long?) -> HttpTransport = { if (it == null) JavaHttpTransport() else JavaHttpTransport(maxResponseBytes = it) },
    ) = Server(kind, size).use { s ->
        val transport = make(limit)
        (transport as AutoCloseable).use {
            // ListSecrets is idempotent: its failures are normally retried.
            val client = CsmsClient(s.options, transport, backoffBaseMillis = 5)
            val started = System.nanoTime()
            val e = assertThrows<CsmsException.Transport> { runBlocking { client.listSecrets() } }
            val elapsedMs = (System.nanoTime() - started) / 1_000_000
            val expected = limit ?: (16L * 1024 * 1024)
            assertEquals("the response body exceeded $expected bytes", e.reason)
            assertTrue(e.maybeSent)
            assertFalse(e.timedOut)
            assertEquals("a response over the limit would be over it again", e.notRetried)
            assertTrue(elapsedMs < 5000, "took $elapsedMs ms")
            assertEquals(1, s.connections.get(), "not retried")
            assertTrue(s.closed.await(5, TimeUnit.SECONDS), "the connection stayed open")
        }
    }

    @Test
    fun anEndlessBodyEndsAt16MiBByDefault() = assertRefused("endless", null)

    @Test
    fun anEndlessChunkedBodyEndsAtTheLimit() = assertRefused("chunked", 100_000)

    @Test
    fun aHugeContentLengthIsRefusedBeforeReading() {
        assertRefused("lying", 100_000)
        assertRefused("sized", 100_000, size = 100_001)
    }

    /** The same limit in the default transport of the typed options, `UrlConnectionTransport`. */
    private val urlConnection: (Long?) -> HttpTransport =
        { if (it == null) UrlConnectionTransport() else UrlConnectionTransport(maxResponseBytes = it) }

    @Test
    fun theUrlConnectionTransportStopsAtTheLimitToo() {
        assertRefused("endless", null, make = urlConnection)
        assertRefused("chunked", 100_000, make = urlConnection)
        assertRefused("lying", 100_000, make = urlConnection)
        assertRefused("sized", 100_000, size = 100_001, make = urlConnection)
        Server("sized", 100_000).use { s ->
            CsmsClient(endpoint = "http://127.0.0.1:${s.server.localPort}", projectId = "PID",
                credentials = ProvidedCredentials(ak = "AK", sk = "SK"), maxResponseBytes = 100_000).use { client ->
                assertEquals(0, runBlocking { client.listSecrets() }.secrets?.size)
            }
        }
    }

    @Test
    fun aBodyAtTheLimitIsRead() = Server("sized", 100_000).use { s ->
        JavaHttpTransport(maxResponseBytes = 100_000).use { transport ->
            val result = runBlocking { CsmsClient(s.options, transport).listSecrets() }
            assertEquals(0, result.secrets?.size)
        }
    }

    @Test
    fun theLimitMustBePositiveAndIsTheTransports() {
        assertEquals(16L * 1024 * 1024, defaultMaxResponseBytes())
        assertEquals(16L * 1024 * 1024, JavaHttpTransport().use { it.maxResponseBytes })
        for (bad in listOf(0L, -1L)) {
            val e = assertThrows<IllegalArgumentException> { JavaHttpTransport(maxResponseBytes = bad) }
            assertTrue(e.message!!.contains("maxResponseBytes"), e.message)
        }
        val options = """{"endpoint":"http://127.0.0.1:1","project_id":"PID","credentials":{"ak":"AK","sk":"SK"},"max_response_bytes":1000}"""
        val e = assertThrows<CsmsException.Validation> { CsmsClient(options) }
        assertEquals("max_response_bytes", e.field)
        assertTrue(e.reason.contains("JavaHttpTransport(maxResponseBytes"), e.reason)
    }
}

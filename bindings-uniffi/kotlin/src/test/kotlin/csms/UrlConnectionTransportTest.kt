package csms

import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.SocketTimeoutException
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread
import kotlin.time.Duration.Companion.milliseconds
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.async
import kotlinx.coroutines.launch
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The default transport of the typed options: `UrlConnectionTransport` (`HttpURLConnection`). */
class UrlConnectionTransportTest {
    private val keys = ProvidedCredentials(ak = "AK", sk = "SK")

    /** A server on 127.0.0.1 that accepts connections, reads, and never answers. */
    private class Silent : AutoCloseable {
        val server = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
        val connections = AtomicInteger()
        val closed = CountDownLatch(1)
        val endpoint = "http://127.0.0.1:${server.localPort}"

        init {
            thread(isDaemon = true) {
                while (true) {
                    val s = try { server.accept() } catch (e: Exception) { return@thread }
                    connections.incrementAndGet()
                    thread(isDaemon = true) {
                        s.use { try { while (it.getInputStream().read() >= 0) {} } catch (e: Exception) {} }
                        closed.countDown()
                    }
                }
            }
        }

        override fun close() = server.close()
    }

    @Test
    fun `the default transport signs and calls the emulator, with every method`() = runBlocking {
        Emulator().use { emulator ->
            CsmsClient(endpoint = emulator.endpoint, projectId = "PID", credentials = keys).use { client ->
                assertTrue((client as OwningCsmsClient).ownedTransport is UrlConnectionTransport)
                client.createSecret(name = "db", secretString = "one")                        // POST with a body
                client.updateSecret(secretName = "db", description = "the database")         // PUT
                // POST without a body, signed and read: the emulator's 400 (a COMMON secret does not rotate).
                assertEquals(400, assertThrows<CsmsException.Api> { runBlocking { client.rotateSecret(secretName = "db") } }.status)
                assertEquals("the database", client.showSecret(secretName = "db").secret?.description) // GET
                client.deleteSecret(secretName = "db")                                       // DELETE
                val missing = assertThrows<CsmsException.Api> { runBlocking { client.showSecret(secretName = "db") } }
                assertEquals(404, missing.status)                                            // an error body read
            }
        }
    }

    @Test
    fun `a server that never answers ends the attempt at the request timeout, timedOut`() = Silent().use { silent ->
        CsmsClient(endpoint = silent.endpoint, projectId = "PID", credentials = keys, maxAttempts = 1, timeout = 300.milliseconds)
            .use { client ->
                val started = System.nanoTime()
                val e = assertThrows<CsmsException.Transport> { runBlocking { client.listSecrets() } }
                val elapsedMs = (System.nanoTime() - started) / 1_000_000
                assertTrue(e.timedOut, e.reason)
                assertTrue(e.maybeSent)
                assertTrue(elapsedMs in 250..3000, "took $elapsedMs ms")
                assertTrue(silent.closed.await(5, TimeUnit.SECONDS), "the connection stayed open")
            }
    }

    @Test
    fun `a cancelled call disconnects at once`() = Silent().use { silent ->
        UrlConnectionTransport().use { transport ->
            runBlocking {
                val call = async(Dispatchers.Default) {
                    transport.send(HttpRequest("GET", silent.endpoint + "/", emptyList(), ByteArray(0)))
                }
                while (silent.connections.get() == 0) delay(10)
                call.cancel()
            }
            assertTrue(silent.closed.await(5, TimeUnit.SECONDS), "the connection stayed open")
        }
    }

    @Test
    fun `a call cancelled while it connects closes its connection once connected`() =
        ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { server ->
            // The accept queue filled: the kernel drops the call's SYN and its connect waits
            // (retrying once a second) until the queue has room, with no socket to close yet.
            val fillers = ArrayList<Socket>()
            while (true) {
                val s = Socket()
                try {
                    s.connect(server.localSocketAddress, 300)
                    fillers.add(s)
                } catch (e: SocketTimeoutException) {
                    s.close()
                    break
                }
            }
            try {
                UrlConnectionTransport().use { transport ->
                    runBlocking {
                        val call = async(Dispatchers.Default) {
                            transport.send(HttpRequest("GET", "http://127.0.0.1:${server.localPort}/", emptyList(), ByteArray(0)))
                        }
                        delay(300) // in `connect`, or about to be: either way cancelled before connected
                        call.cancel()
                    }
                    repeat(fillers.size) { server.accept().close() }
                    server.soTimeout = 10_000
                    server.accept().use { connection ->
                        connection.soTimeout = 5_000
                        // The call's connection, closed as soon as it was made (before a request or after).
                        val input = connection.getInputStream()
                        val ended = try {
                            while (input.read() >= 0) {}
                            true
                        } catch (e: SocketTimeoutException) {
                            false
                        }
                        assertTrue(ended, "the cancelled call's connection stayed open")
                    }
                }
            } finally {
                fillers.forEach { it.close() }
            }
        }

    @Test
    fun `a call blocking its Dispatchers IO thread (the exchange in place) is cancelled from another thread at once`() = Silent().use { silent ->
        UrlConnectionTransport().use { transport ->
            val started = System.nanoTime()
            var cancelled = false
            runBlocking(Dispatchers.IO) {
                // `launch` on Dispatchers.IO: the exchange blocks that thread, no hop.
                val call = launch {
                    try {
                        transport.send(HttpRequest("GET", silent.endpoint + "/", emptyList(), ByteArray(0)))
                    } catch (e: CancellationException) {
                        cancelled = true
                        throw e
                    }
                }
                thread(isDaemon = true) {
                    while (silent.connections.get() == 0) Thread.sleep(10)
                    call.cancel()
                }
            }
            assertTrue(cancelled, "the send did not end with the cancellation")
            assertTrue(silent.closed.await(5, TimeUnit.SECONDS), "the connection stayed open")
            assertTrue((System.nanoTime() - started) / 1_000_000 < 5_000)
        }
    }

    @Test
    fun `two calls in one runBlocking are in flight at once (neither blocks runBlocking's thread)`() = Silent().use { silent ->
        UrlConnectionTransport().use { transport ->
            val both = AtomicBoolean(false)
            runBlocking {
                val calls = List(2) { launch { transport.send(HttpRequest("GET", silent.endpoint + "/", emptyList(), ByteArray(0))) } }
                thread(isDaemon = true) {
                    val until = System.nanoTime() + 3_000_000_000L
                    while (silent.connections.get() < 2 && System.nanoTime() < until) Thread.sleep(10)
                    both.set(silent.connections.get() >= 2)
                    calls.forEach { it.cancel() }
                }
            }
            assertTrue(both.get(), "the second call waited for the first")
        }
    }

    @Test
    fun `refused, unsendable and closed are not sent`() = runBlocking {
        val port = ServerSocket(0, 50, InetAddress.getLoopbackAddress()).use { it.localPort }
        val transport = UrlConnectionTransport()
        val refused = assertThrows<CsmsException.Transport> {
            runBlocking { transport.send(HttpRequest("GET", "http://127.0.0.1:$port/", emptyList(), ByteArray(0))) }
        }
        assertFalse(refused.maybeSent)
        assertFalse(refused.timedOut)
        val header = assertThrows<CsmsException.Transport> {
            runBlocking {
                transport.send(HttpRequest("GET", "http://127.0.0.1:$port/", listOf(Header("X-Auth-Token", "a\r\nb")), ByteArray(0)))
            }
        }
        assertEquals(JavaHttpTransport.UNSENDABLE, header.notRetried)
        assertFalse(header.reason.contains("a\r\nb"))
        transport.close()
        assertTrue(transport.isClosed)
        val closed = assertThrows<CsmsException.Transport> {
            runBlocking { transport.send(HttpRequest("GET", "http://127.0.0.1:$port/", emptyList(), ByteArray(0))) }
        }
        assertFalse(closed.maybeSent)
        assertEquals(JavaHttpTransport.UNSENDABLE, closed.notRetried)
    }
}

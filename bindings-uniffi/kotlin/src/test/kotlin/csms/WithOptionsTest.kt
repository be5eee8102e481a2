package csms

import java.net.InetAddress
import java.net.ServerSocket
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread
import kotlin.coroutines.cancellation.CancellationException
import kotlin.time.Duration.Companion.days
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** `client.withOptions(timeout = ..., maxAttempts = ..., deadline = ...)`: a per-call view; cancellation. */
class WithOptionsTest {
    private val keys = ProvidedCredentials(ak = "AK", sk = "SK")

    /** A local server that accepts every connection and never answers; [closed] counts the connections the client closed. */
    private class Silent : AutoCloseable {
        private val server = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
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

    private fun millisSince(started: Long) = (System.nanoTime() - started) / 1_000_000

    @Test
    fun `a view times each attempt out and makes its own number of attempts`() {
        Silent().use { silent ->
            CsmsClient(endpoint = silent.endpoint, projectId = "PID", credentials = keys, maxAttempts = 1, backoffBase = 1.milliseconds).use { client ->
                client.withOptions(timeout = 200.milliseconds, maxAttempts = 3).use { view ->
                    val started = System.nanoTime()
                    val e = assertThrows<CsmsException.Transport> { runBlocking { view.listSecrets() } }
                    assertTrue(e.timedOut, e.reason)
                    assertEquals(3, silent.connections.get(), "three attempts")
                    assertTrue(millisSince(started) < 5000, "took ${millisSince(started)} ms (the client's own timeout is 60 s)")
                }
                // The view's close leaves the client and its transport working.
                assertTrue(!(client as OwningCsmsClient).ownedTransport.isClosed)
            }
        }
    }

    @Test
    fun `a per-call timeout bounds an attempt on a transport of ours, which has no such timeout`() {
        Silent().use { silent ->
            JavaHttpTransport().use { transport ->
                val client = CsmsClient(endpoint = silent.endpoint, projectId = "PID", credentials = keys, transport = transport)
                val started = System.nanoTime()
                val e = assertThrows<CsmsException.Transport> {
                    runBlocking { client.withOptions(timeout = 300.milliseconds, maxAttempts = 1).listSecrets() }
                }
                val took = millisSince(started)
                assertTrue(e.timedOut, e.reason)
                assertTrue(e.maybeSent)
                assertTrue(took in 300..2000, "took $took ms for a timeout of 300 ms")
                assertEquals(1, silent.connections.get())
                assertTrue(silent.closed.await(1, TimeUnit.SECONDS), "the timed-out exchange was not aborted")
                client.close()
            }
        }
    }

    @Test
    fun `a deadline bounds the whole call, retries included, and cuts the last attempt`() {
        Silent().use { silent ->
            CsmsClient(endpoint = silent.endpoint, projectId = "PID", credentials = keys, backoffBase = 1.milliseconds).use { client ->
                val view = client.withOptions(timeout = 300.milliseconds, maxAttempts = 3, deadline = 500.milliseconds)
                val started = System.nanoTime()
                val e = assertThrows<CsmsException.Transport> { runBlocking { view.listSecrets() } }
                val took = millisSince(started)
                assertTrue(e.timedOut, e.reason)
                assertTrue(e.notRetried?.contains("deadline") == true, e.message)
                // 300 ms, then what is left of 500 ms: two attempts, no third.
                assertEquals(2, silent.connections.get())
                assertTrue(took in 450..1500, "took $took ms for a deadline of 500 ms")
            }
        }
    }

    @Test
    fun `cancelling the coroutine ends the call at once, the exchange aborted and not retried`() = runBlocking {
        Silent().use { silent ->
            CsmsClient(endpoint = silent.endpoint, projectId = "PID", credentials = keys, backoffBase = 1.milliseconds).use { client ->
                var thrown: Throwable? = null
                val job = launch(Dispatchers.Default) {
                    try {
                        client.listSecrets()
                    } catch (e: Throwable) {
                        thrown = e
                        throw e
                    }
                }
                while (silent.connections.get() == 0) delay(10)
                delay(200)
                val cancelled = System.nanoTime()
                job.cancel()
                job.join()
                assertTrue(millisSince(cancelled) < 1000, "ended ${millisSince(cancelled)} ms after the cancel")
                assertTrue(thrown is CancellationException, "$thrown")
                assertTrue(silent.closed.await(1, TimeUnit.SECONDS), "the exchange was not aborted")
                delay(500)
                assertEquals(1, silent.connections.get(), "retried after the cancel")
            }
        }
    }

    @Test
    fun `a view shares the client's keys and transport`() = runBlocking {
        Emulator().use { emulator ->
            CsmsClient(endpoint = emulator.endpoint, projectId = "PID", credentials = keys).use { client ->
                client.withOptions(maxAttempts = 1).use { it.listSecrets() }
                client.withOptions(timeout = 5.seconds, deadline = 10.seconds).use { it.listSecrets() }
                client.listSecrets()
                assertEquals(3L, emulator.operationCount("ListSecrets"))
            }
        }
    }

    @Test
    fun `a view of a closed client fails clearly`() {
        val client = CsmsClient(endpoint = "http://127.0.0.1:9", projectId = "PID", credentials = keys)
        val view = client.withOptions(maxAttempts = 1)
        client.close()
        val e = assertThrows<CsmsException.Validation> { runBlocking { view.listSecrets() } }
        assertEquals("client", e.field)
        assertTrue(e.reason.contains("closed"), e.reason)
        assertThrows<IllegalStateException> { client.withOptions(maxAttempts = 1) }
    }

    @Test
    fun `wrong values are named`() {
        CsmsClient(endpoint = "http://127.0.0.1:9", projectId = "PID", credentials = keys).use { client ->
            assertEquals("maxAttempts", assertThrows<CsmsException.Validation> { client.withOptions(maxAttempts = 0) }.field)
            assertEquals("maxAttempts", assertThrows<CsmsException.Validation> { client.withOptions(maxAttempts = 101) }.field)
            assertEquals("timeout", assertThrows<CsmsException.Validation> { client.withOptions(timeout = 0.seconds) }.field)
            assertEquals("timeout", assertThrows<CsmsException.Validation> { client.withOptions(timeout = (-1).seconds) }.field)
            assertEquals("deadline", assertThrows<CsmsException.Validation> { client.withOptions(deadline = 2.days) }.field)
        }
    }
}

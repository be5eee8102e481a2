package csms

import java.net.InetAddress
import java.net.ServerSocket
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** `client.withOptions(requestTimeout = ..., maxAttempts = ...)`: a per-call view. */
class WithOptionsTest {
    private val keys = ProvidedCredentials(ak = "AK", sk = "SK")

    @Test
    fun `a view times each attempt out and makes its own number of attempts`() {
        ServerSocket(0, 50, InetAddress.getLoopbackAddress()).use { server ->
            val connections = AtomicInteger()
            thread(isDaemon = true) {
                while (true) {
                    val s = try { server.accept() } catch (e: Exception) { return@thread }
                    connections.incrementAndGet()
                    thread(isDaemon = true) { s.use { try { while (it.getInputStream().read() >= 0) {} } catch (e: Exception) {} } }
                }
            }
            val endpoint = "http://127.0.0.1:${server.localPort}"
            CsmsClient(endpoint = endpoint, projectId = "PID", credentials = keys, maxAttempts = 1, backoffBase = 1.milliseconds).use { client ->
                client.withOptions(requestTimeout = 200.milliseconds, maxAttempts = 3).use { view ->
                    val started = System.nanoTime()
                    val e = assertThrows<CsmsException.Transport> { runBlocking { view.listSecrets() } }
                    val elapsedMs = (System.nanoTime() - started) / 1_000_000
                    assertTrue(e.timedOut, e.reason)
                    assertEquals(3, connections.get(), "three attempts")
                    assertTrue(elapsedMs < 5000, "took $elapsedMs ms (the client's own timeout is 60 s)")
                }
                // The view's close leaves the client and its transport working.
                assertTrue(!(client as OwningCsmsClient).ownedTransport.isClosed)
            }
        }
    }

    @Test
    fun `a view shares the client's keys and transport`() = runBlocking {
        Emulator().use { emulator ->
            CsmsClient(endpoint = emulator.endpoint, projectId = "PID", credentials = keys).use { client ->
                client.withOptions(maxAttempts = 1).use { it.listSecrets() }
                client.withOptions(requestTimeout = 5.seconds).use { it.listSecrets() }
                client.listSecrets()
                assertEquals(3L, emulator.operationCount("ListSecrets"))
            }
        }
    }

    @Test
    fun `wrong values are named`() {
        CsmsClient(endpoint = "http://127.0.0.1:9", projectId = "PID", credentials = keys).use { client ->
            assertEquals("maxAttempts", assertThrows<CsmsException.Validation> { client.withOptions(maxAttempts = 0) }.field)
            assertEquals("requestTimeout", assertThrows<CsmsException.Validation> { client.withOptions(requestTimeout = 0.seconds) }.field)
        }
        CsmsClient("""{"endpoint":"http://127.0.0.1:9","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}""").use { client ->
            assertEquals("transport", assertThrows<CsmsException.Validation> { client.withOptions(requestTimeout = 1.seconds) }.field)
        }
    }
}

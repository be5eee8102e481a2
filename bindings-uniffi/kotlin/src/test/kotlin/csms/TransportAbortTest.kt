package csms

import java.net.ServerSocket
import java.time.Duration
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** JavaHttpTransport closes the connection when a call times out or is cancelled (JDK 17 included). */
class TransportAbortTest {
    /** A server taking one connection that stalls (after the headers and part of the body if
     *  `partial`); `closed` counts down when the client closes the connection. */
    private class Stalling(partial: Boolean) : AutoCloseable {
        val server = ServerSocket(0)
        val closed = CountDownLatch(1)
        val options = """{"endpoint":"http://127.0.0.1:${server.localPort}","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}"""
        init {
            thread(isDaemon = true) {
                server.accept().use { s ->
                    val input = s.getInputStream().bufferedReader()
                    while (input.readLine()?.isNotEmpty() == true) {}
                    if (partial) {
                        s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{".toByteArray())
                        s.getOutputStream().flush()
                    }
                    try { while (s.getInputStream().read() >= 0) {} } catch (e: Exception) {}
                    closed.countDown()
                }
            }
        }
        override fun close() = server.close()
    }

    @Test
    fun aRequestTimeoutClosesTheConnection() = runBlocking {
        for (partial in listOf(false, true)) Stalling(partial).use { s ->
            val c = CsmsClient(s.options, JavaHttpTransport(requestTimeout = Duration.ofMillis(300)), maxAttempts = 1)
            val e = assertThrows<CsmsException.Transport> { runBlocking { c.listSecrets() } }
            assertTrue(e.maybeSent)
            assertTrue(e.timedOut, "partial=$partial: ${e.message}")
            assertTrue(s.closed.await(1, TimeUnit.SECONDS), "connection still open 1 s after the timeout (partial=$partial)")
        }
    }

    @Test
    fun cancellingACallClosesTheConnection() = runBlocking {
        for (partial in listOf(false, true)) Stalling(partial).use { s ->
            val c = CsmsClient(s.options, JavaHttpTransport(), maxAttempts = 1)
            val job = launch(Dispatchers.Default) { runCatching { c.listSecrets() } }
            delay(300)
            job.cancelAndJoin()
            assertTrue(s.closed.await(1, TimeUnit.SECONDS), "connection still open 1 s after cancelling (partial=$partial)")
        }
    }

    @Test
    fun cancellingASendClosesTheConnection() = runBlocking {
        Stalling(true).use { s ->
            val t = JavaHttpTransport()
            val job = launch(Dispatchers.Default) { runCatching { t.send(HttpRequest("GET", "http://127.0.0.1:${s.server.localPort}/", listOf(), ByteArray(0))) } }
            delay(300)
            job.cancelAndJoin()
            assertTrue(s.closed.await(1, TimeUnit.SECONDS), "connection still open 1 s after cancelling")
        }
    }
}

class TransportCloseTest {
    private fun httpThreads() = Thread.getAllStackTraces().keys.filter { it.isAlive && it.name.startsWith("csms-http-") }

    @Test
    fun closeEndsTheTransportsThreadsAndRefusesToSend() = runBlocking {
        Emulator().use { emulator ->
            val before = httpThreads().toSet()
            val transport = JavaHttpTransport()
            val client = CsmsClient(emulator.options(), transport)
            client.listSecrets()
            assertTrue((httpThreads() - before).isNotEmpty())
            transport.close()
            transport.close()
            val deadline = System.nanoTime() + 1_000_000_000
            while ((httpThreads() - before).isNotEmpty() && System.nanoTime() < deadline) Thread.sleep(20)
            assertTrue((httpThreads() - before).isEmpty(), "threads left: ${httpThreads() - before}")
            val e = assertThrows<CsmsException.Transport> { runBlocking { client.listSecrets() } }
            assertTrue(!e.maybeSent && !e.timedOut && e.reason.contains("closed"), e.reason)
        }
    }
}

package csms

import java.net.InetAddress
import java.net.ServerSocket
import java.time.Duration
import kotlin.concurrent.thread
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** JavaHttpTransport: its arguments, and what it says of requests it cannot send. */
class TransportErrorsTest {
    @Test
    fun nonPositiveTimeoutsAreRefusedAtConstruction() {
        for (bad in listOf(Duration.ZERO, Duration.ofMillis(-1))) {
            val r = assertThrows<IllegalArgumentException> { JavaHttpTransport(requestTimeout = bad) }
            assertTrue(r.message!!.contains("requestTimeout"), r.message)
            val c = assertThrows<IllegalArgumentException> { JavaHttpTransport(connectTimeout = bad) }
            assertTrue(c.message!!.contains("connectTimeout"), c.message)
        }
    }

    private fun send(request: HttpRequest) = assertThrows<CsmsException.Transport> {
        runBlocking { JavaHttpTransport().use { it.send(request) } }
    }

    @Test
    fun onlyABadUrlIsBlamedOnTheUrl() {
        val url = send(HttpRequest("GET", "not a url", listOf(), ByteArray(0)))
        assertTrue(url.reason.startsWith("invalid request URL"), url.reason)
        val method = send(HttpRequest("GE T", "http://127.0.0.1:1/", listOf(), ByteArray(0)))
        assertTrue(method.reason.startsWith("invalid request method"), method.reason)
        val header = send(HttpRequest("GET", "http://127.0.0.1:1/", listOf(Header("X Bad", "secret-value")), ByteArray(0)))
        assertTrue(header.reason.startsWith("invalid request header `X Bad`"), header.reason)
        assertFalse(header.reason.contains("secret-value"), header.reason)
        for (e in listOf(url, method, header)) {
            assertFalse(e.maybeSent || e.timedOut, e.reason)
            assertEquals(JavaHttpTransport.UNSENDABLE, e.notRetried, e.reason)
        }
    }

    @Test
    fun aRequestTheJdkRefusesIsNeverRetried() = runBlocking {
        ServerSocket(0, 50, InetAddress.getLoopbackAddress()).use { server ->
            val options = """{"endpoint":"http://127.0.0.1:${server.localPort}","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}"""
            var sends = 0
            val real = JavaHttpTransport()
            val badHeader = object : HttpTransport {
                override suspend fun send(request: HttpRequest): HttpResponse {
                    sends++
                    return real.send(request.copy(headers = request.headers + Header("X-Bad", "a\r\nX-Injected: 1")))
                }
                override suspend fun sleep(millis: Long) = real.sleep(millis)
            }
            val e = assertThrows<CsmsException.Transport> {
                runBlocking { CsmsClient(options, badHeader, null, 5L).call("ListSecrets", "{}") }
            }
            assertEquals(1, sends, "never retried")
            assertFalse(e.maybeSent, e.message)
            assertEquals(JavaHttpTransport.UNSENDABLE, e.notRetried)
            assertFalse(e.message.contains("X-Injected"), e.message)
            real.close()
        }
    }

    @Test
    fun aTlsHandshakeFailureWasNotSent() {
        // A server that refuses the handshake: it reads the ClientHello and answers with a
        // fatal TLS alert (handshake_failure), then keeps the connection open until the
        // client closes it. (A server that answers plain HTTP instead made the JDK's handshake
        // wait for its connect timeout now and then: the end of its unrecognised record was
        // not always noticed.)
        val alert = byteArrayOf(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28)
        val server = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
        thread(isDaemon = true) {
            server.accept().use { s ->
                s.soTimeout = 15_000
                val input = s.getInputStream()
                val buffer = ByteArray(4096)
                input.read(buffer)
                s.getOutputStream().write(alert)
                s.getOutputStream().flush()
                runCatching { while (input.read(buffer) >= 0) Unit }
            }
        }
        val e = send(HttpRequest("GET", "https://127.0.0.1:${server.localPort}/", listOf(), ByteArray(0)))
        server.close()
        assertFalse(e.maybeSent || e.timedOut, e.reason)
        assertTrue(e.reason.startsWith("TLS handshake failed"), e.reason)
    }
}

package csms

import java.io.IOException
import java.io.InputStream
import java.net.ConnectException
import java.net.HttpURLConnection
import java.net.MalformedURLException
import java.net.NoRouteToHostException
import java.net.ProtocolException
import java.net.SocketTimeoutException
import java.net.URI
import java.net.URISyntaxException
import java.net.UnknownHostException
import java.time.Duration
import javax.net.ssl.SSLException
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlin.coroutines.ContinuationInterceptor
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.InternalCoroutinesApi
import kotlinx.coroutines.Job
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.asExecutor
import kotlinx.coroutines.delay
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlinx.coroutines.withTimeoutOrNull

/**
 * The transport a `CsmsClient(region = ..., ...)` makes when given none: `HttpURLConnection`,
 * present on every JVM and on Android. The exchange runs on the caller's thread when the caller
 * is a coroutine of `Dispatchers.IO` (whose threads are there to block), otherwise on a thread
 * of `Dispatchers.IO`: `Dispatchers.Main` and `Dispatchers.Default` are never blocked, nor is
 * `runBlocking`'s thread, whose other coroutines would wait for the exchange.
 *
 * - [connectTimeout] (10 s): time allowed to open the connection (TLS handshake included);
 *   [requestTimeout] (60 s): time allowed for the whole exchange, response body included (on
 *   the caller's thread: each read is bounded by it, and reading the body ends, timed out, once
 *   it has passed).
 * - [maxResponseBytes] (16 MiB): a larger `Content-Length` is refused before reading, and
 *   reading stops as soon as the body passes it; the connection is closed and the call fails
 *   with `CsmsException.Transport` (`maybeSent = true`), `notRetried` saying why.
 * - Failures are `CsmsException.Transport`: `maybeSent = false` only when the connection could
 *   not be opened (refused, unknown host, connect timeout, TLS handshake); `timedOut` for
 *   the connect timeout and the request timeout. A URL, method or header `HttpURLConnection`
 *   refuses fails with `notRetried = JavaHttpTransport.UNSENDABLE`, nothing sent.
 * - A timeout or a cancelled call disconnects the exchange, which closes its socket.
 * - POST and PUT are sent in fixed-length streaming mode, which `HttpURLConnection` never
 *   resends by itself (it may resend a request without a body once, on a pooled connection
 *   found closed; the core retries everything else).
 * - [close]: later sends are refused (`maybeSent = false`); `HttpURLConnection`'s connection
 *   pool is the process's, nothing else to free. A client made with the typed options closes
 *   its own transport with itself.
 */
class UrlConnectionTransport(
    val connectTimeout: Duration = Duration.ofMillis(defaultConnectTimeoutMillis()),
    val requestTimeout: Duration = Duration.ofMillis(defaultRequestTimeoutMillis()),
    val maxResponseBytes: Long = defaultMaxResponseBytes(),
) : HttpTransport, AutoCloseable {
    init {
        require(connectTimeout > Duration.ZERO && connectTimeout.toMillis() <= Int.MAX_VALUE) {
            "connectTimeout must be positive (and at most ${Int.MAX_VALUE} ms), not $connectTimeout"
        }
        require(requestTimeout > Duration.ZERO && requestTimeout.toMillis() <= Int.MAX_VALUE) {
            "requestTimeout must be positive (and at most ${Int.MAX_VALUE} ms), not $requestTimeout"
        }
        require(maxResponseBytes > 0) { "maxResponseBytes must be positive, not $maxResponseBytes" }
    }

    @Volatile private var closed = false

    /** Whether [close] was called. */
    val isClosed: Boolean get() = closed

    /** Refuses later sends; idempotent. */
    override fun close() {
        closed = true
    }

    override suspend fun send(request: HttpRequest): HttpResponse {
        if (closed) throw CsmsException.Transport("this UrlConnectionTransport is closed", false, JavaHttpTransport.UNSENDABLE)
        val connection = Abortable(open(request))
        val context = currentCoroutineContext()
        val dispatcher = context[ContinuationInterceptor]
        if (dispatcher === Dispatchers.IO) {
            return exchangeInPlace(connection, request.body, context[Job])
        }
        // Aborting closes the socket, which ends a blocked write or read at once (a connect
        // under way, once it is done).
        return withTimeoutOrNull(requestTimeout.toMillis()) {
            suspendCancellableCoroutine { continuation ->
                continuation.invokeOnCancellation { connection.abort() }
                Dispatchers.IO.asExecutor().execute {
                    try {
                        continuation.resume(exchange(connection, request.body, Long.MAX_VALUE)) // withTimeoutOrNull bounds it
                    } catch (e: Throwable) {
                        connection.abort()
                        continuation.resumeWithException(e)
                    }
                }
            }
        } ?: throw CsmsException.Transport("request timed out after $requestTimeout", maybeSent = true, timedOut = true)
    }

    /**
     * The exchange on the caller's thread, a thread of `Dispatchers.IO`: no thread hop and no
     * coroutine timer (issue 21). The socket's
     * timeouts bound the connect and every read, and the body is read until [requestTimeout]
     * after the start; a cancellation of [job] from another thread disconnects at once.
     */
    @OptIn(InternalCoroutinesApi::class)
    private fun exchangeInPlace(connection: Abortable, body: ByteArray, job: Job?): HttpResponse {
        val deadline = System.nanoTime() + requestTimeout.toNanos()
        val cancelled = job?.invokeOnCompletion(onCancelling = true, invokeImmediately = true) { connection.abort() }
        try {
            return exchange(connection, body, deadline)
        } catch (e: Throwable) {
            connection.abort()
            job?.ensureActive() // cancelled: the cancellation, not the failure the disconnect caused
            throw e
        } finally {
            cancelled?.dispose()
        }
    }

    override suspend fun sleep(millis: Long) {
        delay(millis)
    }

    /** The connection for [request], configured; what `HttpURLConnection` refuses is unsendable. */
    private fun open(request: HttpRequest): HttpURLConnection {
        fun unsendable(what: String): Nothing = throw CsmsException.Transport(what, false, JavaHttpTransport.UNSENDABLE)
        val connection = try {
            URI(request.url).toURL().openConnection() as? HttpURLConnection ?: unsendable("not an HTTP URL: ${request.url}")
        } catch (e: Exception) {
            if (e !is URISyntaxException && e !is MalformedURLException && e !is IllegalArgumentException && e !is IOException) throw e
            unsendable("invalid request URL ${request.url}: ${e.message}")
        }
        connection.connectTimeout = connectTimeout.toMillis().toInt()
        connection.readTimeout = requestTimeout.toMillis().toInt()
        connection.instanceFollowRedirects = false
        connection.useCaches = false
        try {
            connection.requestMethod = request.method
        } catch (e: ProtocolException) {
            unsendable("invalid request method: ${e.message}")
        }
        for (h in request.headers) {
            // HttpURLConnection sets these itself (Host from the URL: the value the core signed).
            if (h.name.lowercase() in RESTRICTED) continue
            try {
                connection.addRequestProperty(h.name, h.value)
            } catch (e: IllegalArgumentException) {
                // Not its message: it may quote the value, which may be a credential.
                unsendable("invalid request header `${h.name}` (name or value)")
            }
        }
        if (request.body.isNotEmpty() || request.method == "POST" || request.method == "PUT") {
            connection.doOutput = true
            connection.setFixedLengthStreamingMode(request.body.size.toLong())
        }
        return connection
    }

    /**
     * A connection that [abort] closes from any thread, whenever it comes: during `connect`,
     * where `HttpURLConnection.disconnect` finds no socket yet to close and does nothing, the
     * abort is remembered and [connected] closes the socket as soon as there is one (a cancelled
     * call would otherwise hold its connection open until the read timeout).
     */
    private class Abortable(val connection: HttpURLConnection) {
        private var aborted = false

        /** Closes the connection's socket (now, or once connected). */
        fun abort() = synchronized(this) {
            aborted = true
            connection.disconnect()
        }

        /** After `connect`: closes the socket of a connection aborted meanwhile, and throws. */
        fun connected() = synchronized(this) {
            if (aborted) {
                connection.disconnect()
                throw IOException("the exchange was cancelled")
            }
        }
    }

    /** Connects, sends [body] and reads the response (blocking), the body until [deadline] (`System.nanoTime`). */
    private fun exchange(abortable: Abortable, body: ByteArray, deadline: Long): HttpResponse {
        val connection = abortable.connection
        try {
            connection.connect()
            abortable.connected()
        } catch (e: IOException) {
            throw notConnected(e)
        }
        try {
            if (connection.doOutput) connection.outputStream.use { it.write(body) }
            val status = connection.responseCode
            // Each header once, in order, without the map of lists `headerFields` builds.
            val headers = ArrayList<Header>()
            var i = 0
            while (true) {
                val value = connection.getHeaderField(i) ?: break
                connection.getHeaderFieldKey(i)?.let { headers.add(Header(it, value)) } // null: the status line
                i++
            }
            if (connection.contentLengthLong > maxResponseBytes) throw TooLarge()
            val stream = (if (status >= 400) connection.errorStream else null) ?: try {
                connection.inputStream
            } catch (e: IOException) {
                if (status >= 400) null else throw e
            }
            return HttpResponse(status, headers, stream?.use { read(it, deadline) } ?: ByteArray(0))
        } catch (e: TooLarge) {
            throw CsmsException.Transport(
                "the response body exceeded $maxResponseBytes bytes", maybeSent = true,
                notRetried = "a response over the limit would be over it again", timedOut = false,
            )
        } catch (e: SocketTimeoutException) {
            throw CsmsException.Transport("request timed out after $requestTimeout: ${e.message}", maybeSent = true, timedOut = true)
        } catch (e: IOException) {
            throw CsmsException.Transport("${e::class.java.simpleName}: ${e.message}", maybeSent = true)
        }
    }

    /** A failure to open the connection: nothing was sent. */
    private fun notConnected(e: IOException): CsmsException.Transport {
        val what = when (e) {
            is SocketTimeoutException -> "connect timed out after $connectTimeout"
            is UnknownHostException -> "unknown host"
            is ConnectException, is NoRouteToHostException -> "connection refused"
            is SSLException -> "TLS handshake failed"
            else -> "connection failed"
        }
        return CsmsException.Transport("$what: ${e.message}", maybeSent = false, timedOut = e is SocketTimeoutException)
    }

    /** The body, at most [maxResponseBytes] of it (one byte more is [TooLarge]), read until [deadline]. */
    private fun read(input: InputStream, deadline: Long): ByteArray {
        val limit = minOf(maxResponseBytes, MAX_ARRAY)
        var bytes = ByteArray(8192)
        var length = 0
        while (true) {
            if (length == bytes.size) {
                if (length >= limit) {
                    if (input.read() < 0) return bytes
                    throw TooLarge()
                }
                bytes = bytes.copyOf(minOf(limit, 2L * bytes.size).toInt())
            }
            val n = input.read(bytes, length, bytes.size - length)
            if (n >= 0 && deadline != Long.MAX_VALUE && System.nanoTime() - deadline > 0) throw SocketTimeoutException("the body was not read in time")
            if (n < 0) return if (length == bytes.size) bytes else bytes.copyOf(length)
            length += n
        }
    }

    /** A body over the limit (turned into the core's error for it in [exchange]). */
    private class TooLarge : IOException("response body over the limit")

    private companion object {
        /** The longest array the JVM makes (a body over it is refused as over the limit). */
        const val MAX_ARRAY = Int.MAX_VALUE - 8L
        val RESTRICTED = setOf("host", "content-length", "connection", "expect", "upgrade", "transfer-encoding")
    }
}

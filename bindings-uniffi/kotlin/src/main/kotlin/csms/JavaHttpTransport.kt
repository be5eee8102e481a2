package csms

import java.io.IOException
import java.net.ConnectException
import java.net.URI
import java.net.UnknownHostException
import java.net.http.HttpClient
import java.net.http.HttpConnectTimeoutException
import java.net.http.HttpRequest.BodyPublishers
import java.net.http.HttpResponse.BodyHandler
import java.net.http.HttpResponse.BodySubscriber
import java.net.http.HttpTimeoutException
import java.nio.ByteBuffer
import java.nio.channels.UnresolvedAddressException
import java.time.Duration
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CompletionStage
import java.util.concurrent.Flow
import javax.net.ssl.SSLException
import javax.net.ssl.SSLHandshakeException
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.delay
import kotlinx.coroutines.future.await
import kotlinx.coroutines.withTimeoutOrNull

/**
 * The default transport: `java.net.http.HttpClient` (JDK 11+), sleeping with coroutines'
 * `delay` between attempts. `CsmsClient.call` runs the core's retry loop over it.
 *
 * - [connectTimeout]: time allowed to open the connection (10 s by default, the core's
 *   `CONNECT_TIMEOUT`); [requestTimeout]: time allowed for the whole request, response body
 *   included (60 s by default, the core's `REQUEST_TIMEOUT`).
 * - [maxResponseBytes]: the longest response body read (16 MiB by default, the core's
 *   `MAX_RESPONSE_BYTES`; a body is a `ByteArray`, so at most 2 GiB in any case). A larger `Content-Length` is refused before reading, and reading
 *   stops as soon as the body passes the limit; the connection is closed and the call fails
 *   with `CsmsException.Transport` (`maybeSent = true`, `timedOut = false`), not retried:
 *   `notRetried` says why (the same request would most likely get the same answer).
 * - Failures become `CsmsException.Transport`. `maybeSent` is false only when the request
 *   certainly never left: the connection was refused, its host did not resolve, or it could
 *   not be opened in time. A request timeout, a reset or a closed connection may come after
 *   the server read the request: `maybeSent = true`, so non-idempotent calls are not resent.
 *   `timedOut` is true when a timeout ended the attempt: the connect timeout (then
 *   `maybeSent = false`) or the request timeout (`maybeSent = true`); false for any other failure.
 *   A request the JDK refuses before sending anything (a header value, the method, the URL)
 *   fails with `maybeSent = false` and `notRetried = UNSENDABLE`: never retried.
 *
 * - Cancelling a call, or its request timeout, aborts the exchange and closes its connection.
 * - Each transport owns one `HttpClient` (a connection pool, a selector thread and a pool of
 *   daemon threads): share one transport between all the `CsmsClient`s of a process rather
 *   than making one per client, and [close] it when done. `close()` closes the `HttpClient`
 *   on JDK 21+ (where it is `AutoCloseable`); on JDK 17 it shuts the transport's executor
 *   down, and the JDK's selector thread ends once the `HttpClient` is unreachable. A closed
 *   transport refuses to send (`CsmsException.Transport`, `maybeSent = false`).
 *
 * ```kotlin
 * val transport = JavaHttpTransport(connectTimeout = Duration.ofSeconds(3), requestTimeout = Duration.ofSeconds(20))
 * val client = CsmsClient(optionsJson, transport)
 * // ... at shutdown:
 * transport.close()
 * ```
 */
class JavaHttpTransport internal constructor(
    val connectTimeout: Duration,
    val requestTimeout: Duration,
    val maxResponseBytes: Long,
    /** Connect directly whatever the JVM's proxy settings say (the metadata service's transport). */
    noProxy: Boolean,
) : HttpTransport, AutoCloseable {
    /** A transport with these timeouts and body limit, through the JVM's default proxy selector. */
    constructor(
        connectTimeout: Duration = Duration.ofMillis(defaultConnectTimeoutMillis()),
        requestTimeout: Duration = Duration.ofMillis(defaultRequestTimeoutMillis()),
        maxResponseBytes: Long = defaultMaxResponseBytes(),
    ) : this(connectTimeout, requestTimeout, maxResponseBytes, noProxy = false)

    init {
        require(connectTimeout > Duration.ZERO) { "connectTimeout must be positive, not $connectTimeout" }
        require(requestTimeout > Duration.ZERO) { "requestTimeout must be positive, not $requestTimeout" }
        require(maxResponseBytes > 0) { "maxResponseBytes must be positive, not $maxResponseBytes" }
    }

    private val executor: ExecutorService = Executors.newCachedThreadPool { task ->
        Thread(task, "csms-http-${THREADS.incrementAndGet()}").apply { isDaemon = true }
    }
    private val client: HttpClient = HttpClient.newBuilder()
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .executor(executor)
        .apply { if (noProxy) proxy(HttpClient.Builder.NO_PROXY) }
        .build()
    @Volatile private var closed = false

    /** Closes the `HttpClient` (JDK 21+) or shuts its executor down (JDK 17); idempotent. */
    override fun close() {
        if (closed) return
        closed = true
        (client as? AutoCloseable)?.close()
        executor.shutdownNow()
    }

    override suspend fun send(request: HttpRequest): HttpResponse {
        if (closed) throw CsmsException.Transport("this JavaHttpTransport is closed", false, UNSENDABLE)
        val body = if (request.body.isEmpty()) BodyPublishers.noBody() else BodyPublishers.ofByteArray(request.body)
        // Each step names what the JDK refused (IllegalArgumentException); nothing was sent,
        // and resending the same request cannot help: `notRetried` ends the call at once.
        val builder = try {
            val uri = URI.create(request.url)
            java.net.http.HttpRequest.newBuilder(uri).timeout(requestTimeout).apply {
                // Over plain HTTP, HTTP/2 is an `Upgrade: h2c` offer on every request, which
                // costs the exchange a millisecond (issue 21); over TLS, ALPN chooses as before.
                if ("http".equals(uri.scheme, ignoreCase = true)) version(HttpClient.Version.HTTP_1_1)
            }
        } catch (e: IllegalArgumentException) {
            throw CsmsException.Transport("invalid request URL ${request.url}: ${e.message}", false, UNSENDABLE)
        }
        try {
            builder.method(request.method, body)
        } catch (e: IllegalArgumentException) {
            throw CsmsException.Transport("invalid request method: ${e.message}", false, UNSENDABLE)
        }
        for (h in request.headers) {
            // The JDK sets these itself (Host: from the URL, the same value the core signed).
            if (h.name.lowercase() in RESTRICTED) continue
            try {
                builder.header(h.name, h.value)
            } catch (e: IllegalArgumentException) {
                // Not the JDK's message: it may quote the value, which may be a credential.
                throw CsmsException.Transport("invalid request header `${h.name}` (name or value)", false, UNSENDABLE)
            }
        }
        // HttpRequest.timeout stops at the response headers; withTimeout also bounds the body.
        // Cancelling the JDK's own future with `mayInterruptIfRunning = true` is what makes it
        // abort the exchange and close its connection (JDK 16+). `await()` would cancel the
        // future it waits on with `false` first (the socket stays open, and a later
        // `cancel(true)` does nothing), so it waits on a dependent copy instead; the original
        // is cancelled with `true` on a timeout and on cancellation alike.
        val exchange = client.sendAsync(builder.build(), limitedBody(maxResponseBytes))
        val response = try {
            withTimeoutOrNull(requestTimeout.toMillis()) { exchange.thenApply { it }.await() }
                ?: throw HttpTimeoutException("no whole response within $requestTimeout")
        } catch (e: TooLarge) {
            exchange.cancel(true)
            throw CsmsException.Transport(
                "the response body exceeded $maxResponseBytes bytes", maybeSent = true,
                notRetried = "a response over the limit would be over it again", timedOut = false,
            )
        } catch (e: IOException) {
            exchange.cancel(true)
            throw transportFailure(e)
        } catch (e: Throwable) {
            exchange.cancel(true)
            throw e
        }
        val headers = ArrayList<Header>()
        for ((name, values) in response.headers().map()) {
            if (name.startsWith(":")) continue
            for (v in values) headers.add(Header(name, v))
        }
        return HttpResponse(response.statusCode(), headers, response.body() ?: ByteArray(0))
    }

    override suspend fun sleep(millis: Long) {
        delay(millis)
    }

    private fun transportFailure(e: IOException): CsmsException.Transport {
        val causes = generateSequence<Throwable>(e) { it.cause }.toList()
        // No request is written before the TLS handshake ends: a handshake failure was not sent.
        // The JDK throws SSLHandshakeException for most (certificate, protocol, closed during
        // the handshake), a plain SSLException when the server does not speak TLS at all.
        val handshake = causes.any {
            it is SSLHandshakeException ||
                (it is SSLException && (it.message ?: "").let { m -> "plaintext connection" in m || "nrecognized SSL message" in m })
        }
        val neverSent = handshake || causes.any {
            it is ConnectException || it is UnresolvedAddressException || it is UnknownHostException ||
                it is HttpConnectTimeoutException
        }
        // HttpConnectTimeoutException is an HttpTimeoutException too; the request timeout of
        // `send` (withTimeoutOrNull) is thrown as one as well.
        val timedOut = causes.any { it is HttpTimeoutException }
        val what = when {
            causes.any { it is HttpConnectTimeoutException } -> "connect timed out after $connectTimeout"
            causes.any { it is UnresolvedAddressException || it is UnknownHostException } -> "unknown host"
            handshake -> "TLS handshake failed"
            neverSent -> "connection refused"
            e is HttpTimeoutException -> "request timed out after $requestTimeout"
            else -> e::class.java.simpleName
        }
        return CsmsException.Transport("$what: ${e.message ?: e}", maybeSent = !neverSent, timedOut = timedOut)
    }

    /** A body over the limit (turned into the core's error for it in [send]). */
    private class TooLarge : IOException("response body over the limit")

    /**
     * The body as bytes, at most [limit] of them: a larger `Content-Length` fails at once, and
     * a body passing the limit fails as soon as it does. Either cancels the subscription, and
     * the JDK closes the connection.
     */
    private fun limitedBody(limit: Long) = BodyHandler<ByteArray> { info ->
        val announced = info.headers().firstValueAsLong("content-length")
        object : BodySubscriber<ByteArray> {
            private val body = CompletableFuture<ByteArray>()
            private var bytes = ByteArray(0)
            private var length = 0
            private lateinit var subscription: Flow.Subscription

            override fun getBody(): CompletionStage<ByteArray> = body

            override fun onSubscribe(subscription: Flow.Subscription) {
                this.subscription = subscription
                if (announced.isPresent && announced.asLong > limit) fail() else subscription.request(Long.MAX_VALUE)
            }

            override fun onNext(item: List<ByteBuffer>) {
                for (buffer in item) {
                    if (body.isDone) return
                    if (length.toLong() + buffer.remaining() > minOf(limit, MAX_ARRAY)) return fail()
                    if (length + buffer.remaining() > bytes.size) {
                        bytes = bytes.copyOf(maxOf(length + buffer.remaining(), minOf(limit, 2L * bytes.size).toInt()))
                    }
                    val n = buffer.remaining()
                    buffer.get(bytes, length, n)
                    length += n
                }
            }

            override fun onError(throwable: Throwable) {
                body.completeExceptionally(throwable)
            }

            override fun onComplete() {
                body.complete(if (length == bytes.size) bytes else bytes.copyOf(length))
            }

            private fun fail() {
                subscription.cancel()
                body.completeExceptionally(TooLarge())
            }
        }
    }

    companion object {
        /**
         * The `notRetried` of a request this transport refused before sending anything (a
         * header, method or URL the JDK does not accept, or the transport is closed):
         * resending it cannot help, so the call ends at once.
         */
        const val UNSENDABLE = "the HTTP stack refused the request before sending it; resending it cannot help"
        private val THREADS = AtomicInteger()
        /** The longest array the JVM makes (a body over it is refused as over the limit). */
        private const val MAX_ARRAY = Int.MAX_VALUE - 8L
        private val RESTRICTED = setOf("host", "content-length", "connection", "expect", "upgrade")
    }
}

package csms

import java.io.IOException
import java.net.ConnectException
import java.net.URI
import java.net.UnknownHostException
import java.net.http.HttpClient
import java.net.http.HttpConnectTimeoutException
import java.net.http.HttpRequest.BodyPublishers
import java.net.http.HttpResponse.BodyHandlers
import java.time.Duration
import kotlinx.coroutines.delay
import kotlinx.coroutines.future.await

/**
 * The default transport: `java.net.http.HttpClient` (JDK 11+), connect timeout 10 s,
 * request timeout 60 s, sleeping with coroutines' `delay` between attempts.
 */
class JavaHttpTransport(
    private val client: HttpClient = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build(),
    private val requestTimeout: Duration = Duration.ofSeconds(60),
) : HttpTransport {
    override suspend fun send(request: HttpRequest): HttpResponse {
        val body = if (request.body.isEmpty()) BodyPublishers.noBody() else BodyPublishers.ofByteArray(request.body)
        val builder = try {
            java.net.http.HttpRequest.newBuilder(URI.create(request.url))
                .timeout(requestTimeout)
                .method(request.method, body)
        } catch (e: IllegalArgumentException) {
            throw CsmsException.Transport("invalid request URL ${request.url}: ${e.message}", false)
        }
        for (h in request.headers) {
            // The JDK sets these itself (Host: from the URL, the same value the core signed).
            if (h.name.lowercase() in RESTRICTED) continue
            builder.header(h.name, h.value)
        }
        val response = try {
            client.sendAsync(builder.build(), BodyHandlers.ofByteArray()).await()
        } catch (e: HttpConnectTimeoutException) {
            throw CsmsException.Transport("connect timed out: ${e.message}", false)
        } catch (e: ConnectException) {
            throw CsmsException.Transport("connection refused: ${e.message}", false)
        } catch (e: UnknownHostException) {
            throw CsmsException.Transport("unknown host: ${e.message}", false)
        } catch (e: IOException) {
            throw CsmsException.Transport("${e::class.java.simpleName}: ${e.message}", true)
        }
        val headers = ArrayList<Header>()
        for ((name, values) in response.headers().map()) {
            if (name.startsWith(":")) continue
            for (v in values) headers.add(Header(name, v))
        }
        return HttpResponse(response.statusCode().toUShort(), headers, response.body() ?: ByteArray(0))
    }

    override suspend fun sleep(millis: ULong) {
        delay(millis.toLong())
    }

    private companion object {
        val RESTRICTED = setOf("host", "content-length", "connection", "expect", "upgrade")
    }
}

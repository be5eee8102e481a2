package csms

import java.nio.ByteBuffer
import kotlinx.coroutines.CancellationException

/**
 * The fast path of `CsmsClient.call` (issue 21; `generate` makes the generated `call` try it
 * first): the core's retry loop driven from here one synchronous native step at a time
 * (`DirectNative.call*`, JNI methods of src/fast.rs: a byte array in, one out), the transport
 * called directly. The same attempts, retries, results and exceptions as uniffi's async path,
 * which a client with a credentials provider, a debug hook, or a view's timeout or deadline
 * keeps taking.
 */
internal object FastCall {
    private const val SEND: Byte = 0
    private const val WAIT: Byte = 1
    private const val DONE: Byte = 2

    /**
     * The result JSON of [operation] with [inputJson] through [transport], or null when the
     * client takes uniffi's path. [start] runs its block with the client's handle, the client
     * kept alive meanwhile.
     */
    suspend fun call(start: ((Long) -> Long) -> Long, transport: () -> HttpTransport?, operation: String, inputJson: String): String? =
        drive(start, transport, operation, inputJson, false) { out -> String(out, 1, out.size - 1, Charsets.UTF_8) }

    /**
     * [call]'s result as the fields of its object (what `CsmsJson.Fields.parse` makes of the
     * result JSON), read from the tree the core writes instead of the text (src/fast.rs,
     * `put_value`): the typed operations' path. Null when the client takes uniffi's path.
     */
    suspend fun callFields(start: ((Long) -> Long) -> Long, transport: () -> HttpTransport?, operation: String, inputJson: String): CsmsJson.Fields? =
        drive(start, transport, operation, inputJson, true) { out ->
            try {
                CsmsJson.Fields.of(tree(ByteBuffer.wrap(out, 1, out.size - 1)))
            } finally {
                out.fill(0) // it holds the result, maybe a secret value
            }
        }

    /** Drives a call to its end: [done] reads the `DONE` answer (its code byte first); a result as a tree when [tree]. */
    private suspend inline fun <T> drive(
        start: ((Long) -> Long) -> Long, transport: () -> HttpTransport?, operation: String, inputJson: String, tree: Boolean,
        done: (ByteArray) -> T,
    ): T? {
        val op = operation.toByteArray()
        val input = inputJson.toByteArray()
        val call = start { handle -> DirectNative.callStart(handle, op, input, tree) }
        if (call == 0L) return null
        try {
            var outcome: Wire.Writer? = null
            while (true) {
                val out = try {
                    DirectNative.callNext(call, outcome?.bytes, outcome?.length ?: -1)
                } finally {
                    outcome?.wipe() // the response may hold a secret value
                }
                outcome = null
                val output = ByteBuffer.wrap(out, 1, out.size - 1)
                when (out[0]) {
                    WAIT -> afterThrow { transport()!!.sleep(output.getLong()) }
                    SEND -> {
                        val request = Wire.request(output)
                        outcome = try {
                            val response = afterThrow { transport()!!.send(request) }
                            Wire.writer().apply { byte(0); response(response) }
                        } catch (e: CsmsException) {
                            encode(1, FfiConverterTypeCsmsException.allocationSize(e)) { FfiConverterTypeCsmsException.write(e, it) }
                        }
                    }
                    DONE -> return done(out)
                    else -> throw FfiConverterTypeCsmsException.read(output)
                }
            }
        } finally {
            DirectNative.callFree(call)
        }
    }

    /**
     * A value of the tree src/fast.rs writes (`put_value`), as `CsmsJson.parse` reads its JSON
     * text: objects `LinkedHashMap`s in order, arrays `ArrayList`s, integers `Long`s, other
     * numbers `Double`s.
     */
    private fun tree(buf: ByteBuffer): Any? = when (buf.get().toInt()) {
        0 -> null
        1 -> false
        2 -> true
        3 -> buf.getLong()
        4 -> buf.getDouble()
        5 -> Wire.string(buf)
        6 -> {
            val n = buf.getInt()
            val items = ArrayList<Any?>(n)
            repeat(n) { items.add(tree(buf)) }
            items
        }
        7 -> {
            val n = buf.getInt()
            val members = LinkedHashMap<String, Any?>(maxOf(16, n * 4 / 3 + 1))
            repeat(n) { members[Wire.string(buf)] = tree(buf) }
            members
        }
        else -> throw CsmsException.Internal("a malformed result of the fast path")
    }

    /**
     * `signRequest` in one crossing (`DirectNative.sign`): the same result or exception as
     * uniffi's path (as are the other methods here). Only the signed headers come back; the
     * result has [request]'s method, URL and body (the same objects).
     */
    fun sign(
        request: HttpRequest, ak: String, sk: String, securityToken: String?, algorithm: String?, region: String?,
        service: String?, at: String?,
    ): HttpRequest {
        val w = Wire.writer()
        w.request(request)
        w.string(ak)
        w.string(sk)
        w.optionalString(securityToken)
        w.optionalString(algorithm)
        w.optionalString(region)
        w.optionalString(service)
        w.optionalString(at)
        val bytes = w.bytes
        try {
            // The answer comes back in `bytes` where it fits: no new array.
            val headers = answer(Wire::headers, DirectNative.sign(bytes, w.length))
            return HttpRequest(request.method, request.url, headers, request.body)
        } finally {
            // The thread's buffer outlives the call: the secret key not left in it, nor the body
            // (a secret value), nor the security token (in the answer's headers too, over the
            // start of the buffer).
            java.util.Arrays.fill(bytes, 0, if (securityToken == null) w.length else bytes.size, 0)
        }
    }

    /** `CsmsClient.buildRequest` in one crossing (`DirectNative.clientMethod`); [lend] as for [call]. */
    fun buildRequest(lend: ((Long) -> ByteArray) -> ByteArray, operation: String, inputJson: String, at: String?): HttpRequest {
        val w = Wire.writer()
        w.string(operation)
        w.string(inputJson)
        w.optionalString(at)
        return clientMethod(lend, 0, w, Wire::request)
    }

    /** `CsmsClient.parseResponse` in one crossing (`DirectNative.clientMethod`); [lend] as for [call]. */
    fun parseResponse(lend: ((Long) -> ByteArray) -> ByteArray, operation: String, response: HttpResponse): String {
        val w = Wire.writer()
        w.string(operation)
        w.response(response)
        return clientMethod(lend, 1, w, FfiConverterString::read)
    }

    /** Client method [method] of `DirectNative.clientMethod` on what [w] holds, read by [read]; [w] wiped after (it may hold a secret value). */
    private inline fun <T> clientMethod(lend: ((Long) -> ByteArray) -> ByteArray, method: Int, w: Wire.Writer, read: (ByteBuffer) -> T): T =
        try {
            answer(read, lend { handle -> DirectNative.clientMethod(handle, method, w.bytes, w.length) })
        } finally {
            w.wipe()
        }

    /** The value [out] holds (read by [read]), or the `CsmsException` it holds, thrown. */
    private inline fun <T> answer(read: (ByteBuffer) -> T, out: ByteArray): T {
        val output = ByteBuffer.wrap(out, 1, out.size - 1)
        if (out[0] == DONE) return read(output)
        throw FfiConverterTypeCsmsException.read(output)
    }

    /** Runs [body]; what it throws but a `CsmsException` or a cancellation is a transport failure that may have been sent, as on uniffi's path. */
    private inline fun <T> afterThrow(body: () -> T): T = try {
        body()
    } catch (e: CsmsException) {
        throw e
    } catch (e: CancellationException) {
        throw e
    } catch (e: Throwable) {
        throw CsmsException.Transport(e.toString(), maybeSent = true)
    }

    /** A writer holding [tag] then what [write] writes in uniffi's form (an error: rare, uniffi's own converter). */
    private inline fun encode(tag: Byte, size: ULong, write: (ByteBuffer) -> Unit): Wire.Writer {
        val buffer = ByteBuffer.allocate(1 + size.toInt())
        buffer.put(tag)
        write(buffer)
        return Wire.Writer(buffer.array()).also { it.length = buffer.position() }
    }
}

/**
 * uniffi's serialized form of the values the fast path passes (big-endian lengths, strings as
 * UTF-8), written and read without uniffi's converters where those cost most (a new
 * `CharsetEncoder` per string): a string ASCII throughout (every header, URL and method in
 * practice) is copied as it is, any other goes through `FfiConverterString.toUtf8` (so a lone
 * surrogate fails as on uniffi's path).
 */
internal object Wire {
    /** A growable array and the length written; one per thread ([writer]), used between two native calls. */
    class Writer(var bytes: ByteArray) {
        var length = 0

        private fun room(n: Int) {
            if (length + n > bytes.size) {
                val old = bytes
                bytes = old.copyOf(maxOf(2 * old.size, length + n))
                old.fill(0, 0, length) // what it held may be secret
            }
        }

        /** Writes zeros over what was written (the thread's buffer outlives the call) and empties it. */
        fun wipe() {
            java.util.Arrays.fill(bytes, 0, length, 0)
            length = 0
        }

        fun byte(b: Int) {
            room(1)
            bytes[length++] = b.toByte()
        }

        fun int(v: Int) {
            room(4)
            bytes[length] = (v ushr 24).toByte()
            bytes[length + 1] = (v ushr 16).toByte()
            bytes[length + 2] = (v ushr 8).toByte()
            bytes[length + 3] = v.toByte()
            length += 4
        }

        fun string(s: String) {
            // An ASCII string (every header, URL and method in practice) is copied a char a
            // byte straight into the buffer, with no array of its own; any other goes through
            // uniffi's encoder, which refuses a lone surrogate as uniffi's path does.
            val n = s.length
            room(4 + n)
            val start = length + 4
            for (i in 0 until n) {
                val c = s[i].code
                if (c >= 0x80) {
                    utf8(s)
                    return
                }
                bytes[start + i] = c.toByte()
            }
            int(n)
            length += n
        }

        private fun utf8(s: String) {
            val utf8 = FfiConverterString.toUtf8(s)
            val k = utf8.remaining()
            int(k)
            room(k)
            utf8.get(bytes, length, k)
            length += k
        }

        fun optionalString(s: String?) {
            if (s == null) {
                byte(0)
            } else {
                byte(1)
                string(s)
            }
        }

        fun bytes(b: ByteArray) {
            int(b.size)
            room(b.size)
            System.arraycopy(b, 0, bytes, length, b.size)
            length += b.size
        }

        fun headers(headers: List<Header>) {
            int(headers.size)
            for (h in headers) {
                string(h.name)
                string(h.value)
            }
        }

        /** An `HttpRequest`, as `FfiConverterTypeHttpRequest.write`. */
        fun request(r: HttpRequest) {
            string(r.method)
            string(r.url)
            headers(r.headers)
            bytes(r.body)
        }

        /** An `HttpResponse`, as `FfiConverterTypeHttpResponse.write`. */
        fun response(r: HttpResponse) {
            int(r.status)
            headers(r.headers)
            bytes(r.body)
        }
    }

    private val writers = ThreadLocal.withInitial { Writer(ByteArray(2048)) }

    /** This thread's writer, emptied. */
    fun writer(): Writer = writers.get().also { it.length = 0 }

    /** A string: a length, then its UTF-8. */
    fun string(buf: ByteBuffer): String {
        val n = buf.getInt()
        val s = String(buf.array(), buf.arrayOffset() + buf.position(), n, Charsets.UTF_8)
        buf.position(buf.position() + n)
        return s
    }

    /** A list of `Header`s, as uniffi's converter of a `List<Header>` reads it. */
    fun headers(buf: ByteBuffer): List<Header> {
        val count = buf.getInt()
        val headers = ArrayList<Header>(count)
        repeat(count) { headers.add(Header(string(buf), string(buf))) }
        return headers
    }

    /** An `HttpRequest` read as `FfiConverterTypeHttpRequest.read` does. */
    fun request(buf: ByteBuffer): HttpRequest {
        val method = string(buf)
        val url = string(buf)
        val headers = headers(buf)
        val body = ByteArray(buf.getInt())
        buf.get(body)
        return HttpRequest(method, url, headers, body)
    }
}

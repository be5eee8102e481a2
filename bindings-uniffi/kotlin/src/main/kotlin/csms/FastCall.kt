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
    suspend fun call(start: ((Long) -> ByteArray?) -> ByteArray?, transport: () -> HttpTransport?, operation: String, inputJson: String): String? =
        drive(start, transport, operation, inputJson, false) { r -> String(r.bytes, r.at, r.end - r.at, Charsets.UTF_8) }

    /**
     * [call]'s result as the fields of its object (what `CsmsJson.Fields.parse` makes of the
     * result JSON), read from the tree the core writes instead of the text (src/fast.rs,
     * `put_value`): the typed operations' path. Null when the client takes uniffi's path.
     */
    suspend fun callFields(start: ((Long) -> ByteArray?) -> ByteArray?, transport: () -> HttpTransport?, operation: String, inputJson: String): CsmsJson.Fields? =
        drive(start, transport, operation, inputJson, true) { r -> CsmsJson.Fields.of(tree(r)) }

    /**
     * Drives a call to its end: [done] reads the `DONE` answer's result (a tree when [tree]).
     * Every crossing goes through the thread's buffer ([Wire.writer]): the input written to it,
     * the answer written over it where it fits (src/fast.rs), wiped once read (it may hold a
     * secret value); nothing stays in it across a suspension (a coroutine may resume on
     * another thread, and another use this one's buffer meanwhile).
     */
    private suspend inline fun <T> drive(
        start: ((Long) -> ByteArray?) -> ByteArray?, transport: () -> HttpTransport?, operation: String, inputJson: String, tree: Boolean,
        done: (Wire.Reader) -> T,
    ): T? {
        var w = Wire.writer()
        var out: ByteArray = try {
            w.string(operation)
            w.string(inputJson)
            start { handle -> DirectNative.callStart(handle, w.bytes, w.length, tree) }
        } catch (e: Throwable) {
            w.wipe() // the input may hold a secret value
            throw e
        } ?: return null.also { w.wipe() }
        var call = 0L
        try {
            while (true) {
                val r = Wire.answer(w, out)
                call = r.long()
                var millis = 0L
                // Read, then wiped, before anything suspends.
                val request = try {
                    when (r.bytes[r.at++]) {
                        DONE -> return done(r)
                        WAIT -> null.also { millis = r.long() }
                        SEND -> Wire.request(r)
                        else -> throw FfiConverterTypeCsmsException.read(ByteBuffer.wrap(r.bytes, r.at, r.end - r.at))
                    }
                } finally {
                    r.wipe()
                }
                if (request == null) {
                    afterThrow { transport()!!.sleep(millis) }
                    w = Wire.writer()
                    out = DirectNative.callNext(call, w.bytes, 0)
                    continue
                }
                val outcome: Any = try {
                    afterThrow { transport()!!.send(request) }
                } catch (e: CsmsException) {
                    e
                }
                w = Wire.writer()
                out = try {
                    if (outcome is HttpResponse) {
                        w.byte(0)
                        w.response(outcome)
                    } else {
                        w.byte(1)
                        w.error(outcome as CsmsException)
                    }
                    DirectNative.callNext(call, w.bytes, w.length)
                } catch (e: Throwable) {
                    w.wipe() // the response may hold a secret value
                    throw e
                }
            }
        } finally {
            if (call != 0L) DirectNative.callFree(call)
        }
    }

    /**
     * A value of the tree src/fast.rs writes (`put_value`), as `CsmsJson.parse` reads its JSON
     * text: objects [Members] in order, arrays `ArrayList`s, integers `Long`s, other
     * numbers `Double`s. Keys are the same `String` objects from call to call ([Wire.key]).
     */
    private fun tree(r: Wire.Reader): Any? = when (r.bytes[r.at++].toInt()) {
        0 -> null
        1 -> false
        2 -> true
        3 -> r.long()
        4 -> java.lang.Double.longBitsToDouble(r.long())
        5 -> r.string()
        6 -> {
            val n = r.int()
            val items = ArrayList<Any?>(n)
            repeat(n) { items.add(tree(r)) }
            items
        }
        7 -> {
            val n = r.int()
            if (n < 0 || n > r.end - r.at) throw CsmsException.Internal("a malformed result of the fast path")
            val names = arrayOfNulls<String>(n)
            val items = arrayOfNulls<Any?>(n)
            for (i in 0 until n) {
                names[i] = r.key()
                items[i] = tree(r)
            }
            Members(names, items)
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
        return clientMethod(lend, 1, w, Wire.Reader::string)
    }

    /** Client method [method] of `DirectNative.clientMethod` on what [w] holds, read by [read]; [w] wiped after (it may hold a secret value). */
    private inline fun <T> clientMethod(lend: ((Long) -> ByteArray) -> ByteArray, method: Int, w: Wire.Writer, read: (Wire.Reader) -> T): T =
        try {
            answer(read, lend { handle -> DirectNative.clientMethod(handle, method, w.bytes, w.length) })
        } finally {
            w.wipe()
        }

    /** The value [out] holds (read by [read]), or the `CsmsException` it holds, thrown. */
    private inline fun <T> answer(read: (Wire.Reader) -> T, out: ByteArray): T {
        if (out[0] == DONE) return read(Wire.Reader(out, 1, out.size))
        throw FfiConverterTypeCsmsException.read(ByteBuffer.wrap(out, 1, out.size - 1))
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
            intAt(length, v)
            length += 4
        }

        /** Writes [v] big-endian over the four bytes written at [at]. */
        private fun intAt(at: Int, v: Int) {
            bytes[at] = (v ushr 24).toByte()
            bytes[at + 1] = (v ushr 16).toByte()
            bytes[at + 2] = (v ushr 8).toByte()
            bytes[at + 3] = v.toByte()
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

        /** A `CsmsException`, as `FfiConverterTypeCsmsException.write` (rare: uniffi's own converter). */
        fun error(e: CsmsException) {
            val buffer = ByteBuffer.allocate(FfiConverterTypeCsmsException.allocationSize(e).toInt())
            FfiConverterTypeCsmsException.write(e, buffer)
            room(buffer.position())
            System.arraycopy(buffer.array(), 0, bytes, length, buffer.position())
            length += buffer.position()
        }

        /**
         * An `HttpResponse`, as `FfiConverterTypeHttpResponse.write`, but for the headers the
         * core does not read of a response of its status ([headersRead]), left out.
         */
        fun response(r: HttpResponse) {
            int(r.status)
            val read = headersRead(r.status)
            val countAt = length
            int(0)
            var kept = 0
            for (h in r.headers) {
                if (reads(read, h.name)) {
                    string(h.name)
                    string(h.value)
                    kept++
                }
            }
            intAt(countAt, kept)
            bytes(r.body)
        }
    }

    private val writers = ThreadLocal.withInitial { Writer(ByteArray(2048)) }

    /**
     * The names of the headers the core reads of a success (2xx) and of any other response
     * (src/fast.rs, `Java_csms_DirectNative_headersRead`), asked once, when first used: the
     * core's `HttpResponse::headers_read` depends on nothing but whether a status is a success.
     */
    private object HeadersRead {
        val success = namesOf(DirectNative.headersRead(true))
        val other = namesOf(DirectNative.headersRead(false))

        private fun namesOf(b: ByteArray): Array<String> {
            val names = ArrayList<String>()
            var at = 0
            while (at < b.size) {
                val n = b[at].toInt()
                names.add(String(b, at + 1, n, Charsets.US_ASCII))
                at += 1 + n
            }
            return names.toTypedArray()
        }
    }

    /**
     * The names of the headers the core reads of a response of [status]: the others are not
     * written (so a header the core never reads cannot fail a call, as one holding a lone
     * surrogate would on uniffi's path).
     */
    private fun headersRead(status: Int): Array<String> = if (status in 200..299) HeadersRead.success else HeadersRead.other

    /** Whether [name] is one of [read] in any letter case (the length compared first: most headers differ there). */
    private fun reads(read: Array<String>, name: String): Boolean {
        for (r in read) if (r.length == name.length && r.equals(name, ignoreCase = true)) return true
        return false
    }

    /** This thread's writer, emptied. */
    fun writer(): Writer = writers.get().also { it.length = 0 }

    /** The bytes before the code of an answer of `DirectNative.callStart` and `callNext`: its length, then the call. */
    const val HEADER = 12

    /** The largest array of an answer [answer] keeps as the thread's buffer (as src/fast.rs keeps its own). */
    private const val MAX_KEPT = 64 * 1024

    /**
     * The answer in [out] of a crossing that [w] (emptied here) gave the input of: [out] is
     * [w]'s array written over, where the answer fitted (what is left of the input after it is
     * wiped), else a new array (which becomes [w]'s, its old one wiped, up to [MAX_KEPT]).
     * Read from after its length: the call, then the code.
     */
    fun answer(w: Writer, out: ByteArray): Reader {
        val end = Reader(out, 0, 4).int()
        if (out === w.bytes) {
            if (w.length > end) java.util.Arrays.fill(out, end, w.length, 0)
            w.length = 0
        } else {
            w.wipe()
            if (out.size > w.bytes.size && out.size <= MAX_KEPT) w.bytes = out
        }
        return Reader(out, 4, end)
    }

    /** Reads what the native side wrote (uniffi's serialized form, big-endian) in [bytes] from [at] to [end]. */
    class Reader(@JvmField val bytes: ByteArray, @JvmField var at: Int, @JvmField val end: Int) {
        fun int(): Int {
            val b = bytes
            val i = at
            if (i + 4 > end) throw CsmsException.Internal("a malformed answer of the fast path")
            at = i + 4
            return (b[i].toInt() shl 24) or ((b[i + 1].toInt() and 0xff) shl 16) or ((b[i + 2].toInt() and 0xff) shl 8) or (b[i + 3].toInt() and 0xff)
        }

        fun long(): Long {
            val high = int().toLong()
            return (high shl 32) or (int().toLong() and 0xffffffffL)
        }

        /** A length, checked against what is left. */
        private fun length(): Int {
            val n = int()
            if (n < 0 || n > end - at) throw CsmsException.Internal("a malformed answer of the fast path")
            return n
        }

        /** A string: a length, then its UTF-8. */
        fun string(): String {
            val n = length()
            val s = String(bytes, at, n, Charsets.UTF_8)
            at += n
            return s
        }

        /** A string that is a name (a member's, a header's), the same object as the last time read when it is short and ASCII ([Wire.key]). */
        fun key(): String {
            val n = length()
            val s = name(bytes, at, n)
            at += n
            return s
        }

        /** A length, then that many bytes, in an array of their own. */
        fun bytes(): ByteArray {
            val n = length()
            val b = bytes.copyOfRange(at, at + n)
            at += n
            return b
        }

        /** Writes zeros over the answer (it may hold a secret value). */
        fun wipe() = java.util.Arrays.fill(bytes, 0, end, 0)
    }

    /**
     * Names read before (ASCII, at most [NAME_MAX] bytes), interned: the members' names of a
     * result and the headers' names of a request come back as the same `String` objects call
     * after call (no new string, its hash known, equal by identity to the literals the
     * generated code looks them up with). A name only, never a value (which may be secret).
     * Shared by every thread: an entry is written and read whole (a reference).
     */
    private val names = arrayOfNulls<Name>(512)
    private const val NAME_MAX = 48

    /** An entry of [names]: a name's bytes and its string. */
    private class Name(@JvmField val bytes: ByteArray, @JvmField val string: String)

    /** The name in [n] bytes of [b] from [at]: from [names] where it was read before. */
    private fun name(b: ByteArray, at: Int, n: Int): String {
        if (n == 0 || n > NAME_MAX) return String(b, at, n, Charsets.UTF_8)
        // A slot from the length and three of the bytes: names differ there, and no loop.
        val h = n * 961 + b[at] * 31 + b[at + n / 2] * 7 + b[at + n - 1]
        val slot = (h xor (h ushr 9)) and (names.size - 1)
        val known = names[slot]
        if (known != null && java.util.Arrays.equals(known.bytes, 0, known.bytes.size, b, at, at + n)) return known.string
        val s = String(b, at, n, Charsets.UTF_8)
        for (i in at until at + n) if (b[i] < 0) return s
        val name = Name(b.copyOfRange(at, at + n), s.intern())
        names[slot] = name
        return name.string
    }

    /** A list of `Header`s, as uniffi's converter of a `List<Header>` reads it. */
    fun headers(r: Reader): List<Header> {
        val count = r.int()
        val headers = ArrayList<Header>(count)
        repeat(count) { headers.add(Header(r.key(), r.string())) }
        return headers
    }

    /** An `HttpRequest` read as `FfiConverterTypeHttpRequest.read` does. */
    fun request(r: Reader): HttpRequest = HttpRequest(r.key(), r.string(), headers(r), r.bytes())
}

/**
 * A read-only object of a result tree ([FastCall]): its members' names and values in two
 * arrays, in the order the core wrote them (sorted by name, no name twice: src/fast.rs,
 * `put_value`). Cheaper to make than a `LinkedHashMap` (no table, no entry objects) and as
 * quick to read for the few members of a result's object: a lookup compares names by identity
 * first, which finds the generated code's literals ([Wire.key] interns the names), then by
 * value. Equal to any `Map` with the same entries, as `java.util.AbstractMap` makes it.
 */
internal class Members(private val names: Array<String?>, private val items: Array<Any?>) : java.util.AbstractMap<String, Any?>() {
    override val size: Int get() = names.size

    private fun indexOf(name: Any?): Int {
        for (i in names.indices) if (names[i] === name) return i
        for (i in names.indices) if (names[i] == name) return i
        return -1
    }

    override fun get(key: String): Any? = indexOf(key).let { if (it < 0) null else items[it] }

    override fun containsKey(key: String): Boolean = indexOf(key) >= 0

    override val entries: MutableSet<MutableMap.MutableEntry<String, Any?>>
        get() = object : java.util.AbstractSet<MutableMap.MutableEntry<String, Any?>>() {
            override val size: Int get() = names.size

            override fun iterator(): MutableIterator<MutableMap.MutableEntry<String, Any?>> =
                object : MutableIterator<MutableMap.MutableEntry<String, Any?>> {
                    private var i = 0
                    override fun hasNext() = i < names.size
                    override fun next(): MutableMap.MutableEntry<String, Any?> {
                        if (i >= names.size) throw NoSuchElementException()
                        val entry = java.util.AbstractMap.SimpleImmutableEntry(names[i]!!, items[i])
                        i++
                        return entry
                    }
                    override fun remove() = throw UnsupportedOperationException("a result's object is read-only")
                }
        }
}

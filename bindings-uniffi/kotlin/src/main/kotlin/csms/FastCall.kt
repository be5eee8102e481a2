package csms

import java.nio.ByteBuffer
import kotlinx.coroutines.CancellationException

/**
 * The fast path of `CsmsClient.call` (issue 21; `generate` makes the generated `call` try it
 * first): the core's retry loop driven from here one synchronous native step at a time
 * (`csms_uniffi_call_*` in src/fast.rs, JNA direct-mapped, byte arrays only), the transport
 * called directly. The same attempts, retries, results and exceptions as uniffi's async path,
 * which a client with a credentials provider, a debug hook, or a view's timeout or deadline
 * keeps taking.
 */
internal object FastCall {
    private const val SEND = 0
    private const val WAIT = 1
    private const val DONE = 2

    /** The output array of a step, one per thread (used only between two suspensions). */
    private val outputs = ThreadLocal.withInitial { ByteArray(4096) }

    /** The output array of `sign`, `buildRequest` and `parseResponse`, one per thread: JNA copies it in and out, so no larger than a signed request (a larger one grows it). */
    private val signOutputs = ThreadLocal.withInitial { ByteArray(1024) }

    /**
     * The result JSON of [operation] with [inputJson] through [transport], or null when the
     * client takes uniffi's path. [start] runs its block with the client's handle, the client
     * kept alive meanwhile.
     */
    suspend fun call(start: ((Long) -> Long) -> Long, transport: () -> HttpTransport?, operation: String, inputJson: String): String? {
        val op = operation.toByteArray()
        val input = inputJson.toByteArray()
        val call = start { handle -> DirectNative.csms_uniffi_call_start(handle, op, op.size, input, input.size) }
        if (call == 0L) return null
        try {
            var outcome: ByteArray? = null
            val ret = LongArray(1)
            while (true) {
                var out = outputs.get()
                val code = DirectNative.csms_uniffi_call_next(call, outcome, outcome?.size ?: -1, out, out.size, ret)
                outcome = null
                if (code == WAIT) {
                    afterThrow { transport()!!.sleep(ret[0]) }
                    continue
                }
                val length = ret[0].toInt()
                if (length > out.size) {
                    out = ByteArray(length)
                    check(DirectNative.csms_uniffi_call_take(call, out, length) == length)
                }
                when (code) {
                    SEND -> {
                        val request = FfiConverterTypeHttpRequest.read(ByteBuffer.wrap(out, 0, length))
                        outcome = try {
                            val response = afterThrow { transport()!!.send(request) }
                            encode(0, FfiConverterTypeHttpResponse.allocationSize(response)) { FfiConverterTypeHttpResponse.write(response, it) }
                        } catch (e: CsmsException) {
                            encode(1, FfiConverterTypeCsmsException.allocationSize(e)) { FfiConverterTypeCsmsException.write(e, it) }
                        }
                    }
                    DONE -> return String(out, 0, length, Charsets.UTF_8)
                    else -> throw FfiConverterTypeCsmsException.read(ByteBuffer.wrap(out, 0, length))
                }
            }
        } finally {
            DirectNative.csms_uniffi_call_free(call)
        }
    }

    /** `signRequest` in one crossing (`csms_uniffi_sign`): the same result or exception as uniffi's path (as are the other methods here). */
    fun sign(
        request: HttpRequest, ak: String, sk: String, securityToken: String?, algorithm: String?, region: String?,
        service: String?, at: String?,
    ): HttpRequest {
        val strings = listOf(securityToken, algorithm, region, service, at)
        val size = FfiConverterTypeHttpRequest.allocationSize(request) + FfiConverterString.allocationSize(ak) +
            FfiConverterString.allocationSize(sk) + strings.sumOf { FfiConverterOptionalString.allocationSize(it) }
        val input = ByteBuffer.allocate(size.toInt())
        FfiConverterTypeHttpRequest.write(request, input)
        FfiConverterString.write(ak, input)
        FfiConverterString.write(sk, input)
        for (s in strings) FfiConverterOptionalString.write(s, input)
        return answer(FfiConverterTypeHttpRequest::read) { out, ret -> DirectNative.csms_uniffi_sign(input.array(), input.position(), out, out.size, ret) }
    }

    /** `CsmsClient.buildRequest` in one crossing (`csms_uniffi_client_method`); [lend] as for [call]. */
    fun buildRequest(lend: ((Long) -> Int) -> Int, operation: String, inputJson: String, at: String?): HttpRequest {
        val input = ByteBuffer.allocate(
            (FfiConverterString.allocationSize(operation) + FfiConverterString.allocationSize(inputJson) +
                FfiConverterOptionalString.allocationSize(at)).toInt(),
        )
        FfiConverterString.write(operation, input)
        FfiConverterString.write(inputJson, input)
        FfiConverterOptionalString.write(at, input)
        return answer(FfiConverterTypeHttpRequest::read) { out, ret ->
            lend { handle -> DirectNative.csms_uniffi_client_method(handle, 0, input.array(), input.position(), out, out.size, ret) }
        }
    }

    /** `CsmsClient.parseResponse` in one crossing (`csms_uniffi_client_method`); [lend] as for [call]. */
    fun parseResponse(lend: ((Long) -> Int) -> Int, operation: String, response: HttpResponse): String {
        val input = ByteBuffer.allocate(
            (FfiConverterString.allocationSize(operation) + FfiConverterTypeHttpResponse.allocationSize(response)).toInt(),
        )
        FfiConverterString.write(operation, input)
        FfiConverterTypeHttpResponse.write(response, input)
        return answer(FfiConverterString::read) { out, ret ->
            lend { handle -> DirectNative.csms_uniffi_client_method(handle, 1, input.array(), input.position(), out, out.size, ret) }
        }
    }

    /** The value [invoke] answers (read by [read]), or the `CsmsException` it answers, thrown; once more with a larger array when it did not fit. */
    private inline fun <T> answer(read: (ByteBuffer) -> T, invoke: (ByteArray, LongArray) -> Int): T {
        var out = signOutputs.get()
        val ret = LongArray(1)
        var code = invoke(out, ret)
        if (ret[0] > out.size) {
            out = ByteArray(ret[0].toInt()).also(signOutputs::set)
            code = invoke(out, ret)
        }
        val output = ByteBuffer.wrap(out, 0, ret[0].toInt())
        if (code == DONE) return read(output)
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

    private inline fun encode(tag: Byte, size: ULong, write: (ByteBuffer) -> Unit): ByteArray {
        val buffer = ByteBuffer.allocate(1 + size.toInt())
        buffer.put(tag)
        write(buffer)
        return buffer.array()
    }
}

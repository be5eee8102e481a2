package csms

import com.sun.jna.Native
import com.sun.jna.NativeLibrary

/**
 * The native library's own C functions that Kotlin calls without uniffi, JNA direct-mapped
 * (primitive arguments and byte arrays only: a uniffi call costs tens of microseconds, these
 * well under one): the secret cache's hit (`src/cache.rs`) and the fast paths of `call`,
 * `signRequest`, `buildRequest` and `parseResponse` (`src/fast.rs`, [FastCall]). Loaded as
 * uniffi loads the library (its `libraryOverride` property, else `csms_uniffi`).
 */
@Suppress("FunctionName")
internal object DirectNative {
    init {
        val override = System.getProperty("uniffi.component.csms_uniffi.libraryOverride")
        Native.register(DirectNative::class.java, NativeLibrary.getInstance(override ?: "csms_uniffi"))
    }

    @JvmStatic external fun csms_uniffi_cache_hit(
        cache: Long, name: ByteArray, nameLen: Int, stage: ByteArray, stageLen: Int,
        version: ByteArray?, versionLen: Int, nowNanos: Long, out: ByteArray, outLen: Int,
    ): Int

    @JvmStatic external fun csms_uniffi_cache_release(cache: Long)

    @JvmStatic external fun csms_uniffi_call_start(client: Long, operation: ByteArray, operationLen: Int, input: ByteArray, inputLen: Int): Long

    @JvmStatic external fun csms_uniffi_call_next(
        call: Long, outcome: ByteArray?, outcomeLen: Int, out: ByteArray, outLen: Int, ret: LongArray,
    ): Int

    @JvmStatic external fun csms_uniffi_call_take(call: Long, out: ByteArray, outLen: Int): Int

    @JvmStatic external fun csms_uniffi_call_free(call: Long)

    @JvmStatic external fun csms_uniffi_sign(input: ByteArray, inputLen: Int, out: ByteArray, outLen: Int, ret: LongArray): Int

    @JvmStatic external fun csms_uniffi_client_method(
        client: Long, method: Int, input: ByteArray, inputLen: Int, out: ByteArray, outLen: Int, ret: LongArray,
    ): Int
}

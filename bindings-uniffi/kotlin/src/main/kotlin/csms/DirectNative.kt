package csms

import com.sun.jna.NativeLibrary

/**
 * The native library's own JNI methods that Kotlin calls without uniffi (a JNI call costs tens
 * of nanoseconds, a uniffi call tens of microseconds, a JNA direct-mapped one about one): the
 * secret cache's hit (`src/cache.rs`) and the fast paths of `call`, `signRequest`,
 * `buildRequest` and `parseResponse` (`src/fast.rs`, [FastCall]). The library is the one
 * uniffi loads through JNA (its `libraryOverride` property, else `csms_uniffi`, from
 * `jna.library.path` or the jar's resources): JNA finds or extracts it, and [System.load] binds
 * these methods to that same file; where JNA names no file (Android's system loader), it is
 * loaded by name.
 */
internal object DirectNative {
    init {
        val name = System.getProperty("uniffi.component.csms_uniffi.libraryOverride") ?: "csms_uniffi"
        val file = NativeLibrary.getInstance(name).file
        if (file != null) System.load(file.absolutePath) else System.loadLibrary(name)
    }

    /** The id of the version a read of [name] at [stage] (or of [version]) gets from memory, written to [out]; its length, or -1. */
    @JvmStatic external fun cacheHit(cache: Long, name: ByteArray, stage: ByteArray, version: ByteArray?, nowNanos: Long, out: ByteArray): Int

    /** Drops the cache reference the fast path held. */
    @JvmStatic external fun cacheRelease(cache: Long)

    /** Starts a call on the client [client] (a lent handle), its result as a tree when [tree], else JSON text; 0 when the client takes uniffi's path. */
    @JvmStatic external fun callStart(client: Long, operation: ByteArray, input: ByteArray, tree: Boolean): Long

    /** The next step of [call] after the first [length] bytes of [outcome] (null at first and after a wait): a code byte, then its output. */
    @JvmStatic external fun callNext(call: Long, outcome: ByteArray?, length: Int): ByteArray

    /** Frees [call]. */
    @JvmStatic external fun callFree(call: Long)

    /** `signRequest` of the first [length] bytes of [input] (its arguments serialized): a code byte, then the signed headers (or the error); [input] itself, written over, where that fits. */
    @JvmStatic external fun sign(input: ByteArray, length: Int): ByteArray

    /** `buildRequest` ([method] 0) or `parseResponse` (1) on [client] of the first [length] bytes of [input]: as [sign]. */
    @JvmStatic external fun clientMethod(client: Long, method: Int, input: ByteArray, length: Int): ByteArray
}

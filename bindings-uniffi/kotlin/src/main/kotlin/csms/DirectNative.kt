package csms

import com.sun.jna.Native
import com.sun.jna.NativeLibrary
import com.sun.jna.Platform
import java.io.File
import java.io.IOException

/**
 * The native library's own JNI methods that Kotlin calls without uniffi (a JNI call costs tens
 * of nanoseconds, a uniffi call tens of microseconds, a JNA direct-mapped one about one): the
 * secret cache's hit (`src/cache.rs`) and the fast paths of `call`, `signRequest`,
 * `buildRequest` and `parseResponse` (`src/fast.rs`, [FastCall]). The library is the one
 * uniffi loads through JNA (its `libraryOverride` property, else [NativeLibraryFile.name]):
 * [System.load] binds these methods to that same file; where JNA names no file (Android's
 * system loader), it is loaded by name.
 */
internal object DirectNative {
    init {
        val name = System.getProperty("uniffi.component.csms_uniffi.libraryOverride") ?: NativeLibraryFile.name
        val file = if (File(name).isAbsolute) File(name) else NativeLibrary.getInstance(name).file
        if (file != null) System.load(file.absolutePath) else System.loadLibrary(name)
        NativeLibraryFile.loaded()
    }

    /** The id of the version a read of [name] at [stage] (or of [version]) gets from memory, written to [out]; its length, or -1. */
    @JvmStatic external fun cacheHit(cache: Long, name: ByteArray, stage: ByteArray, version: ByteArray?, nowNanos: Long, out: ByteArray): Int

    /** Drops the cache reference the fast path held. */
    @JvmStatic external fun cacheRelease(cache: Long)

    /**
     * Starts a call on the client [client] (a lent handle) of the operation and input JSON in
     * the first [length] bytes of [buf] (each a length and its UTF-8), its result as a tree
     * when [tree], else JSON text, and takes its first step: the answer, as [callNext]'s; null
     * when the client takes uniffi's path.
     */
    @JvmStatic external fun callStart(client: Long, buf: ByteArray, length: Int, tree: Boolean): ByteArray?

    /**
     * The next step of [call] after the outcome in the first [length] bytes of [buf] (none
     * after a wait): [buf] written over where the answer fits, else a new array; its length
     * and the call (0 once over and freed, `Wire.HEADER` bytes), then a code byte and its
     * output.
     */
    @JvmStatic external fun callNext(call: Long, buf: ByteArray, length: Int): ByteArray

    /**
     * The names of the headers the core reads of a response of a success (2xx) when
     * [success], else of any other status (`HttpResponse::headers_read`): each a length byte,
     * then its ASCII, lower case.
     */
    @JvmStatic external fun headersRead(success: Boolean): ByteArray

    /** Frees [call], which no answer said was over. */
    @JvmStatic external fun callFree(call: Long)

    /** `signRequest` of the first [length] bytes of [input] (its arguments serialized): a code byte, then the signed headers (or the error); [input] itself, written over, where that fits. */
    @JvmStatic external fun sign(input: ByteArray, length: Int): ByteArray

    /** `buildRequest` ([method] 0) or `parseResponse` (1) on [client] of the first [length] bytes of [input]: as [sign]. */
    @JvmStatic external fun clientMethod(client: Long, method: Int, input: ByteArray, length: Int): ByteArray
}

/**
 * The native library file that uniffi's bindings (through JNA, `findLibraryName` in the
 * generated code) and [DirectNative] (through [System.load]) both load, so that the process maps
 * one copy of it.
 *
 * JNA, given the bare name, extracts the jar's copy (`linux-x86-64/libcsms_uniffi.so`, ...) to
 * a temporary file and deletes that file as soon as it is loaded: [System.load] then found no
 * file, and every fast path failed with `UnsatisfiedLinkError` when the library came from the
 * jar. Here the jar's copy is extracted once (JNA's own extraction, to its temporary
 * directory), both load that path, and [DirectNative] deletes it once it has loaded it (else it
 * goes when the JVM exits).
 */
internal object NativeLibraryFile {
    private const val LIBRARY = "csms_uniffi"

    /** The extracted copy, to delete once [DirectNative] has loaded it. */
    @Volatile private var extracted: File? = null

    /**
     * The library in `jna.library.path` as JNA would find it; else the jar's copy for this
     * platform (JNA's resource layout), extracted; else the bare name, for JNA's search of the
     * system's paths (Android's included).
     */
    val name: String by lazy {
        val mapped = System.mapLibraryName(LIBRARY)
        val inPath = System.getProperty("jna.library.path")?.split(File.pathSeparator)
            ?.map { File(it, mapped) }?.firstOrNull { it.isFile }
        when {
            inPath != null -> LIBRARY
            NativeLibraryFile::class.java.classLoader?.getResource("${Platform.RESOURCE_PREFIX}/$mapped") == null -> LIBRARY
            else -> try {
                Native.extractFromResourcePath(LIBRARY, NativeLibraryFile::class.java.classLoader).let { file ->
                    file.deleteOnExit()
                    extracted = file
                    file.absolutePath
                }
            } catch (_: IOException) {
                LIBRARY
            }
        }
    }

    /** Called once [DirectNative] loaded the library: its extracted copy, if any, is deleted (every loader holds it by now). */
    fun loaded() {
        extracted?.let { file ->
            extracted = null
            file.delete()
        }
    }
}

package csms

import com.sun.jna.Platform
import java.io.File
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import java.util.jar.JarEntry
import java.util.jar.JarOutputStream
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The package as its users run it: the native library inside the jar (JNA's resource layout,
 * as release/build packs it), no `jna.library.path`, in a fresh JVM. JNA deletes the copy it
 * extracts as soon as it is loaded; the fast path's `System.load` must still find the library
 * (it failed with `UnsatisfiedLinkError` before `NativeLibraryFile`), and no copy is left behind.
 */
class JarNativeTest {
    @Test
    fun fastPathLoadsTheLibraryFromTheJar() {
        val mapped = System.mapLibraryName("csms_uniffi")
        val library = File(System.getProperty("jna.library.path"), mapped)
        val classes = File(CsmsClient::class.java.protectionDomain.codeSource.location.toURI())
        val dir = Files.createTempDirectory("csms-jar-native").toFile()
        try {
            val jar = File(dir, "csms.jar")
            JarOutputStream(jar.outputStream()).use { out ->
                classes.walkTopDown().filter { it.isFile }.forEach { file ->
                    out.putNextEntry(JarEntry(file.relativeTo(classes).invariantSeparatorsPath))
                    file.inputStream().use { it.copyTo(out) }
                    out.closeEntry()
                }
                out.putNextEntry(JarEntry("${Platform.RESOURCE_PREFIX}/$mapped"))
                library.inputStream().use { it.copyTo(out) }
                out.closeEntry()
            }
            val testPath = System.getProperty("surefire.test.class.path") ?: System.getProperty("java.class.path")
            val rest = testPath.split(File.pathSeparator).filter { it.isNotEmpty() && File(it).absoluteFile != classes.absoluteFile }
            val extracted = File(dir, "jna").apply { mkdir() }
            val command = listOf(
                File(System.getProperty("java.home"), "bin/java").path, "-Djna.tmpdir=${extracted.path}",
                "-cp", (listOf(jar.path) + rest).joinToString(File.pathSeparator), JarNativeMain::class.java.name,
            )
            val process = ProcessBuilder(command).redirectErrorStream(true).start()
            val output = process.inputStream.bufferedReader().readText()
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the JVM did not exit")
            assertEquals(0, process.exitValue(), output)
            assertEquals("signed by the fast path", output.trim().lines().last(), output)
            assertEquals(emptyList<String>(), extracted.walkTopDown().filter { it.isFile }.map { it.name }.toList())
        } finally {
            dir.deleteRecursively()
        }
    }
}

/** The child of [JarNativeTest]: one `signRequest`, which takes the fast path (JNI, `DirectNative`). */
object JarNativeMain {
    /** No arguments. */
    @JvmStatic
    fun main(args: Array<String>) {
        check(System.getProperty("jna.library.path") == null) { "jna.library.path is set" }
        val request = HttpRequest("GET", "https://csms.example.com/v1/PID/secrets", listOf(), ByteArray(0))
        val signed = signRequest(request, "AK", "SK", at = "20240806T101010Z")
        check(signed.headers.any { it.name.equals("Authorization", ignoreCase = true) }) { "no Authorization header" }
        // uniffi's bindings load the library after the fast path did (and deleted its copy).
        CsmsClient(endpoint = "https://csms.example.com", projectId = "PID", credentials = ProvidedCredentials(ak = "AK", sk = "SK")).use { client ->
            val built = client.buildRequest("ShowSecret", """{"secret_name":"db"}""")
            check(built.url.endsWith("/secrets/db")) { built.url }
        }
        println("signed by the fast path")
    }
}

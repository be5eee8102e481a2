package csms

import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.nio.file.Files
import org.jetbrains.kotlin.cli.common.ExitCode
import org.jetbrains.kotlin.cli.jvm.K2JVMCompiler
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Typed options are checked by the compiler (issue 18): a snippet with the right names compiles
 * against this package, the same snippet with one name misspelt does not, and the compiler
 * names the misspelt one.
 */
class TypedOptionsCompileTest {
    /** Compiles [body] (inside a function, the package imported) against the test classpath. */
    private fun compile(body: String): Pair<ExitCode, String> {
        val dir = Files.createTempDirectory("csms-compile")
        try {
            val source = dir.resolve("Snippet.kt")
            Files.writeString(
                source,
                "import csms.*\nimport kotlin.time.Duration.Companion.seconds\n\nsuspend fun snippet(client: CsmsClient) {\n$body\n}\n",
            )
            val messages = ByteArrayOutputStream()
            val code = K2JVMCompiler().exec(
                PrintStream(messages, true, Charsets.UTF_8),
                "-classpath", System.getProperty("java.class.path"),
                "-d", dir.resolve("out").toString(),
                "-no-stdlib", "-no-reflect", "-nowarn",
                source.toString(),
            )
            return code to messages.toString(Charsets.UTF_8)
        } finally {
            dir.toFile().deleteRecursively()
        }
    }

    private fun assertCompiles(body: String) {
        val (code, messages) = compile(body)
        assertEquals(ExitCode.OK, code, messages)
    }

    private fun assertRefuses(body: String, misspelt: String) {
        val (code, messages) = compile(body)
        assertEquals(ExitCode.COMPILATION_ERROR, code, messages)
        assertTrue(messages.contains(misspelt), messages)
    }

    @Test
    fun `a misspelt client, call or cache option does not compile`() {
        val keys = """ProvidedCredentials(ak = "AK", sk = "SK")"""
        assertCompiles(
            """
            CsmsClient(region = "cn-north-4", projectId = "p", credentials = $keys, maxAttempts = 2, backoffCap = 1.seconds).close()
            client.withOptions(timeout = 1.seconds, deadline = 2.seconds).listSecrets()
            SecretCache(client, ttl = 60.seconds, maxEntries = 10).close()
            """,
        )
        assertRefuses("""CsmsClient(region = "cn-north-4", projectId = "p", credentials = $keys, maxAtempts = 2)""", "maxAtempts")
        assertRefuses("""client.withOptions(timout = 1.seconds)""", "timout")
        assertRefuses("""SecretCache(client, tll = 60.seconds)""", "tll")
    }
}

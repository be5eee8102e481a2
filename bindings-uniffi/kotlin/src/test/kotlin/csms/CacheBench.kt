package csms

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.condition.EnabledIfSystemProperty

/**
 * A cache hit beside a plain `ShowSecretVersion` per read, against the emulator (issue 16; the
 * twin of core/benches/cache.rs). Run only by `bindings-uniffi/run-bench` (`-Dcsms.bench=1`):
 * prints the figures, and fails when a hit costs more than 5 µs.
 */
@EnabledIfSystemProperty(named = "csms.bench", matches = "1")
class CacheBench {
    /** Nanoseconds per run of [body], the best of 5 rounds of [n]. */
    private inline fun perRun(n: Int, body: () -> Unit): Double =
        (1..5).minOf { _ ->
            val start = System.nanoTime()
            repeat(n) { body() }
            (System.nanoTime() - start).toDouble() / n
        }

    @Test
    fun `a hit beside a ShowSecretVersion per read`() = runBlocking {
        Emulator().use { emulator ->
            val client = CsmsClient(emulator.options(), JavaHttpTransport())
            client.call("CreateSecret", """{"name":"db","secret_string":"s3cret-value"}""")
            SecretCache(client).use { cache ->
                repeat(200_000) { cache.get("db") } // warm up (JIT)
                val hit = perRun(200_000) { cache.get("db") }
                val hitString = perRun(200_000) { cache.getSecretString("db") }
                repeat(200) { client.showSecretVersion(secretName = "db", versionId = "latest") }
                val plain = perRun(500) { client.showSecretVersion(secretName = "db", versionId = "latest") }
                println("bench: cache hit %.2f µs, getSecretString hit %.2f µs, plain ShowSecretVersion %.1f µs (%.0fx)"
                    .format(hit / 1000, hitString / 1000, plain / 1000, plain / hit))
                assertTrue(hit <= 5_000, "a hit costs ${hit / 1000} µs, more than 5 µs")
            }
        }
    }
}

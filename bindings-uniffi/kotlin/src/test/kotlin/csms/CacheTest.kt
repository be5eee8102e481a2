package csms

import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration.Companion.milliseconds
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The secret cache against the emulator (issue 16): the scenario every language runs, as
 * core/tests/cache.rs (hits send nothing, 32 concurrent cold reads share a request, a new version
 * after the TTL, the last value through an outage, `refresh`, `accepted`, a deleted secret raised,
 * the change flow), plus a cancelled reader and the settings checked.
 */
class CacheTest {
    private fun client(emulator: Emulator, transport: HttpTransport = JavaHttpTransport()) =
        CsmsClient(emulator.options(), transport, null, 5L)

    /** Requests the emulator received for the cache's two operations. */
    private fun sent(emulator: Emulator) =
        emulator.operationCount("ShowSecretStage") + emulator.operationCount("ShowSecretVersion")

    @Test
    fun `the cache scenario`() = runBlocking {
        Emulator().use { emulator ->
            val csms = client(emulator)
            csms.call("CreateSecret", """{"name":"db","secret_string":"one"}""")
            val ttl = 600.milliseconds
            SecretCache(csms, ttl = ttl).use { cache ->
                val moves = mutableListOf<StageChange>()
                val listening = launch(Dispatchers.Default) { cache.changes.collect { synchronized(moves) { moves.add(it) } } }
                delay(100) // the collector subscribes

                // 32 concurrent cold reads: one stage request and one value request.
                val reads = (1..32).map { async(Dispatchers.Default) { cache.get("db") } }.awaitAll()
                assertTrue(reads.all { it.secretString == "one" })
                assertTrue(sent(emulator) <= 2, "${sent(emulator)} requests for 32 cold reads")
                assertEquals("one", reads[0].secretString)
                assertEquals(reads[0].versionMetadata?.id, reads[31].versionMetadata?.id)
                val before = sent(emulator)
                repeat(100) { cache.get("db") }
                assertEquals(before, sent(emulator), "hits send nothing")
                assertTrue(reads[0] === cache.get("db"), "a hit returns the version decoded once")

                // A new version: served once the TTL is over; the flow hears of the move.
                csms.call("CreateSecretVersion", """{"secret_name":"db","secret_string":"two"}""")
                delay(ttl)
                assertEquals("two", cache.getSecretString("db"))
                withTimeout(5_000) { while (synchronized(moves) { moves.isEmpty() }) delay(10) }
                val move = synchronized(moves) { moves.single() }
                assertEquals("db" to "SYSCURRENT", move.secretName to move.stage)
                assertEquals(reads[0].versionMetadata?.id, move.from)

                // The service down: the last value is served.
                assertEquals(200, emulator.post("/_emulator/faults", """{"spec":"503=100%"}"""))
                delay(ttl)
                assertEquals("two", cache.getSecretString("db"))
                assertEquals(200, emulator.post("/_emulator/faults", """{"spec":null}"""))

                // `refresh` makes the next read current, within the TTL.
                csms.call("CreateSecretVersion", """{"secret_name":"db","secret_string":"three"}""")
                delay(1_100) // past the back-off of the outage
                assertEquals("three", cache.refresh("db").secretString)
                assertEquals("three", cache.getSecretString("db"))

                // Both sides of a rotation for a verifier.
                assertEquals(listOf("three", "two"), cache.accepted("db").map { it.secretString })

                // A version by id: cached, so a second read sends nothing.
                val id = cache.get("db", "SYSPREVIOUS").versionMetadata!!.id!!
                val sentBefore = sent(emulator)
                assertEquals("two", cache.getVersion("db", id).secretString)
                assertEquals(sentBefore, sent(emulator))

                // A deleted secret: raised after the TTL, never hidden.
                csms.call("DeleteSecret", """{"secret_name":"db"}""")
                delay(ttl)
                val gone = assertThrows<CsmsException.Api> { runBlocking { cache.get("db") } }
                assertEquals(404, gone.status)
                listening.cancelAndJoin()
                assertFalse(cache.toString().contains("three"))
            }
        }
    }

    /** A transport whose first send waits until [release] completes (a slow service). */
    private class Stalling(private val inner: HttpTransport) : HttpTransport {
        val started = CompletableDeferred<Unit>()
        val release = CompletableDeferred<Unit>()
        val sends = AtomicInteger()

        override suspend fun send(request: HttpRequest): HttpResponse {
            if (sends.incrementAndGet() == 1) {
                started.complete(Unit)
                release.await()
            }
            return inner.send(request)
        }

        override suspend fun sleep(millis: Long) = inner.sleep(millis)
    }

    @Test
    fun `a cancelled reader does not cancel the read for the others`() = runBlocking {
        Emulator().use { emulator ->
            client(emulator).call("CreateSecret", """{"name":"db","secret_string":"one"}""")
            val stalling = Stalling(JavaHttpTransport())
            SecretCache(client(emulator, stalling)).use { cache ->
                val first = launch(Dispatchers.Default) { cache.get("db") }
                stalling.started.await()
                val second = async(Dispatchers.Default) { cache.get("db") }
                delay(100) // the second reader waits for the first one's request
                first.cancelAndJoin()
                // The flight was abandoned: the second reader sends it again, and gets the value.
                assertEquals("one", withTimeout(5_000) { second.await() }.secretString)
                assertEquals(3, stalling.sends.get(), "the abandoned stage request, then the stage and the value")
            }
        }
    }

    @Test
    fun `settings out of range are refused naming them`() {
        Emulator().use { emulator ->
            val csms = client(emulator)
            assertEquals("ttl", assertThrows<CsmsException.Validation> { SecretCache(csms, ttl = 0.milliseconds) }.field)
            assertEquals("ttl", assertThrows<CsmsException.Validation> { SecretCache(csms, ttl = (-1).milliseconds) }.field)
            assertEquals("maxEntries", assertThrows<CsmsException.Validation> { SecretCache(csms, maxEntries = 0) }.field)
            assertEquals("maxStale", assertThrows<CsmsException.Validation> { SecretCache(csms, maxStale = (-5).milliseconds) }.field)
            val closed = SecretCache(csms, maxStale = null).apply { close() }
            assertThrows<IllegalStateException> { runBlocking { closed.get("db") } }
        }
    }
}

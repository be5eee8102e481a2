package csms

import java.util.Collections
import java.util.concurrent.ConcurrentHashMap
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * `client.rotate` against the emulator (issue 17), the main scenarios of core/tests/rotation.rs:
 * a clean run, a failing apply then a resumed run, a refused test, the service failing after
 * apply then a second run, alternating users, the host's generator, two rotations at once, and a
 * type CSMS rotates itself.
 */
class RotationTest {
    private val first = """{"username":"app","password":"p0"}"""

    /** A target that keeps one password per user, and every value applied to it. */
    private class Database(vararg users: Pair<String, String>) {
        val passwords = ConcurrentHashMap(mapOf(*users))
        val applied: MutableList<String> = Collections.synchronizedList(mutableListOf())

        fun apply(value: String) {
            val v = CsmsJson.Fields.parse(value)
            passwords[v.string("username")!!] = v.string("password")!!
            applied.add(value)
        }

        fun accepts(value: String): Boolean {
            val v = CsmsJson.Fields.parse(value)
            return passwords[v.string("username")] == v.string("password")
        }
    }

    private fun client(emulator: Emulator) = CsmsClient(emulator.options(), JavaHttpTransport(), 2, 5L)

    private suspend fun stage(c: CsmsClient, name: String, stage: String): String? = try {
        CsmsJson.Fields.parse(c.call("ShowSecretStage", """{"secret_name":"$name","stage_name":"$stage"}"""))
            .model("stage") { it }!!.string("version_id")
    } catch (e: CsmsException.Api) {
        if (e.status == 404) null else throw e
    }

    private suspend fun value(c: CsmsClient, name: String, version: String): String =
        c.showSecretVersion(secretName = name, versionId = version).version!!.secretString!!

    private suspend fun versions(c: CsmsClient, name: String): Int =
        CsmsJson.Fields.parse(c.call("ListSecretVersions", """{"secret_name":"$name"}""")).list("version_metadatas") { it }!!.size

    /** The end state of every rotation: one new version current, the target on it, the old one previous, no pending. */
    private suspend fun checkRotated(c: CsmsClient, name: String, db: Database, user: String = "app") {
        val current = stage(c, name, "SYSCURRENT")!!
        assertNotEquals("v1", current, "rotated")
        assertEquals("v1", stage(c, name, "SYSPREVIOUS"))
        assertNull(stage(c, name, "SYSPENDING"), "no SYSPENDING left")
        assertEquals(2, versions(c, name), "no version created twice")
        val new = value(c, name, current)
        assertTrue(db.accepts(new), "the target has the current value")
        assertEquals(user, CsmsJson.Fields.parse(new).string("username"))
        assertEquals(1, db.applied.toSet().size, "one value applied (maybe twice)")
    }

    @Test
    fun `a clean run creates, applies, tests and finishes`() = runBlocking {
        Emulator().use { emulator ->
            val c = client(emulator)
            c.call("CreateSecret", """{"name":"db","secret_string":${CsmsJson.write(first)}}""")
            val db = Database("app" to "p0")
            val result = c.rotate("db", apply = { new, old -> assertTrue(db.accepts(old)); db.apply(new) }, test = { db.accepts(it) })
            assertEquals(listOf("probe", "create", "apply", "test", "finish"), result.steps)
            assertEquals("v1", result.previousVersionId)
            assertEquals(stage(c, "db", "SYSCURRENT"), result.versionId)
            assertFalse(result.resumed)
            checkRotated(c, "db", db)
        }
    }

    @Test
    fun `a failing apply stops at apply and the next run resumes`() = runBlocking {
        Emulator().use { emulator ->
            val c = client(emulator)
            c.call("CreateSecret", """{"name":"db","secret_string":${CsmsJson.write(first)}}""")
            val db = Database("app" to "p0")
            val e = assertThrows<CsmsException.Rotation> {
                runBlocking { c.rotate("db", apply = { _, _ -> throw IllegalStateException("the database is unreachable") }) }
            }
            assertEquals("apply", e.step)
            // The callback's exception named as such, not as a request that may have reached the server.
            assertTrue(e.message.contains("the apply callback threw java.lang.IllegalStateException: the database is unreachable;"), e.message)
            assertFalse(e.message.contains("password"), "no value in the error: ${e.message}")
            assertEquals("v1", stage(c, "db", "SYSCURRENT"), "unchanged")
            assertEquals("v2", stage(c, "db", "SYSPENDING"), "left for the next run")
            val result = c.rotate("db", apply = { new, _ -> db.apply(new) }, test = { db.accepts(it) })
            assertTrue(result.resumed)
            assertEquals("v2", result.versionId)
            checkRotated(c, "db", db)
        }
    }

    @Test
    fun `a refused test leaves SYSCURRENT unchanged`() = runBlocking {
        Emulator().use { emulator ->
            val c = client(emulator)
            c.call("CreateSecret", """{"name":"db","secret_string":${CsmsJson.write(first)}}""")
            val db = Database("app" to "p0")
            val e = assertThrows<CsmsException.Rotation> {
                runBlocking { c.rotate("db", apply = { new, _ -> db.apply(new) }, test = { false }) }
            }
            assertEquals("test", e.step)
            assertTrue(e.reason.contains("the target did not accept the new value"), e.reason)
            assertEquals("v1", stage(c, "db", "SYSCURRENT"))
            assertEquals("v2", stage(c, "db", "SYSPENDING"))
        }
    }

    @Test
    fun `the service failing after apply, then a second run converges`() = runBlocking {
        Emulator().use { emulator ->
            val c = client(emulator)
            c.call("CreateSecret", """{"name":"db","secret_string":${CsmsJson.write(first)}}""")
            val db = Database("app" to "p0")
            // The service goes down right after the target took the value: the finish fails.
            val e = assertThrows<CsmsException.Api> {
                runBlocking {
                    c.rotate("db", apply = { new, _ ->
                        db.apply(new)
                        assertEquals(200, emulator.post("/_emulator/faults", """{"spec":"503=100%"}"""))
                    })
                }
            }
            assertEquals(503, e.status)
            assertEquals(200, emulator.post("/_emulator/faults", """{"spec":null}"""))
            assertEquals("v1", stage(c, "db", "SYSCURRENT"))
            val result = c.rotate("db", apply = { new, _ -> db.apply(new) })
            assertTrue(result.resumed)
            assertEquals(2, db.applied.size, "applied again, the same value")
            checkRotated(c, "db", db)
        }
    }

    @Test
    fun `alternating users give the new password to the other account`() = runBlocking {
        Emulator().use { emulator ->
            val c = client(emulator)
            c.call("CreateSecret", """{"name":"db","secret_string":${CsmsJson.write(first)}}""")
            val db = Database("app" to "p0", "app_clone" to "c0")
            val result = c.rotate("db", strategy = "alternating-users", apply = { new, _ -> db.apply(new) }, test = { db.accepts(it) })
            assertEquals("v1", result.previousVersionId)
            checkRotated(c, "db", db, user = "app_clone")
            assertTrue(db.accepts(value(c, "db", "v1")), "the previous user still works")
            assertEquals("strategy", assertThrows<CsmsException.Validation> {
                runBlocking { c.rotate("db", strategy = "three-users", apply = { _, _ -> }) }
            }.field)
        }
    }

    @Test
    fun `the host's generator makes the password`() = runBlocking {
        Emulator().use { emulator ->
            val c = client(emulator)
            c.call("CreateSecret", """{"name":"db","secret_string":${CsmsJson.write(first)}}""")
            val db = Database("app" to "p0")
            c.rotate("db", generate = { "generated-by-the-host" }, apply = { new, _ -> db.apply(new) })
            assertEquals("generated-by-the-host", db.passwords["app"])
            checkRotated(c, "db", db)
        }
    }

    @Test
    fun `two rotations at once apply one value`() = runBlocking {
        Emulator().use { emulator ->
            val c = client(emulator)
            repeat(3) { round ->
                val name = "race-$round"
                c.call("CreateSecret", """{"name":"$name","secret_string":${CsmsJson.write(first)}}""")
                val db = Database("app" to "p0")
                val outcomes = (1..2).map {
                    async(Dispatchers.Default) { runCatching { c.rotate(name, apply = { new, _ -> db.apply(new) }) } }
                }.awaitAll()
                assertEquals(1, db.applied.toSet().size, "round $round: $outcomes")
                assertTrue(outcomes.any { it.isSuccess }, "round $round: $outcomes")
                outcomes.mapNotNull { it.exceptionOrNull() }.forEach { assertEquals("create", (it as CsmsException.Rotation).step) }
                assertTrue(db.accepts(value(c, name, stage(c, name, "SYSCURRENT")!!)))
            }
        }
    }

    @Test
    fun `a type CSMS rotates itself runs RotateSecret and waits for its task`() = runBlocking {
        Emulator().use { emulator ->
            val c = client(emulator)
            val config = CsmsJson.write("""{"InstanceId":"i1","SecretSubType":"SingleUser"}""")
            c.call("CreateSecret", """{"name":"rds","secret_string":${CsmsJson.write(first)},"secret_type":"RDS-FG",""" +
                """"rotation_config":$config,"rotation_func_urn":"urn:fss:cn-north-4:p:function:default:rotate"}""")
            val result = c.rotate("rds", apply = { _, _ -> error("CSMS applies it, not the host") })
            assertEquals(listOf("probe", "rotate", "wait"), result.steps)
            assertEquals("v1", result.previousVersionId)
            assertEquals(result.versionId, stage(c, "rds", "SYSCURRENT"))
        }
    }
}

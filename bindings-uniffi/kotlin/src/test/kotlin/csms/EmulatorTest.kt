package csms

import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows

/** End to end against target/debug/csms-emulator, through the default transport. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmulatorTest {
    private val emulator = Emulator()

    @AfterAll
    fun stop() = emulator.close()

    private fun client(sk: String = "SK") = CsmsClient(emulator.options(sk), JavaHttpTransport())

    /** The default transport, running `before` on each request first; retry sleeps are skipped. */
    private fun observing(before: (HttpRequest) -> Unit) = object : HttpTransport {
        val real = JavaHttpTransport()
        override suspend fun send(request: HttpRequest): HttpResponse {
            before(request)
            return real.send(request)
        }
        override suspend fun sleep(millis: Long) {}
    }

    private fun field(json: String, name: String): String? =
        Regex("\"$name\"\\s*:\\s*\"([^\"]*)\"").find(json)?.groupValues?.get(1)

    @Test
    fun rotationFlowByName() = runBlocking {
        val c = client()
        val name = "kotlin-rotation-${System.nanoTime()}"
        val created = c.call("CreateSecret", """{"name":"$name","secret_string":"first-value"}""")
        assertEquals(name, field(created, "name"))
        val updated = c.call("UpdateSecret", """{"secret_name":"$name","description":"kotlin"}""")
        assertEquals("kotlin", field(updated, "description"))
        val v2 = c.call("CreateSecretVersion", """{"secret_name":"$name","secret_string":"second"}""")
        assertEquals("v2", field(v2, "id"))
        val latest = c.call("ShowSecretVersion", """{"secret_name":"$name","version_id":"latest"}""")
        assertEquals("second", field(latest, "secret_string"))
        assertTrue(latest.contains("SYSCURRENT"))
        val previous = c.call("ShowSecretStage", """{"secret_name":"$name","stage_name":"SYSPREVIOUS"}""")
        assertEquals("v1", field(previous, "version_id"))
        val versions = c.call("ListSecretVersions", """{"secret_name":"$name"}""")
        assertEquals(2, Regex("\"id\"\\s*:").findAll(versions).count(), versions)
        // A COMMON secret has no rotation function: the emulator refuses, with a request id.
        val rotate = assertThrows<CsmsException.Api> { runBlocking { c.call("RotateSecret", """{"secret_name":"$name"}""") } }
        assertEquals(400, rotate.status)
        assertTrue(rotate.requestId.isNotEmpty())
        // Concurrent calls from coroutines share the client and the transport.
        val shown = (1..8).map { async { c.call("ShowSecret", """{"secret_name":"$name"}""") } }.awaitAll()
        assertTrue(shown.all { it == shown[0] })
        c.call("DeleteSecret", """{"secret_name":"$name"}""")
        val gone = assertThrows<CsmsException.Api> { runBlocking { c.call("ShowSecret", """{"secret_name":"$name"}""") } }
        assertEquals(404, gone.status)
    }

    @Test
    fun rotationFlowTyped() = runBlocking {
        val c = client()
        val name = "kotlin-typed-rotation-${System.nanoTime()}"
        val created = c.createSecret(name = name, secretString = "first-value", description = "typed \"quoted\"")
        assertEquals(name, created.secret!!.name)
        assertEquals("typed \"quoted\"", created.secret!!.description)
        assertEquals("v1", c.showSecretStage(secretName = name, stageName = "SYSCURRENT").stage!!.versionId)
        c.batchCreateOrDeleteTags(secretId = created.secret!!.id!!, tags = listOf(TagItem(key = "env", value = "test")), action = TagAction.CREATE)
        assertEquals("kotlin", c.updateSecret(secretName = name, description = "kotlin").secret!!.description)
        val v2 = c.createSecretVersion(secretName = name, secretString = "second")
        assertEquals("v2", v2.versionMetadata!!.id)
        val latest = c.showSecretVersion(secretName = name, versionId = "latest").version!!
        assertEquals("second", latest.secretString)
        assertTrue("SYSCURRENT" in latest.versionMetadata!!.versionStages!!)
        // Secret values never show in toString(); the other members do.
        assertFalse(latest.toString().contains("second"), latest.toString())
        assertTrue(latest.toString().contains("secretString=***") && latest.toString().contains("SYSCURRENT"), latest.toString())
        assertEquals("v1", c.showSecretStage(secretName = name, stageName = "SYSPREVIOUS").stage!!.versionId)
        val versions = c.listSecretVersions(secretName = name)
        assertEquals(listOf("v1", "v2"), versions.versionMetadatas!!.map { it.id!! }.sorted())
        c.deleteSecret(secretName = name)
        val gone = assertThrows<CsmsException.Api> { runBlocking { c.showSecret(secretName = name) } }
        assertEquals(404, gone.status)
    }

    @Test
    fun enumsGoOnTheWireAsTheirValues() = runBlocking {
        val bodies = ArrayList<String>()
        val c = CsmsClient(emulator.options(), observing { bodies.add(String(it.body, Charsets.UTF_8)) })
        val name = "kotlin-enum-${System.nanoTime()}"
        // The core checks the enum rule before sending: only the wire value passes.
        val created = c.createSecret(name = name, secretString = "{}", secretType = SecretType.GAUSS_DB_FG)
        assertTrue(bodies.last().contains("\"secret_type\":\"GaussDB-FG\""), bodies.last())
        assertEquals("GaussDB-FG", created.secret!!.secretType)
        val event = c.createSecretEvent(
            name = "$name-event",
            eventTypes = listOf(EventType.SECRET_ROTATED, EventType.SECRET_VERSION_CREATED),
            state = EventState.DISABLED,
            notification = Notification(targetType = "SMN", targetId = "urn:smn:x", targetName = "topic"),
        ).event!!
        assertTrue(bodies.last().contains("\"event_types\":[\"SECRET_ROTATED\",\"SECRET_VERSION_CREATED\"]"), bodies.last())
        assertEquals("DISABLED", event.state)
        assertEquals(listOf("SECRET_ROTATED", "SECRET_VERSION_CREATED"), event.eventTypes)
        assertEquals("ENABLED", c.updateSecretEvent(eventName = "$name-event", state = EventState.ENABLED).event!!.state)
        assertEquals("ENABLED", c.showSecretEvent(eventName = "$name-event").event!!.state)
        // Models with an enum member write and read its wire value.
        val match = TagMatches(key = TagMatchKey.RESOURCE_NAME, value = "x")
        assertEquals("""{"key":"resource_name","value":"x"}""", CsmsJson.write(match))
        assertEquals(match, TagMatches.from(CsmsJson.Fields.parse(CsmsJson.write(match))))
        assertEquals(SecretType.RDS_FG, SecretType.of("RDS-FG"))
        assertThrows<IllegalArgumentException> { SecretType.of("rds-fg") }
        c.deleteSecretEvent(eventName = "$name-event")
        c.deleteSecret(secretName = name)
    }

    @Test
    fun resultsDecodeFromJson() {
        val r = ShowSecretVersionResult.fromJson(
            """{"version":{"version_metadata":{"id":"v3","create_time":1700000000000,"version_stages":["A","B"]},"secret_string":"s3cr3t"}}""",
        )
        assertEquals("v3", r.version!!.versionMetadata!!.id)
        assertEquals(1700000000000L, r.version!!.versionMetadata!!.createTime)
        assertEquals(listOf("A", "B"), r.version!!.versionMetadata!!.versionStages)
        assertEquals("s3cr3t", r.version!!.secretString)
        assertNull(r.version!!.secretBinary)
        assertFalse(r.toString().contains("s3cr3t"), r.toString())
        // A member of another type is read as the core reads it: coerced where its meaning is
        // not in doubt, else left out; the rest of the result is kept.
        val coerced = ShowSecretVersionResult.fromJson(
            """{"version":{"secret_string":"s3cr3t","version_metadata":{"create_time":"1700000000000","expire_time":"soon","version_stages":"SYSCURRENT","id":7}}}""",
        )
        assertEquals("s3cr3t", coerced.version!!.secretString)
        val meta = coerced.version!!.versionMetadata!!
        assertEquals(1700000000000L, meta.createTime)
        assertNull(meta.expireTime)
        assertEquals(listOf("SYSCURRENT"), meta.versionStages)
        assertEquals("7", meta.id)
        val items = ShowSecretVersionResult.fromJson("""{"version":{"version_metadata":{"version_stages":["A",2,null,[]]}}}""")
        assertEquals(listOf("A", "2"), items.version!!.versionMetadata!!.versionStages)
        val tags = ListSecretTagsResult.fromJson("""{"tags":[{"key":"k"},{"key":[]},"x"]}""")
        assertEquals(listOf(TagItem(key = "k"), TagItem()), tags.tags)
        val model = ShowSecretVersionResult.fromJson("""{"version":"s3cr3t"}""")
        assertNull(model.version)
        val flags = ShowSecretsConfigResult.fromJson("""{"checking_secret_strength":"False"}""")
        assertEquals(false, flags.checkingSecretStrength)
        assertEquals(5L, CsmsJson.longOf(5.0))
        assertNull(CsmsJson.longOf(5.5))
        assertNull(CsmsJson.longOf(true))
        assertEquals(2.5, CsmsJson.doubleOf(" 2.5 "))
        assertNull(CsmsJson.doubleOf("NaN"))
        assertNull(CsmsJson.doubleOf("0x10"))
        assertNull(CsmsJson.booleanOf("yes"))
        val array = assertThrows<CsmsException.Decode> { ListSecretTagsResult.fromJson("""["s3cr3t"]""") }
        assertFalse(array.reason.contains("s3cr3t"), array.reason)
        val notJson = assertThrows<CsmsException.Decode> { ListSecretTagsResult.fromJson("[") }
        assertTrue(notJson.reason.startsWith("ListSecretTags result: "), notJson.reason)
    }

    @Test
    fun apiErrorHasTheCoresMessage() {
        val e = assertThrows<CsmsException.Api> {
            runBlocking { client().call("ShowSecret", """{"secret_name":"no-such-secret-kotlin"}""") }
        }
        assertEquals(404, e.status)
        assertEquals("CSMS.0106", e.errorCode)
        assertTrue(e.requestId.isNotEmpty(), "no request id in $e")
        assertNull(e.notRetried)
        assertEquals("CSMS error 404 CSMS.0106: ${e.errorMsg} (request id ${e.requestId})", e.message)
        val denied = assertThrows<CsmsException.Api> { runBlocking { client(sk = "WRONG").call("ListSecrets", "{}") } }
        assertEquals(401, denied.status)
        assertTrue(denied.message.startsWith("CSMS error 401 "), denied.message)
    }

    @Test
    fun validationErrorNamesItsField() {
        val e = assertThrows<CsmsException.Validation> {
            runBlocking { client().call("ShowSecret", """{"secret_name":""}""") }
        }
        assertEquals("secret_name", e.field)
        assertEquals("invalid `secret_name`: ${e.reason}", e.message)
        val noTransport = assertThrows<CsmsException.Validation> {
            runBlocking { CsmsClient(emulator.options()).call("ListSecrets", "{}") }
        }
        assertEquals("transport", noTransport.field)
        val badOptions = assertThrows<CsmsException.Validation> {
            CsmsClient("""{"endpoint":"http://127.0.0.1:1","project_id":"p","credentials":{"ak":"AK","sk":5}}""")
        }
        assertEquals("credentials.sk", badOptions.field)
        val unknown = assertThrows<CsmsException.Validation> { CsmsClient("""{"regoin":"cn-north-4"}""") }
        assertEquals("regoin", unknown.field)
        assertEquals("invalid `regoin`: unknown option", unknown.message)
    }

    @Test
    fun transportErrorMessagesSayWhatHappened() {
        val withheld = CsmsException.Transport("reset", true, "RotateSecret is not idempotent")
        assertEquals("transport failure: reset (the request may have reached the server); not retried: RotateSecret is not idempotent", withheld.message)
        assertEquals("transport failure: refused", CsmsException.Transport("refused", false, null).message)
    }

    @Test
    fun aRustPanicReachesKotlinAsAnInternalException() {
        for (async in listOf(false, true)) {
            val e = assertThrows<CsmsException.Internal> { runBlocking { testOnlyPanic("boom $async", async) } }
            assertEquals("panic: boom $async", e.reason)
            assertTrue(e.message.startsWith("internal error in csms"), e.message)
        }
        // The library is still usable after a panic.
        assertTrue(isOperation("ShowSecret"))
    }

    @Test
    fun retriesAndSignsEachAttemptAnew() = runBlocking {
        val seen = ArrayList<String>()
        val flaky = observing { request ->
            seen.add(request.headers.first { it.name == "Authorization" }.value)
            if (seen.size < 3) throw CsmsException.Transport("refused (test)", false, null)
        }
        CsmsClient(emulator.options(), flaky).call("ListSecrets", "{}")
        assertEquals(3, seen.size)
    }
}

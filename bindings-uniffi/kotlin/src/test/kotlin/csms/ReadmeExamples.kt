package csms

import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The Kotlin examples of README.md and docs/kotlin.md, as written there (compiled, and run where no network is needed). */
object ReadmeExamples {
    suspend fun quickStart() {
        CsmsClient(
            region = "cn-north-4",
            projectId = "...",
            credentials = ProvidedCredentials(ak = "...", sk = "..."),   // or EnvCredentials(), defaultCredentials(), ...
            timeout = 20.seconds,
        ).use { client ->
            client.createSecret(name = "db", secretString = "s3cr3t")
            val latest = client.showSecretVersion(secretName = "db", versionId = "latest")
            println(latest.version?.secretString)   // s3cr3t
        }   // closes the client and the transport it made
    }

    suspend fun byName() {
        val client = CsmsClient("""{"region":"cn-north-4","project_id":"...","credentials":{"ak":"...","sk":"..."}}""", JavaHttpTransport())
        val latest = client.call("ShowSecretVersion", """{"secret_name":"db","version_id":"latest"}""")
        try {
            client.showSecret(secretName = "db")
        } catch (e: CsmsException.Api) {
            if (e.status == 404) println("no such secret (request id ${e.requestId})")
        } catch (e: CsmsException.Transport) {
            if (e.timedOut) println("no answer in time (it may have been applied: ${e.maybeSent})")
        }
        println(latest)
    }

    suspend fun perCall(client: CsmsClient) {
        client.withOptions(timeout = 5.seconds, maxAttempts = 5, deadline = 20.seconds).use { patient -> patient.showSecret(secretName = "db") }
    }

    suspend fun pagination(client: CsmsClient) {
        client.listSecretsPages(limit = "50").collect { page -> println(page.secrets?.size) }   // ListSecretsResult each
        client.allSecrets(limit = "50").collect { secret -> println(secret.name) }             // Secret each, every page
        client.pages("ListSecretVersions", """{"secret_name":"db"}""").collect { json -> println(json) }  // any List operation, by name
    }

    suspend fun credentials() {
        // Keys from the environment (HUAWEICLOUD_SDK_AK, _SK, CSMS_ENDPOINT, HUAWEICLOUD_SDK_PROJECT_ID), else the profile or the instance.
        val client = CsmsClient.fromEnv(transport = JavaHttpTransport())
        // Temporary keys from the instance metadata service, refreshed before they expire.
        val onEcs = CsmsClient("""{"region":"cn-north-4","project_id":"..."}""", JavaHttpTransport(), credentials = MetadataCredentials())
        // Keys from your own vault.
        val vault = FunctionCredentials("vault") {
            ProvidedCredentials(ak = "...", sk = "...", securityToken = "...", expiresAt = java.time.Instant.now().plusSeconds(900))
        }
        try {
            CsmsClient("""{"region":"cn-north-4","project_id":"..."}""", JavaHttpTransport(), credentials = vault).showSecret(secretName = "db")
        } catch (e: CsmsException.Credentials) {
            println("${e.provider}: ${e.reason}")   // vault: it threw ...
        }
        println(listOf(client, onEcs))
    }

    private fun connect(password: String?) {
        if (password == null) throw java.sql.SQLException("refused")
    }

    suspend fun cache(client: CsmsClient, scope: kotlinx.coroutines.CoroutineScope) {
        val cache = SecretCache(client, ttl = 5.minutes)
        val password = cache.getSecretString("db-password")          // cached; refreshed after the TTL
        scope.launch { cache.changes.collect { println("${it.secretName}: ${it.stage} moved to ${it.to}") } }
        try {
            connect(password)
        } catch (e: java.sql.SQLException) {
            connect(cache.refresh("db-password").secretString)       // the value stopped working: ask now
        }
    }

    /** A stand-in for the README's database. */
    object Database {
        suspend fun alterPassword(new: String, old: String) = Unit
        suspend fun canLogIn(password: String) = password.isNotEmpty()
    }

    suspend fun rotation(client: CsmsClient) {
        val database = Database
        val result = client.rotate(
            "db-password",
            apply = { new, old -> database.alterPassword(new, old) },   // idempotent
            test = { new -> database.canLogIn(new) },
        )
        println("now on ${result.versionId} (resumed: ${result.resumed}, steps ${result.steps})")
    }

    // A transport of your own: throw CsmsException.Transport when no response came.
    class OfflineTransport : HttpTransport {
        override suspend fun send(request: HttpRequest): HttpResponse =
            throw CsmsException.Transport("offline", false)   // never sent: retried, even for RotateSecret
        override suspend fun sleep(millis: Long) = kotlinx.coroutines.delay(millis)
    }
}

class ReadmeExamplesTest {
    @Test
    fun theOwnTransportExampleWorks() = runBlocking {
        val client = CsmsClient("""{"region":"cn-north-4","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}""",
            ReadmeExamples.OfflineTransport(), backoffBaseMillis = 1L)
        val e = assertThrows<CsmsException.Transport> { runBlocking { client.rotateSecret(secretName = "db") } }
        assertEquals("offline", e.reason)
        assertFalse(e.maybeSent)
        assertFalse(e.timedOut)
    }
}

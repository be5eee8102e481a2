package csms

import kotlinx.coroutines.flow.count
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Pagination as flows: pages and items of `ListSecrets`, through the core's `Paginator`. */
class PaginationTest {
    @Test
    fun `five secrets in pages of two, and one by one`() = runBlocking {
        Emulator().use { emulator ->
            CsmsClient(endpoint = emulator.endpoint, projectId = "PID", credentials = ProvidedCredentials(ak = "AK", sk = "SK")).use { client ->
                for (i in 1..5) client.createSecret(name = "s$i", secretString = "v$i")
                val sizes = client.listSecretsPages(limit = "2").map { it.secrets?.size }.toList()
                assertEquals(listOf(2, 2, 1), sizes)
                assertEquals(3L, emulator.operationCount("ListSecrets"))
                val names = client.allSecrets(limit = "2").map { it.name }.toList()
                assertEquals((1..5).map { "s$it" }.toSet(), names.toSet())
                assertEquals(5, names.size)
                // Cold and lazy: the first secret needs the first page only.
                client.allSecrets(limit = "2").first()
                assertEquals(7L, emulator.operationCount("ListSecrets"))
                // By name, JSON in and out.
                assertEquals(3, client.pages("ListSecrets", """{"limit":"2"}""").count())
                val e = assertThrows<CsmsException.Validation> { runBlocking { client.pages("ShowSecret").count() } }
                assertEquals("operation", e.field)
            }
        }
    }
}

package csms

import java.math.BigDecimal
import java.math.BigInteger
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Typed inputs that cannot be JSON are CsmsException.Validation naming the member. */
class TypedInputsTest {
    private val options = """{"region":"cn-north-4","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}"""

    /** Never reached by a refused input; records what was sent otherwise. */
    private class Recording : HttpTransport {
        val bodies = ArrayList<String>()
        override suspend fun send(request: HttpRequest): HttpResponse {
            bodies.add(String(request.body))
            return HttpResponse(200, listOf(), "{}".toByteArray())
        }
        override suspend fun sleep(millis: Long) {}
    }

    private fun refused(expectField: String, block: suspend CsmsClient.() -> Unit) {
        val t = Recording()
        val e = assertThrows<CsmsException.Validation> { runBlocking { CsmsClient(options, t).block() } }
        assertEquals(expectField, e.field, e.reason)
        assertTrue(t.bodies.isEmpty())
    }

    @Test
    fun unwritableValuesNameTheirMember() {
        refused("data.n") { checkSecrets(type = "x", data = mapOf("n" to Double.NaN)) }
        refused("data.n") { checkSecrets(type = "x", data = mapOf("n" to Float.POSITIVE_INFINITY)) }
        refused("data.list[1]") { checkSecrets(type = "x", data = mapOf("list" to listOf(1, Double.NEGATIVE_INFINITY))) }
        refused("data.big") { checkSecrets(type = "x", data = mapOf("big" to BigInteger("123456789012345678901234567890"))) }
        refused("data.o") { checkSecrets(type = "x", data = mapOf("o" to Any())) }
        refused("secret_name") { showSecret(secretName = "db\uD800") }
        refused("secret_string") { createSecret(name = "db", secretString = "x\uDC00y") }
        refused("tags[0].value") { batchCreateOrDeleteTags(secretId = "id", tags = listOf(TagItem(key = "k", value = "\uD83D")), action = TagAction.CREATE) }
    }

    @Test
    fun bigAndUnsignedNumbersAndArraysAreWritten() = runBlocking {
        val t = Recording()
        CsmsClient(options, t).checkSecrets(type = "x", data = mapOf(
            "d" to BigDecimal("12.50"), "i" to BigInteger("-9223372036854775808"), "u" to 4_000_000_000u,
            "ul" to ULong.MAX_VALUE, "a" to arrayOf(1, "two"), "ia" to intArrayOf(3, 4), "emoji" to "\uD83D\uDE00"))
        assertEquals(1, t.bodies.size)
        val body = t.bodies[0]
        for (part in listOf("\"d\":12.5", "\"i\":-9223372036854775808", "\"u\":4000000000",
                "\"ul\":18446744073709551615", "\"a\":[1,\"two\"]", "\"ia\":[3,4]", "\"emoji\":\"\uD83D\uDE00\"")) {
            assertTrue(body.contains(part), "$part not in $body")
        }
    }
}

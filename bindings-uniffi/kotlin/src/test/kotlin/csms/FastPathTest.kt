package csms

import java.nio.charset.CharacterCodingException
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The fast path's own encoding of requests (FastCall.kt's `Wire`) gives what uniffi's converters give. */
class FastPathTest {
    private val url = "https://csms.example.com/v1/p/secrets"

    @Test
    fun `a lone surrogate in a header is refused as by uniffi's encoder, not sent as a question mark`() {
        val request = HttpRequest("GET", url, listOf(Header("X-Note", "a\uD800b")), ByteArray(0))
        assertThrows<CharacterCodingException> { signRequest(request, "AK", "SK", at = "20240806T101010Z") }
    }

    @Test
    fun `non-ASCII and question marks cross unchanged`() {
        val request = HttpRequest("GET", "$url?q=a?b", listOf(Header("X-Note", "caf\u00e9 \uD83D\uDE00 ?")), ByteArray(0))
        val signed = signRequest(request, "AK", "SK", at = "20240806T101010Z")
        assertEquals("$url?q=a?b", signed.url)
        assertEquals("caf\u00e9 \uD83D\uDE00 ?", signed.headers.first { it.name == "X-Note" }.value)
        assertEquals(null, verifyRequest(signed, "AK", "SK"))
    }
}

package csms

import java.io.File
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** Runs every conformance vector (tests/vectors/FORMAT.md) through the Kotlin binding. */
class ConformanceTest {
    private fun root() = File(System.getProperty("csms.root") ?: "../..")

    private fun files(): List<File> {
        val out = root().resolve("tests/vectors").listFiles { f -> f.name.endsWith(".json") }!!.sortedBy { it.name }.toMutableList()
        System.getenv("CSMS_EXTRA_VECTORS")?.takeIf { it.isNotEmpty() }?.let { dir ->
            File(dir).listFiles { f -> f.name.endsWith(".json") }?.sortedBy { it.name }?.let { out.addAll(it) }
        }
        return out
    }

    @Suppress("UNCHECKED_CAST")
    private fun obj(v: Any?) = (v as? Map<String, Any?>) ?: emptyMap()
    private fun text(v: Any?, k: String) = obj(v)[k] as? String ?: ""

    private fun headersOf(v: Any?) = obj(v).map { (k, x) -> Header(k, x as String) }

    private fun subset(expected: Any?, actual: Any?): Boolean = when {
        expected is Map<*, *> && actual is Map<*, *> -> expected.all { (k, v) -> actual.containsKey(k) && subset(v, actual[k]) }
        expected is Number && actual is Number -> expected.toDouble() == actual.toDouble()
        expected is List<*> && actual is List<*> -> expected.size == actual.size && expected.indices.all { equal(expected[it], actual[it]) }
        else -> expected == actual
    }

    private fun equal(a: Any?, b: Any?): Boolean = when {
        a is Map<*, *> && b is Map<*, *> -> a.size == b.size && subset(a, b)
        else -> subset(a, b)
    }

    private fun checkHeaders(headers: List<Header>, expected: Any?) {
        for ((name, want) in obj(expected)) {
            val got = headers.firstOrNull { it.name.equals(name, ignoreCase = true) }?.value
                ?: throw AssertionError("header $name missing")
            val ok = if (name.equals("Content-Type", true)) got.substringBefore(';').trim().equals((want as String).substringBefore(';').trim(), true) else got == want
            if (!ok) throw AssertionError("header $name: got $got, want $want")
        }
    }

    private fun errorJson(e: CsmsException): Map<String, Any?> = when (e) {
        is CsmsException.Validation -> mapOf("kind" to "validation", "field" to e.field)
        is CsmsException.Api -> mapOf("kind" to "api", "status" to e.status.toLong(), "error_code" to e.errorCode, "error_msg" to e.errorMsg, "request_id" to e.requestId)
        is CsmsException.Decode -> mapOf("kind" to "decode")
        is CsmsException.Transport -> mapOf("kind" to "transport")
        is CsmsException.Credentials -> mapOf("kind" to "credentials", "provider" to e.provider)
        is CsmsException.Rotation -> mapOf("kind" to "rotation", "step" to e.step)
        is CsmsException.Internal -> mapOf("kind" to "internal")
    }

    private fun checkError(e: CsmsException, expected: Any?) {
        val actual = errorJson(e)
        if (!subset(expected, actual)) throw AssertionError("error ${CsmsJson.write(actual)} (${e.message}) does not match ${CsmsJson.write(expected)}")
    }

    private fun runSign(v: Map<String, Any?>) {
        val c = v["credentials"]
        val r = v["request"]
        val derived = v["derived"]
        val signed = signRequest(
            HttpRequest(text(r, "method"), text(r, "url"), headersOf(obj(r)["headers"]), text(r, "body").toByteArray()),
            text(c, "ak"), text(c, "sk"), obj(c)["security_token"] as String?, v["algorithm"] as String?,
            derived?.let { text(it, "region_id") }, derived?.let { text(it, "service") }, text(v, "at"),
        )
        val want = text(v["expect"], "authorization")
        val got = signed.headers.firstOrNull { it.name.equals("Authorization", true) }?.value ?: ""
        if (want.isNotEmpty() && got != want) throw AssertionError("authorization: got $got, want $want")
        checkHeaders(signed.headers, obj(v["expect"])["headers"])
    }

    private fun runBuild(v: Map<String, Any?>) {
        val expect = obj(v["expect"])
        val client = CsmsClient(CsmsJson.write(v["config"]))
        val request = try {
            client.buildRequest(text(v, "operation"), CsmsJson.write(v["input"] ?: emptyMap<String, Any?>()), text(v, "at"))
        } catch (e: CsmsException) {
            if (expect.containsKey("error")) return checkError(e, expect["error"])
            throw AssertionError("refused: ${e.message}")
        }
        if (expect.containsKey("error")) throw AssertionError("built ${request.method} ${request.url} instead of refusing")
        if (request.method != expect["method"]) throw AssertionError("method: got ${request.method}, want ${expect["method"]}")
        if (request.url != expect["url"]) throw AssertionError("url: got ${request.url}, want ${expect["url"]}")
        checkHeaders(request.headers, expect["headers"])
        val body = if (request.body.isEmpty()) null else CsmsJson.parse(String(request.body, Charsets.UTF_8))
        if (!equal(expect["body_json"], body)) throw AssertionError("body: got ${CsmsJson.write(body)}, want ${CsmsJson.write(expect["body_json"])}")
        val creds = obj(obj(v["config"])["credentials"])
        if (creds.containsKey("sk")) {
            verifyRequest(request, text(creds, "ak"), text(creds, "sk"), creds["security_token"] as String?)
                ?.let { throw AssertionError("signature does not verify: $it") }
        }
    }

    private fun runParse(v: Map<String, Any?>) {
        val r = v["response"]
        val expect = obj(v["expect"])
        val response = HttpResponse((obj(r)["status"] as Number).toInt(), headersOf(obj(r)["headers"]), text(r, "body").toByteArray())
        // Any client will do: parsing needs no credentials.
        val client = CsmsClient("""{"endpoint":"https://csms.invalid","project_id":"p","credentials":{"ak":"a","sk":"s"}}""")
        val result = try {
            client.parseResponse(text(v, "operation"), response)
        } catch (e: CsmsException) {
            if (expect.containsKey("error")) return checkError(e, expect["error"])
            throw AssertionError("failed: ${e.message}")
        }
        if (expect.containsKey("error")) throw AssertionError("parsed as $result instead of failing")
        if (!subset(expect["ok"], CsmsJson.parse(result))) throw AssertionError("result $result does not contain ${CsmsJson.write(expect["ok"])}")
    }

    @Test
    fun everyVectorPasses() {
        var passed = 0
        var failed = 0
        for (file in files()) {
            @Suppress("UNCHECKED_CAST")
            val vectors = obj(CsmsJson.parse(file.readText()))["vectors"] as List<Map<String, Any?>>
            for (v in vectors) {
                try {
                    when (val kind = v["kind"]) {
                        "sign" -> runSign(v)
                        "build" -> runBuild(v)
                        "parse" -> runParse(v)
                        else -> throw AssertionError("unknown kind $kind")
                    }
                    passed++
                } catch (e: Throwable) {
                    failed++
                    println("FAIL ${v["id"]} (${file.name}): ${e.message}")
                }
            }
        }
        println("conformance: $passed passed, $failed failed")
        assertTrue(passed > 0, "no vector found")
        assertTrue(failed == 0, "$failed vectors failed")
    }
}

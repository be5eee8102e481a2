package csms.bench

import csms.*

private inline fun t(name: String, n: Int, body: () -> Unit) {
    repeat(n) { body() }
    val s = System.nanoTime()
    repeat(n) { body() }
    println("%-30s %8.2f µs".format(name, (System.nanoTime() - s) / 1000.0 / n))
}

fun main() {
    val req = HttpRequest("GET", "http://127.0.0.1:1/v1/PID/secrets/db/versions/latest", listOf(Header("Content-Type", "application/json")), ByteArray(0))
    t("defaultConnectTimeoutMillis", 200000) { defaultConnectTimeoutMillis() }
    t("isOperation", 200000) { isOperation("ShowSecret") }
    t("operationNames", 20000) { operationNames() }
    t("verifyRequest", 20000) { verifyRequest(req, "AK", "SK") }
    t("signRequest", 20000) { signRequest(req, "AK", "SK") }
    t("signRequest at", 20000) { signRequest(req, "AK", "SK", at = "20260101T000000Z") }
}

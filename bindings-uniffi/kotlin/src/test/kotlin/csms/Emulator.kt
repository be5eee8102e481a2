package csms

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpResponse.BodyHandlers

/**
 * A `csms-emulator` process (target/debug/csms-emulator, or `$CSMS_EMULATOR`) on a free port
 * with the key AK/SK of project PID; `args` are extra flags such as `--faults ...`.
 */
class Emulator(vararg args: String) : AutoCloseable {
    private val process: Process
    /** `http://127.0.0.1:PORT` */
    val endpoint: String

    init {
        val root = File(System.getProperty("csms.root") ?: "../..")
        val exe = System.getenv("CSMS_EMULATOR") ?: root.resolve("target/debug/csms-emulator").path
        val command = listOf(exe, "--listen", "127.0.0.1:0", "--ak", "AK", "--sk", "SK", "--project-id", "PID") + args
        process = ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val line = BufferedReader(InputStreamReader(process.inputStream)).readLine() ?: error("the emulator printed nothing")
        require(line.startsWith("listening on ")) { "unexpected first line: $line" }
        endpoint = line.removePrefix("listening on ").trim()
    }

    /** Client options for this emulator (`sk` to sign with a wrong key). */
    fun options(sk: String = "SK") = """{"endpoint":"$endpoint","project_id":"PID","credentials":{"ak":"AK","sk":"$sk"}}"""

    /** An emulator-only endpoint (`/_emulator/counts`, `/_emulator/faults`), parsed. */
    fun get(path: String): CsmsJson.Fields {
        val request = java.net.http.HttpRequest.newBuilder(URI.create(endpoint + path)).build()
        return CsmsJson.Fields.parse(HttpClient.newHttpClient().send(request, BodyHandlers.ofString()).body())
    }

    /** POSTs `json` to an emulator-only endpoint (`/_emulator/clock`); returns the status. */
    fun post(path: String, json: String): Int {
        val request = java.net.http.HttpRequest.newBuilder(URI.create(endpoint + path))
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json").build()
        return HttpClient.newHttpClient().send(request, BodyHandlers.ofString()).statusCode()
    }

    /** How many requests each operation received (`operations` of GET /_emulator/counts; 0 for none). */
    fun operationCount(name: String): Long = get("/_emulator/counts").model("operations") { it }?.long(name) ?: 0L

    /** How many requests reached the CSMS paths so far (GET /_emulator/faults). */
    fun requests(): Long = get("/_emulator/faults").long("requests")!!

    /** Applied RotateSecret and CreateSecretVersion calls of `secret` (GET /_emulator/counts). */
    fun applied(secret: String): Pair<Long, Long> {
        val row = get("/_emulator/counts").list("secrets") { CsmsJson.Fields.of(it) }!!
            .firstOrNull { it.string("secret_name") == secret } ?: return 0L to 0L
        return row.long("rotate_secret")!! to row.long("create_secret_version")!!
    }

    override fun close() {
        process.destroy()
    }
}

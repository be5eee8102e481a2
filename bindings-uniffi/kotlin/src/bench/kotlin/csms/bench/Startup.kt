package csms.bench

import com.huaweicloud.sdk.core.auth.BasicCredentials
import com.huaweicloud.sdk.csms.v1.model.ShowSecretVersionRequest
import csms.CsmsClient
import csms.Emulator
import csms.ProvidedCredentials
import csms.createSecret
import csms.showSecretVersion
import java.io.File
import java.lang.management.ManagementFactory
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import com.huaweicloud.sdk.csms.v1.CsmsClient as OfficialClient

/*
 * Startup to the first call, and the runtime footprint, of the Kotlin package beside Huawei's
 * official Java SDK (huaweicloud-sdk-csms 3.1.143), issue 21. Run by
 * `bindings-uniffi/run-bench --startup [N]`, which resolves each side's runtime classpath and
 * passes it here as system properties:
 *
 * - `csms.startup.ours.cp`: the package's jar as release/build makes it, for this machine only
 *   (its classes, and the release native library in JNA's resource layout, which JNA extracts
 *   at startup as for any user of the jar), and its runtime dependencies;
 * - `csms.startup.official.cp`: the official SDK's runtime dependencies, as a project depending
 *   on it alone resolves them;
 * - `csms.startup.main.cp`: where this file's classes are (not counted in either footprint);
 * - `csms.startup.runs`: N, the processes of each side that are measured.
 *
 * [main] starts the emulator once, then one fresh JVM of each side, unmeasured (the jars in the
 * page cache), then N of each interleaved (ours first, then official first in the next round).
 * Each makes ONE ShowSecretVersion call ([StartupOurs], [StartupOfficial]) and prints the time
 * from its JVM's start (RuntimeMXBean) to the call's answer and its resident memory then
 * (VmRSS); [main] times each process from outside, start to exit. The figures are medians; the
 * last line is `startup: ours X ms, official Y ms; classpath: ours A MB, official B MB; rss: ours
 * C MB, official D MB` (startup: from outside; MB: 10^6 bytes).
 */

private const val PROJECT = "PID"
private const val AK = "AK"
private const val SK = "SK"
private const val SECRET = "db"
private const val VALUE = "s3cret-value"

/** One child process's figures: wall time from outside, from inside, and VmRSS. */
private class Sample(val outsideMillis: Double, val insideMillis: Double, val rssKiB: Long)

/**
 * What a child prints. Not top-level functions: those are StartupKt's, whose [main] names both
 * SDKs, and a child has only one of them on its classpath.
 */
private object ChildReport {
    /** The line a child prints: the time from its JVM's start to [answered], and its resident memory. */
    fun print(answered: Long) {
        val startedAt = ManagementFactory.getRuntimeMXBean().startTime
        println("startup-sample ${answered - startedAt} ${residentKiB()}")
    }

    /** VmRSS of this process in KiB (Linux), else the heap in use. */
    private fun residentKiB(): Long {
        val status = File("/proc/self/status")
        if (status.exists()) {
            status.readLines().firstOrNull { it.startsWith("VmRSS:") }?.let { line ->
                return line.removePrefix("VmRSS:").trim().removeSuffix("kB").trim().toLong()
            }
        }
        val runtime = Runtime.getRuntime()
        return (runtime.totalMemory() - runtime.freeMemory()) / 1024
    }
}

/** A fresh JVM of the Kotlin package: its typed client on the default transport, one call. */
object StartupOurs {
    /** `args[0]`: the emulator's endpoint. */
    @JvmStatic
    fun main(args: Array<String>) {
        val client = CsmsClient(endpoint = args[0], projectId = PROJECT, credentials = ProvidedCredentials(ak = AK, sk = SK))
        val result = runBlocking { client.showSecretVersion(secretName = SECRET, versionId = "latest") }
        val answered = System.currentTimeMillis()
        check(result.version?.secretString == VALUE) { "ShowSecretVersion answered no or another value" }
        ChildReport.print(answered)
        client.close()
    }
}

/** A fresh JVM of the official Java SDK: its `CsmsClient` (OkHttp), one call. */
object StartupOfficial {
    /** `args[0]`: the emulator's endpoint. */
    @JvmStatic
    fun main(args: Array<String>) {
        val credentials = BasicCredentials().withAk(AK).withSk(SK).withProjectId(PROJECT)
        val client = OfficialClient.newBuilder().withCredential(credentials)
            .withEndpoints(java.util.List.of(args[0])).build()
        val response = client.showSecretVersion(ShowSecretVersionRequest().withSecretName(SECRET).withVersionId("latest"))
        val answered = System.currentTimeMillis()
        check(response.version?.secretString == VALUE) { "ShowSecretVersion answered no or another value" }
        ChildReport.print(answered)
    }
}

private fun median(values: List<Double>): Double =
    values.sorted().let { s -> if (s.size % 2 == 1) s[s.size / 2] else (s[s.size / 2 - 1] + s[s.size / 2]) / 2 }

private fun property(name: String): String = System.getProperty(name) ?: error("run by bindings-uniffi/run-bench --startup: no -D$name")

/** The sum of the sizes of the files of [classpath], in bytes. */
private fun footprint(classpath: String): Long =
    classpath.split(File.pathSeparator).filter { it.isNotEmpty() }.sumOf { path ->
        File(path).also { require(it.isFile) { "not a file on the classpath: $path" } }.length()
    }

/** Starts a fresh JVM running [mainClass] on [classpath], waits for it and reads its figures. */
private fun sample(classpath: String, mainClass: String, endpoint: String): Sample {
    val java = File(System.getProperty("java.home"), "bin/java").path
    val command = listOf(java, "-cp", classpath, mainClass, endpoint)
    val start = System.nanoTime()
    val process = ProcessBuilder(command).redirectErrorStream(true).start()
    val output = process.inputStream.bufferedReader().readText()
    check(process.waitFor(120, TimeUnit.SECONDS)) { "$mainClass did not exit" }
    val outside = (System.nanoTime() - start) / 1e6
    check(process.exitValue() == 0) { "$mainClass exited with ${process.exitValue()}:\n$output" }
    val line = output.lines().firstOrNull { it.startsWith("startup-sample ") } ?: error("$mainClass printed no figures:\n$output")
    val (inside, rss) = line.removePrefix("startup-sample ").split(" ")
    return Sample(outside, inside.toDouble(), rss.toLong())
}

/** Measures both sides (see the top of this file). */
fun main() {
    val runs = property("csms.startup.runs").toInt()
    require(runs >= 1) { "csms.startup.runs must be positive, not $runs" }
    val oursCp = property("csms.startup.ours.cp")
    val officialCp = property("csms.startup.official.cp")
    val mainCp = property("csms.startup.main.cp")
    Emulator().use { emulator ->
        val endpoint = emulator.endpoint
        CsmsClient(endpoint = endpoint, projectId = PROJECT, credentials = ProvidedCredentials(ak = AK, sk = SK)).use { client ->
            runBlocking { client.createSecret(name = SECRET, secretString = VALUE) }
        }
        val ours = { sample(mainCp + File.pathSeparator + oursCp, StartupOurs::class.java.name, endpoint) }
        val official = { sample(mainCp + File.pathSeparator + officialCp, StartupOfficial::class.java.name, endpoint) }
        ours()
        official()
        val oursSamples = ArrayList<Sample>()
        val officialSamples = ArrayList<Sample>()
        for (round in 0 until runs) {
            if (round % 2 == 0) {
                oursSamples += ours()
                officialSamples += official()
            } else {
                officialSamples += official()
                oursSamples += ours()
            }
        }
        val oursBytes = footprint(oursCp)
        val officialBytes = footprint(officialCp)
        println("%-52s %10s %10s".format("measure (median of $runs fresh JVMs each)", "ours", "official"))
        val rows = listOf<Pair<String, (Sample) -> Double>>(
            "process start to exit, ms (from outside)" to { it.outsideMillis },
            "JVM start to the first answer, ms (RuntimeMXBean)" to { it.insideMillis },
            "resident memory after the call, MB (VmRSS)" to { it.rssKiB * 1024 / 1e6 },
        )
        val medians = rows.map { (name, of) ->
            val pair = median(oursSamples.map(of)) to median(officialSamples.map(of))
            println("%-52s %10.1f %10.1f".format(name, pair.first, pair.second))
            pair
        }
        println("%-52s %10.1f %10.1f".format("runtime classpath, MB (runtime-scope jars)", oursBytes / 1e6, officialBytes / 1e6))
        println("each run, outside ms: ours ${oursSamples.joinToString(" ") { "%.0f".format(it.outsideMillis) }}; " +
            "official ${officialSamples.joinToString(" ") { "%.0f".format(it.outsideMillis) }}")
        println("startup: ours %.0f ms, official %.0f ms; classpath: ours %.1f MB, official %.1f MB; rss: ours %.0f MB, official %.0f MB".format(
            medians[0].first, medians[0].second, oursBytes / 1e6, officialBytes / 1e6, medians[2].first, medians[2].second))
    }
}

package csms

import java.io.File
import java.lang.reflect.Method
import java.lang.reflect.Modifier
import kotlin.time.Duration
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The surface every binding shares (`tests/parity/kotlin.json`, spelt from `tests/parity/surface.json`
 * by `python3 -m tools.parity`), checked against the compiled classes: the factories' parameter
 * names (compiled with `-java-parameters`), [CsmsDefaults], and every [CsmsException] with its
 * `kind` and fields.
 */
class ParityTest {
    private val spec = CsmsJson.parse(File(File(System.getProperty("csms.root") ?: "../.."), "tests/parity/kotlin.json").readText()) as Map<*, *>

    private fun entries(name: String): List<Map<*, *>> = (spec[name] as List<*>).map { it as Map<*, *> }

    /** The public static methods named [name] (a name mangled for an inline-class parameter included), not synthetic. */
    private fun methods(owner: Class<*>, name: String): List<Method> = owner.declaredMethods.filter {
        (it.name == name || it.name.startsWith("$name-")) && !it.isSynthetic && Modifier.isPublic(it.modifiers)
    }

    private fun names(method: Method): List<String> = method.parameters.map {
        assertTrue(it.isNamePresent, "${method.name}: compiled without -java-parameters")
        it.name
    }

    @Test
    fun `the typed factories take every client option by its name`() {
        val expected = entries("client_options").map { it["name"] as String }
        val factories = methods(Class.forName("csms.ClientOptionsKt"), "CsmsClient")
        assertEquals(2, factories.size, "one factory for fixed keys, one for a provider")
        for (factory in factories) assertEquals(expected.sorted(), names(factory).sorted(), factory.toString())
    }

    @Test
    fun `withOptions takes every per-call option by its name`() {
        val expected = entries("call_options").map { it["name"] as String }
        val withOptions = methods(Class.forName("csms.ClientOptionsKt"), "withOptions").single()
        assertEquals(listOf("<this>") + expected.sorted(), names(withOptions).let { listOf("<this>") + it.drop(1).sorted() })
    }

    @Test
    fun `SecretCache takes every cache option by its name`() {
        val expected = entries("cache_options").map { it["name"] as String }
        val constructor = SecretCache::class.java.declaredConstructors.filter { !it.isSynthetic }.maxBy { it.parameterCount }
        assertEquals(listOf("client") + expected.sorted(), constructor.parameters.map { it.name }.let { listOf(it[0]) + it.drop(1).sorted() })
    }

    @Test
    fun `CsmsDefaults holds every default of the list`() {
        for (option in entries("client_options") + entries("cache_options")) {
            val name = option["name"] as String
            val expected = option["default"] ?: continue
            val getter = methods(CsmsDefaults::class.java, "get" + name.replaceFirstChar { it.uppercase() }).singleOrNull()
            // A `const val` is a static field without a getter.
            val raw = getter?.invoke(CsmsDefaults) ?: CsmsDefaults::class.java.getField(name).get(null)
            if (option["duration"] == true) {
                // An inline Duration compiles to its raw Long: box it back.
                val duration = Duration::class.java.getMethod("box-impl", Long::class.javaPrimitiveType).invoke(null, raw) as Duration
                assertEquals(CsmsJson.longOf(expected), duration.inWholeMilliseconds, name)
            } else if (expected is String) {
                assertEquals(expected, raw, name)
            } else {
                assertEquals(CsmsJson.longOf(expected), (raw as Number).toLong(), name)
            }
        }
    }

    @Test
    fun `every CsmsException has its kind and fields`() {
        val errors = entries("errors")
        val classes = CsmsException::class.java.declaredClasses.filter { CsmsException::class.java.isAssignableFrom(it) }
        assertEquals(errors.map { it["class"] as String }.sorted(), classes.map { "CsmsException." + it.simpleName }.sorted())
        for (error in errors) {
            val type = classes.single { "CsmsException." + it.simpleName == error["class"] }
            for (field in (error["fields"] as List<*>).map { it as String }) {
                assertTrue(type.methods.any { it.name == "get" + field.replaceFirstChar { c -> c.uppercase() } && it.parameterCount == 0 },
                    "${type.simpleName} has no `$field`")
            }
            val constructor = type.constructors.single { !it.isSynthetic }
            val args = constructor.parameterTypes.map {
                when (it) {
                    String::class.java -> ""
                    Int::class.javaPrimitiveType -> 0
                    Boolean::class.javaPrimitiveType -> false
                    else -> null
                }
            }
            val instance = constructor.newInstance(*args.toTypedArray()) as CsmsException
            assertEquals(error["kind"], instance.kind, type.simpleName)
        }
    }
}

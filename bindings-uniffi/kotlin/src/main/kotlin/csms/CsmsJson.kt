package csms

/**
 * The small JSON reader and writer behind the typed operations (Operations.kt): no dependency.
 * Parsed objects are `LinkedHashMap`s (member order kept), arrays `ArrayList`s, integers
 * `Long`s, other numbers `Double`s.
 */
object CsmsJson {
    /** A typed model that writes itself as a JSON object under wire names. */
    interface Writable {
        fun toJson(): Map<String, Any?>
    }

    /** A generated enum constant (Operations.kt), written as its wire value (`RDS-FG`). */
    interface WireValue {
        val wire: String
    }

    class Builder {
        internal val map = LinkedHashMap<String, Any?>()
        /** Adds `name` unless `value` is null (absent members are left out). */
        fun put(name: String, value: Any?) {
            if (value != null) map[name] = value
        }
    }

    fun mapOf(block: Builder.() -> Unit): Map<String, Any?> = Builder().apply(block).map

    fun objectOf(block: Builder.() -> Unit): String = write(mapOf(block))

    fun write(value: Any?): String = StringBuilder().also { write(value, it) }.toString()

    private fun write(v: Any?, out: StringBuilder) {
        when (v) {
            null -> out.append("null")
            is String -> {
                out.append('"')
                for (c in v) when {
                    c == '"' -> out.append("\\\"")
                    c == '\\' -> out.append("\\\\")
                    c < ' ' -> out.append("\\u").append(String.format("%04x", c.code))
                    else -> out.append(c)
                }
                out.append('"')
            }
            is Boolean, is Int, is Long, is Short, is Byte -> out.append(v.toString())
            is Double -> { require(v.isFinite()) { "not a finite number: $v" }; out.append(v.toString()) }
            is Float -> write(v.toDouble(), out)
            is Writable -> write(v.toJson(), out)
            is WireValue -> write(v.wire, out)
            is Map<*, *> -> {
                out.append('{')
                var first = true
                for ((k, x) in v) {
                    if (!first) out.append(',')
                    first = false
                    write(k.toString(), out)
                    out.append(':')
                    write(x, out)
                }
                out.append('}')
            }
            is Iterable<*> -> {
                out.append('[')
                var first = true
                for (x in v) {
                    if (!first) out.append(',')
                    first = false
                    write(x, out)
                }
                out.append(']')
            }
            else -> throw IllegalArgumentException("cannot write ${v::class.java.name} as JSON")
        }
    }

    /** `"***"` for a sensitive value that is set, `"null"` otherwise (for `toString()`). */
    fun hidden(value: Any?): String = if (value == null) "null" else "***"

    /** Parses JSON text; throws IllegalArgumentException when it is not JSON. */
    fun parse(text: String): Any? {
        val p = Parser(text)
        val v = try { p.value() } catch (e: IndexOutOfBoundsException) { throw IllegalArgumentException("truncated JSON") }
        p.ws()
        require(p.i == text.length) { "trailing text at offset ${p.i}" }
        return v
    }

    /**
     * A parsed JSON object read by member (wire) name, as the generated result classes read
     * it. An absent or null member is null; a member of another type than asked is an
     * IllegalArgumentException naming it (the core has already checked the shape of results).
     */
    class Fields(private val map: Map<*, *>) {
        fun string(name: String): String? = read(name, "a string") { it as? String }
        fun long(name: String): Long? = read(name, "an integer") { longOf(it) }
        fun double(name: String): Double? = read(name, "a number") { (it as? Number)?.toDouble() }
        fun boolean(name: String): Boolean? = read(name, "a boolean") { it as? Boolean }
        fun obj(name: String): Map<String, Any?>? = read(name, "an object") { objOf(it) }
        fun <T> model(name: String, from: (Fields) -> T): T? = read(name, "an object") { v -> objOf(v)?.let { from(Fields(it)) } }
        fun <T> list(name: String, item: (Any?) -> T): List<T>? = read(name, "a list") { v -> (v as? List<*>)?.map(item) }

        private inline fun <T> read(name: String, what: String, convert: (Any) -> T?): T? {
            val value = map[name] ?: return null
            return convert(value) ?: throw IllegalArgumentException("`$name` is not $what")
        }

        companion object {
            /** The fields of JSON text holding an object. */
            fun parse(text: String): Fields = of(CsmsJson.parse(text))

            /** The fields of a parsed JSON object. */
            fun of(value: Any?): Fields = Fields(value as? Map<*, *> ?: throw IllegalArgumentException("not a JSON object"))
        }
    }

    /** List items: a string, or IllegalArgumentException. */
    fun stringOf(v: Any?): String = v as? String ?: throw IllegalArgumentException("list item is not a string")

    fun longOf(v: Any?): Long? = when (v) {
        is Long -> v
        is Double -> if (v % 1.0 == 0.0) v.toLong() else null
        else -> null
    }

    @Suppress("UNCHECKED_CAST")
    fun objOf(v: Any?): Map<String, Any?>? = v as? Map<String, Any?>

    fun <T> listOf(v: Any?, item: (Any?) -> T): List<T> =
        (v as? List<*> ?: throw IllegalArgumentException("list item is not a list")).map(item)

    private class Parser(val s: String) {
        var i = 0
        fun ws() { while (i < s.length && s[i] in " \t\r\n") i++ }
        fun value(): Any? {
            ws()
            return when (val c = s[i]) {
                '{' -> {
                    i++
                    val m = LinkedHashMap<String, Any?>()
                    ws()
                    if (s[i] == '}') { i++; return m }
                    while (true) {
                        ws(); val k = string(); ws(); expect(':'); m[k] = value(); ws()
                        if (s[i] == ',') { i++; continue }
                        expect('}')
                        return m
                    }
                    @Suppress("UNREACHABLE_CODE") m
                }
                '[' -> {
                    i++
                    val l = ArrayList<Any?>()
                    ws()
                    if (s[i] == ']') { i++; return l }
                    while (true) {
                        l.add(value()); ws()
                        if (s[i] == ',') { i++; continue }
                        expect(']')
                        return l
                    }
                    @Suppress("UNREACHABLE_CODE") l
                }
                '"' -> string()
                't' -> { lit("true"); true }
                'f' -> { lit("false"); false }
                'n' -> { lit("null"); null }
                else -> {
                    val start = i
                    if (c == '-') i++
                    while (i < s.length && (s[i].isDigit() || s[i] in ".eE+-")) i++
                    val t = s.substring(start, i)
                    val number = if (t.any { it in ".eE" }) t.toDoubleOrNull() else t.toLongOrNull() ?: t.toDoubleOrNull()
                    number ?: throw IllegalArgumentException("bad JSON value at offset $start")
                }
            }
        }
        fun lit(w: String) { require(s.startsWith(w, i)) { "bad literal at offset $i" }; i += w.length }
        fun expect(c: Char) { require(s[i] == c) { "expected $c at offset $i" }; i++ }
        fun string(): String {
            expect('"')
            val b = StringBuilder()
            while (true) {
                when (val c = s[i++]) {
                    '"' -> return b.toString()
                    '\\' -> when (val e = s[i++]) {
                        'n' -> b.append('\n'); 't' -> b.append('\t'); 'r' -> b.append('\r')
                        'b' -> b.append('\b'); 'f' -> b.append('\u000c')
                        'u' -> { b.append(s.substring(i, i + 4).toInt(16).toChar()); i += 4 }
                        else -> b.append(e)
                    }
                    else -> b.append(c)
                }
            }
        }
    }
}

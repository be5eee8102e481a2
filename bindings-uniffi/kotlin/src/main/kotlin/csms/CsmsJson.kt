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

    /** The members of a JSON object, added by [put]: a map ([mapOf]), or JSON text written as they come ([objectOf]). */
    class Builder internal constructor(private val text: StringBuilder?) {
        constructor() : this(null)

        private val members: LinkedHashMap<String, Any?>? = if (text == null) LinkedHashMap() else null
        internal val map: Map<String, Any?> get() = members ?: emptyMap()

        /** Adds `name` unless `value` is null (absent members are left out). */
        fun put(name: String, value: Any?) {
            if (value == null) return
            if (text == null) {
                members!![name] = value
                return
            }
            // As `write` writes the map's members: the key (path ""), then the value under its name.
            if (text.length > 1) text.append(',')
            write(name, text, "")
            text.append(':')
            write(value, text, name)
        }
    }

    fun mapOf(block: Builder.() -> Unit): Map<String, Any?> = Builder().apply(block).map

    /** JSON text of the object [block] adds the members of, written as they are added (no map between). */
    fun objectOf(block: Builder.() -> Unit): String {
        val out = StringBuilder(64).append('{')
        Builder(out).block()
        return out.append('}').toString()
    }

    /**
     * JSON text of `value`: null, strings, booleans, numbers (Int, Long, Short, Byte, Double,
     * Float, BigInteger, BigDecimal, UInt, ULong, UShort, UByte; the core reads a fraction as a
     * double), `Writable` models, enum constants, maps, iterables and arrays. Anything else, a
     * NaN or infinite number, an integer beyond 64 bits, or a
     * string with a lone surrogate (not Unicode text, it cannot cross into Rust) is
     * `CsmsException.Validation` whose `field` is the member's path in wire names
     * (`data.ratio`, `tags[1].value`).
     */
    fun write(value: Any?): String = StringBuilder().also { write(value, it, "") }.toString()

    private val LONG_MIN = java.math.BigInteger.valueOf(Long.MIN_VALUE)
    private val ULONG_MAX = java.math.BigInteger(ULong.MAX_VALUE.toString())

    private fun invalid(path: String, reason: String): Nothing =
        throw CsmsException.Validation(path.ifEmpty { "input" }, reason)

    private fun member(path: String, name: String) = if (path.isEmpty()) name else "$path.$name"

    private fun writeList(items: Iterator<Any?>, out: StringBuilder, path: String) {
        out.append('[')
        var i = 0
        for (x in items) {
            if (i > 0) out.append(',')
            write(x, out, "$path[$i]")
            i++
        }
        out.append(']')
    }

    private fun write(v: Any?, out: StringBuilder, path: String) {
        when (v) {
            null -> out.append("null")
            is String -> {
                out.append('"')
                // Most strings need no escape and hold no surrogate: appended whole.
                if (v.none { it == '"' || it == '\\' || it < ' ' || Character.isSurrogate(it) }) {
                    out.append(v).append('"')
                    return
                }
                var i = 0
                while (i < v.length) {
                    val c = v[i]
                    when {
                        c == '"' -> out.append("\\\"")
                        c == '\\' -> out.append("\\\\")
                        c < ' ' -> out.append("\\u").append(String.format("%04x", c.code))
                        Character.isHighSurrogate(c) && i + 1 < v.length && Character.isLowSurrogate(v[i + 1]) -> {
                            out.append(c).append(v[i + 1])
                            i++
                        }
                        Character.isSurrogate(c) -> invalid(path, "is not Unicode text: lone surrogate U+%04X at index $i".format(c.code))
                        else -> out.append(c)
                    }
                    i++
                }
                out.append('"')
            }
            is Boolean, is Int, is Long, is Short, is Byte -> out.append(v.toString())
            // The core reads JSON integers as 64-bit (larger ones would silently become doubles).
            is java.math.BigInteger -> if (v >= LONG_MIN && v <= ULONG_MAX) out.append(v.toString())
                else invalid(path, "is out of the 64-bit integer range: $v")
            is UInt, is ULong, is UShort, is UByte -> out.append(v.toString())
            is java.math.BigDecimal -> out.append(v.toString())
            is Double -> if (v.isFinite()) out.append(v.toString()) else invalid(path, "is not a finite number: $v")
            is Float -> if (v.isFinite()) write(v.toDouble(), out, path) else invalid(path, "is not a finite number: $v")
            is Writable -> write(v.toJson(), out, path)
            is WireValue -> write(v.wire, out, path)
            is Map<*, *> -> {
                out.append('{')
                var first = true
                for ((k, x) in v) {
                    if (k !is String) invalid(path, "has a key that is not a String: ${k?.let { it::class.java.name }}")
                    if (!first) out.append(',')
                    first = false
                    write(k, out, path)
                    out.append(':')
                    write(x, out, member(path, k))
                }
                out.append('}')
            }
            is Iterable<*> -> writeList(v.iterator(), out, path)
            is Array<*> -> writeList(v.iterator(), out, path)
            else -> if (v.javaClass.isArray) {
                writeList((0 until java.lang.reflect.Array.getLength(v)).asSequence().map { java.lang.reflect.Array.get(v, it) }.iterator(), out, path)
            } else {
                invalid(path, "cannot be written as JSON: ${v::class.java.name}")
            }
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

    /** Text that is not a JSON object where a result is read; [decode] makes it `CsmsException.Decode`. */
    class WrongMember(val path: String, val what: String) : RuntimeException("`$path` $what")

    /**
     * Runs the generated reader of `operation`'s result: text that is not a JSON object is
     * `CsmsException.Decode` (status 0 and an empty request id, as the response is gone by
     * then). A member of another type than the spec says never is: it is read as the core
     * reads it (see [Fields]).
     */
    fun <T> decode(operation: String, read: () -> T): T = try {
        read()
    } catch (e: WrongMember) {
        throw CsmsException.Decode("$operation result: `${e.path.ifEmpty { "(root)" }}` ${e.what}", 0, "")
    } catch (e: IllegalArgumentException) {
        throw CsmsException.Decode("$operation result: ${e.message}", 0, "")
    }

    /**
     * A parsed JSON object read by member (wire) name, as the generated result classes read
     * it. An absent or null member is null. A member of another type than asked is read as the
     * core's decoder reads it (core/src/operations/decode.rs), so that a result read here from
     * raw JSON is the one the core gives: coerced where its meaning is not in doubt (`"123"`
     * for an integer, `123` or `true` for text, `"false"` for a boolean, a single value for a
     * list of one), otherwise null; list items that cannot be read are left out.
     */
    class Fields(internal val map: Map<*, *>) {
        fun string(name: String): String? = textOf(map[name])
        fun long(name: String): Long? = longOf(map[name])
        fun double(name: String): Double? = doubleOf(map[name])
        fun boolean(name: String): Boolean? = booleanOf(map[name])
        fun obj(name: String): Map<String, Any?>? = objOf(map[name])
        fun <T> model(name: String, from: (Fields) -> T): T? = modelOf(map[name], from)
        fun <T> list(name: String, item: (Any?) -> T?): List<T>? = listOf(map[name], item)

        companion object {
            /** The fields of JSON text holding an object. */
            fun parse(text: String): Fields = of(CsmsJson.parse(text))

            /** The fields of a parsed JSON object. */
            fun of(value: Any?): Fields = Fields(value as? Map<*, *> ?: throw WrongMember("", "is not an object"))
        }
    }

    private val JSON_NUMBER = Regex("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")

    /** Text: a string, or a number or boolean as its JSON text; else null. */
    fun textOf(v: Any?): String? = when (v) {
        is String -> v
        is Long, is Boolean -> v.toString()
        is Double -> v.toString().replace("E", "e")
        else -> null
    }

    /** An integer: a number with no fraction that a Long holds, or a string holding a decimal one; else null. */
    fun longOf(v: Any?): Long? = when (v) {
        is Long -> v
        is Double -> if (v % 1.0 == 0.0 && kotlin.math.abs(v) < 9.0e15) v.toLong() else null
        is String -> v.trim().toLongOrNull()
        else -> null
    }

    /** A number: a JSON number, or a string holding one; else null. */
    fun doubleOf(v: Any?): Double? = when (v) {
        is Long -> v.toDouble()
        is Double -> v
        is String -> v.trim().takeIf { JSON_NUMBER.matches(it) }?.toDoubleOrNull()?.takeIf { it.isFinite() }
        else -> null
    }

    /** A boolean: true, false, or those words in any letter case; else null. */
    fun booleanOf(v: Any?): Boolean? = when (v) {
        is Boolean -> v
        is String -> when (v.lowercase(java.util.Locale.ROOT)) { "true" -> true; "false" -> false; else -> null }
        else -> null
    }

    @Suppress("UNCHECKED_CAST")
    fun objOf(v: Any?): Map<String, Any?>? = v as? Map<String, Any?>

    /** A model read by `from` from an object; null for anything else. */
    fun <T> modelOf(v: Any?, from: (Fields) -> T): T? = (v as? Map<*, *>)?.let { from(Fields(it)) }

    /** A list: the items `item` reads (others left out), or a single value as a list of one; null when nothing is read. */
    fun <T> listOf(v: Any?, item: (Any?) -> T?): List<T>? = when (v) {
        null -> null
        is List<*> -> v.mapNotNull(item)
        else -> item(v)?.let { kotlin.collections.listOf(it) }
    }

    private class Parser(val s: String) {
        var i = 0
        fun ws() {
            while (i < s.length) {
                val c = s[i]
                if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return
                i++
            }
        }
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
            // Most strings have no escape: one substring.
            var j = i
            while (j < s.length) {
                val c = s[j]
                if (c == '"') {
                    val text = s.substring(i, j)
                    i = j + 1
                    return text
                }
                if (c == '\\') break
                j++
            }
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

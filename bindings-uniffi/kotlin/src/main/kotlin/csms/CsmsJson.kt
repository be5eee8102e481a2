package csms

/** The small JSON writer behind the typed operations (Operations.kt): no dependency. */
object CsmsJson {
    /** A typed model that writes itself as a JSON object under wire names. */
    interface Writable {
        fun toJson(): Map<String, Any?>
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
}

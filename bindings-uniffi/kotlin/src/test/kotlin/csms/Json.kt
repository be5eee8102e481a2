package csms

/** A minimal JSON reader for the tests (no dependency): objects are LinkedHashMaps. */
object Json {
    fun parse(text: String): Any? {
        val p = Parser(text)
        p.ws()
        val v = p.value()
        p.ws()
        require(p.i == text.length) { "trailing text at ${p.i}" }
        return v
    }

    /** JSON text of a parsed value: the package's own writer. */
    fun write(v: Any?): String = CsmsJson.write(v)

    private class Parser(val s: String) {
        var i = 0
        fun ws() { while (i < s.length && s[i].isWhitespace()) i++ }
        fun value(): Any? {
            ws()
            return when (val c = s[i]) {
                '{' -> {
                    i++; val m = LinkedHashMap<String, Any?>(); ws()
                    if (s[i] == '}') { i++; return m }
                    while (true) {
                        ws(); val k = string(); ws(); expect(':'); m[k] = value(); ws()
                        if (s[i] == ',') { i++; continue }
                        expect('}'); return m
                    }
                    @Suppress("UNREACHABLE_CODE") m
                }
                '[' -> {
                    i++; val l = ArrayList<Any?>(); ws()
                    if (s[i] == ']') { i++; return l }
                    while (true) {
                        l.add(value()); ws()
                        if (s[i] == ',') { i++; continue }
                        expect(']'); return l
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
                    if (t.any { it in ".eE" }) t.toDouble() else t.toLongOrNull() ?: t.toDouble()
                }
            }
        }
        fun lit(w: String) { require(s.startsWith(w, i)) { "bad literal at $i" }; i += w.length }
        fun expect(c: Char) { require(s[i] == c) { "expected $c at $i" }; i++ }
        fun string(): String {
            expect('"')
            val b = StringBuilder()
            while (true) {
                val c = s[i++]
                when (c) {
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

"""Emits `bindings-uniffi/kotlin/src/main/kotlin/csms/Operations.kt`: one typed suspend
extension of `CsmsClient` per operation (named, typed parameters in; a typed result out,
decoded from the JSON text that `CsmsClient.call` returns), a `{Operation}Result` data class
per operation that returns something, and a data class per model. Models write themselves
as JSON (`CsmsJson.Writable`, for inputs) and read themselves from it (`from`, for results);
members marked sensitive in the spec print as `***` in `toString()`. A member with an `enum`
rule takes an `enum class` (one per distinct set of values, named by `spec.enums`) whose
constants carry their wire value and are written as it (`CsmsJson.WireValue`)."""

from .spec import ROOT, camel, enum_words, enums, member_type

OUT = ROOT / "bindings-uniffi" / "kotlin" / "src" / "main" / "kotlin" / "csms" / "Operations.kt"
KEYWORDS = {"as", "break", "class", "continue", "do", "else", "false", "for", "fun", "if", "in", "interface",
            "is", "null", "object", "package", "return", "super", "this", "throw", "true", "try", "typealias",
            "typeof", "val", "var", "when", "while"}
SCALARS = {"string": "String", "date": "String", "integer": "Long", "boolean": "Boolean",
           "object": "Map<String, Any?>", "number": "Double"}
# How a `CsmsJson.Fields` reads a member of each scalar type, and how a list item is read.
READERS = {"string": "string", "date": "string", "integer": "long", "boolean": "boolean", "object": "obj",
           "number": "double"}
# The `CsmsJson` function reading a list item, where its name is not the member reader's.
TEXT_READERS = {"string": "text", "date": "text"}


def ident(name):
    """A Kotlin property or parameter name: camelCase, keywords in backticks."""
    s = camel(name)
    return f"`{s}`" if s in KEYWORDS else s


def kt_type(ty):
    if ty[0] == "list":
        return f"List<{kt_type(ty[1])}>"
    if ty[0] in ("model", "enum"):
        return ty[1]
    return SCALARS[ty[0]]


def constant(value):
    """The Kotlin constant of an enum wire value: `GaussDB-FG` -> `GAUSS_DB_FG`."""
    return "_".join(enum_words(value)).upper()


def enum_class(name, info):
    values = ", ".join(f"`{v}`" for v in info["values"])
    members = ", ".join(f"`{m}`" for m in info["members"])
    out = [kdoc(f"The values of {members}: {values}. Each constant is written in JSON as its wire value (`wire`)."),
           f"enum class {name}(override val wire: String) : CsmsJson.WireValue {{\n"]
    out += [f'    {constant(v)}("{v}"),\n' for v in info["values"]]
    out.append("    ;\n\n    companion object {\n")
    out.append("        /** The constant whose wire value is `wire`; IllegalArgumentException for any other. */\n")
    out.append(f"        fun of(wire: String): {name} =\n")
    out.append(f'            entries.firstOrNull {{ it.wire == wire }} ?: throw IllegalArgumentException("unknown {name} value: $wire")\n')
    out.append("    }\n}\n")
    return "".join(out)


def item_reader(ty):
    """A Kotlin lambda turning one parsed JSON list item into `ty`."""
    if ty[0] == "model":
        return f"{{ CsmsJson.modelOf(it, {ty[1]}::from) }}"
    if ty[0] == "enum":
        return f"{{ CsmsJson.textOf(it)?.let({ty[1]}::of) }}"
    if ty[0] == "list":
        return f"{{ CsmsJson.listOf(it, {item_reader(ty[1])}) }}"
    return f"CsmsJson::{TEXT_READERS.get(ty[0], READERS[ty[0]])}Of"


def read_expr(field, enum_of):
    """The expression reading `field` from `o: CsmsJson.Fields`."""
    ty = member_type(field, enum_of)
    name = field["name"]
    if ty[0] == "enum":
        return f'o.string("{name}")?.let({ty[1]}::of)'
    if ty[0] == "model":
        return f'o.model("{name}", {ty[1]}::from)'
    if ty[0] == "list":
        return f'o.list("{name}", {item_reader(ty[1])})'
    return f'o.{READERS[ty[0]]}("{name}")'


def kdoc(text, indent=""):
    text = " ".join((text or "").split()).replace("*/", "* /")
    return f"{indent}/** {text} */\n" if text else ""


def to_string(name, fields):
    """A toString() that prints sensitive members as `***` (null stays null)."""
    parts = []
    for f in fields:
        value = f"${{CsmsJson.hidden({ident(f['name'])})}}" if f.get("sensitive") else f"${ident(f['name'])}"
        parts.append(f"{ident(f['name']).strip('`')}={value}")
    return f'    override fun toString(): String = "{name}({", ".join(parts)})"\n'


def data_class(name, doc, fields, writable, decode_doc, enum_of):
    """A data class with every member nullable (absent = null), its reader and maybe its writer."""
    out = [kdoc(doc), f"data class {name}(\n"]
    for f in fields:
        out.append(kdoc(f.get("doc"), "    "))
        out.append(f"    val {ident(f['name'])}: {kt_type(member_type(f, enum_of))}? = null,\n")
    out.append(") : CsmsJson.Writable {\n" if writable else ") {\n")
    if writable:
        out.append("    override fun toJson(): Map<String, Any?> = CsmsJson.mapOf {\n")
        out.extend(f'        put("{f["name"]}", {ident(f["name"])})\n' for f in fields)
        out.append("    }\n\n")
    if any(f.get("sensitive") for f in fields):
        out.append(to_string(name, fields) + "\n")
    out.append("    companion object {\n")
    if decode_doc:
        out.append(f"        /** {decode_doc} */\n")
        operation = name.removesuffix("Result")
        out.append(f'        fun fromJson(json: String): {name} = CsmsJson.decode("{operation}") {{ from(CsmsJson.Fields.parse(json)) }}\n\n')
    out.append(f"        /** Reads a parsed JSON object (wire names). */\n")
    out.append(f"        fun from(o: CsmsJson.Fields): {name} = {name}(\n")
    out.extend(f"            {ident(f['name'])} = {read_expr(f, enum_of)},\n" for f in fields)
    out.append("        )\n    }\n}\n")
    return "".join(out)


def operation(op, enum_of):
    name = op["name"]
    result = f"{name}Result"
    params, puts = [], []
    for m in op.get("input", []):
        ty = kt_type(member_type(m, enum_of))
        default = "" if m.get("required") else "? = null"
        params.append(f"    {ident(m['name'])}: {ty}{default},\n")
        puts.append(f'        put("{m["name"]}", {ident(m["name"])})\n')
    json = "CsmsJson.objectOf {\n" + "".join(puts) + "    }" if puts else '"{}"'
    call = f'call("{name}", {json})'
    doc = kdoc(op.get("doc"))
    head = f"suspend fun CsmsClient.{camel(name)}(" + ("\n" + "".join(params) if params else "")
    if op.get("output"):
        # The result's fields straight from the fast path (CsmsClient.callFields, added by
        # bindings-uniffi/generate), not its JSON text parsed again.
        return f"{doc}{head}): {result} =\n    {result}.from({call.replace('call(', 'callFields(', 1)})\n"
    return f"{doc}{head}) {{\n    {call}\n}}\n"


def emit(spec):
    out = [
        "// GENERATED by `python3 -m tools.codegen` (tools/codegen/kotlin.py) from spec/csms.json: do not edit.\n",
        "// Typed operations over CsmsClient.callFields (the fast path's result fields; CsmsClient.call stays the by-name JSON path).\n",
        '@file:Suppress("unused", "RedundantVisibilityModifier")\n\npackage csms\n\n',
    ]
    all_enums, enum_of = enums(spec)
    taken = {f"{op['name']}Result" for op in spec["operations"]} | set(spec["models"]) | {"CsmsClient", "CsmsJson"}
    assert not taken & set(all_enums), f"an enum takes the name of a class: {taken & set(all_enums)}"
    for op in spec["operations"]:
        out.append(operation(op, enum_of) + "\n")
    for op in spec["operations"]:
        if op.get("output"):
            out.append(data_class(f"{op['name']}Result", f"Result of {op['name']}.", op["output"], False,
                                  f"Decodes the result JSON of {op['name']} (as `CsmsClient.call` returns it); a member of the wrong type is `CsmsException.Decode` naming its path.", enum_of)
                       + "\n")
    for name in sorted(spec["models"]):
        model = spec["models"][name]
        out.append(data_class(name, model.get("doc"), model.get("fields", []), True, None, enum_of) + "\n")
    for name, info in sorted(all_enums.items()):
        out.append(enum_class(name, info) + "\n")
    return OUT, "".join(out).rstrip("\n") + "\n"

"""Emits `bindings-uniffi/swift/Sources/Csms/Operations.swift`: one typed `async throws`
method per operation in an extension of the uniffi-generated `CsmsClient` (named, typed
parameters in, required ones first; the input encoded as JSON under wire names by a private
`Encodable` struct; a typed result out, decoded from the JSON text `CsmsClient.invoke`
returns: `call` with the task's cancellation passed on, in Calls.swift), a `{Operation}Result` struct per operation that returns something (`Decodable`,
`Sendable`, `Equatable`) and a `Codable` struct per model. Properties are camelCase with
`CodingKeys` mapping them to wire names; free-form members are `[String: JSONValue]`.
Types with members marked sensitive in the spec show them as `***` in `description`,
`debugDescription` and `customMirror`. The support code (`JSONValue`, `csmsEncode`,
`csmsDecode`, `csmsShow`, `csmsHide`) is hand-written in `OperationsSupport.swift`. A member
with an `enum` rule takes a `String`-backed enum (one per distinct set of values, named by
`spec.enums`; `case rdsFg = "RDS-FG"`), so it is encoded and decoded as its wire value.

No Swift toolchain runs here: the text is checked by `tools/codegen/test_swift.py` only."""

import re
import textwrap

from .spec import ROOT, camel, enum_words, enums, member_type

OUT = ROOT / "bindings-uniffi" / "swift" / "Sources" / "Csms" / "Operations.swift"

# Every Swift keyword (declarations, statements, expressions, types) plus the contextual ones
# that are risky as names. A backticked name that is no keyword is still valid Swift, so the
# list errs on the long side.
KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
    "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
    "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
    "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
    "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self",
    "super", "throws", "true", "try", "async", "some", "any", "Type", "Protocol", "actor", "macro",
    "package", "consume", "copy", "discard", "borrowing", "consuming", "each", "_",
}
SCALARS = {"string": "String", "date": "String", "integer": "Int64", "boolean": "Bool",
           "object": "[String: JSONValue]", "number": "Double"}
# Names no member may have: the redaction extension defines `debugDescription` and
# `customMirror`, `CodingKeys` is the key enum (whose cases may not be named like its own
# members), and the methods' bodies use `csmsInput` and `csmsJson` as locals.
RESERVED_MEMBERS = {"debugDescription", "customMirror", "CodingKeys", "rawValue", "stringValue", "intValue",
                    "hashValue", "csmsInput", "csmsJson"}
# What the uniffi-generated CsmsClient already has: no operation method may take these names.
CLIENT_MEMBERS = {"call", "buildRequest", "parseResponse", "clockOffsetSeconds", "uniffiCloneHandle"}
WIRE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def name_of(member):
    """The camelCase Swift name of a spec member, without backticks."""
    assert WIRE_NAME.match(member["name"]), member["name"]
    name = camel(member["name"])
    assert name not in RESERVED_MEMBERS, name
    return name


def ident(member):
    """The Swift identifier of a spec member: camelCase, keywords in backticks."""
    name = name_of(member)
    return f"`{name}`" if name in KEYWORDS else name


def swift_type(ty):
    if ty[0] == "list":
        return f"[{swift_type(ty[1])}]"
    if ty[0] in ("model", "enum"):
        return ty[1]
    return SCALARS[ty[0]]


def type_of(member, enum_of):
    """The Swift type of a member (without `?`): its enum when it has an `enum` rule."""
    return swift_type(member_type(member, enum_of))


def case_name(value):
    """The Swift case of an enum wire value: `GaussDB-FG` -> `gaussDbFg`, keywords in backticks."""
    words = enum_words(value)
    name = words[0] + "".join(w.title() for w in words[1:])
    assert name not in {"rawValue", "allCases", "hashValue", "init"}, name
    return f"`{name}`" if name in KEYWORDS else name


def enum_decl(name, info):
    members = ", ".join(f"`{m}`" for m in info["members"])
    lines = doc(f"The values of {members}; each case is encoded as its wire value (its raw value).", "")
    lines.append(f"public enum {name}: String, Codable, Sendable, CaseIterable {{")
    lines += [f'    case {case_name(v)} = "{v}"' for v in info["values"]]
    lines.append("}")
    return lines


def doc(text, indent):
    """`///` lines of `text` (whitespace folded), wrapped at 100 columns."""
    text = " ".join((text or "").split())
    if not text:
        return []
    width = max(40, 100 - len(indent) - 4)
    return [f"{indent}/// {line}" for line in textwrap.wrap(text, width, break_on_hyphens=False)]


def coding_keys(members, indent):
    if not members:
        return []
    out = [f"{indent}enum CodingKeys: String, CodingKey {{"]
    out += [f'{indent}    case {ident(m)} = "{m["name"]}"' for m in members]
    out.append(f"{indent}}}")
    return out


def record(name, doc_text, members, conformances, binding, enum_of):
    """A public struct: every member optional (absent = nil), a public memberwise init with
    every parameter `= nil`, and `CodingKeys` to the wire names."""
    lines = doc(doc_text, "") + [f"public struct {name}: {conformances} {{"]
    for m in members:
        lines += doc(m.get("doc"), "    ")
        lines.append(f"    public {binding} {ident(m)}: {type_of(m, enum_of)}?")
    if members:
        lines.append("")
    if members:
        params = [f"        {ident(m)}: {type_of(m, enum_of)}? = nil" for m in members]
        lines += ["    public init("] + [p + "," for p in params[:-1]] + [params[-1], "    ) {"]
    else:
        lines.append("    public init() {")
    lines += [f"        self.{ident(m)} = {ident(m)}" for m in members]
    lines.append("    }")
    if members:
        lines.append("")
    lines += coding_keys(members, "    ")
    lines.append("}")
    if any(m.get("sensitive") for m in members):
        lines += [""] + redaction(name, members)
    return lines


def redaction(name, members):
    """`description`, `debugDescription` and `customMirror` showing sensitive members as `***`.
    A type with a member named `description` keeps it and is only CustomDebugStringConvertible
    (which `print`, `String(describing:)` and interpolation fall back to)."""
    has_description = any(name_of(m) == "description" for m in members)
    conformances = ["CustomDebugStringConvertible", "CustomReflectable"]
    if not has_description:
        conformances.insert(0, "CustomStringConvertible")

    def shown(m):
        return f"{'csmsHide' if m.get('sensitive') else 'csmsShow'}(self.{ident(m)})"

    lines = [f"extension {name}: {', '.join(conformances)} {{"]
    if not has_description:
        lines += ["    public var description: String {", "        return debugDescription", "    }", ""]
    lines += ["    public var debugDescription: String {", "        let fields: [String] = ["]
    lines += [f'            "{name_of(m)}: \\({shown(m)})",' for m in members]
    lines += ["        ]", f'        return "{name}(" + fields.joined(separator: ", ") + ")"', "    }", ""]
    lines.append("    public var customMirror: Mirror {")
    lines.append("        return Mirror(self, children: [")
    for m in members:
        value = f"csmsHide(self.{ident(m)})" if m.get("sensitive") else f"self.{ident(m)}"
        lines.append(f'            "{name_of(m)}": {value} as Any,')
    lines.append("        ], displayStyle: .struct)")
    lines.append("    }")
    lines.append("}")
    return lines


def ordered_input(op):
    """Required members first (spec order kept within each group)."""
    members = op.get("input", [])
    return [m for m in members if m.get("required")] + [m for m in members if not m.get("required")]


def input_struct(op, enum_of):
    members = ordered_input(op)
    lines = [f"private struct {op['name']}Input: Encodable {{"]
    for m in members:
        optional = "" if m.get("required") else "?"
        lines.append(f"    let {ident(m)}: {type_of(m, enum_of)}{optional}")
    lines.append("")
    lines += coding_keys(members, "    ")
    lines.append("}")
    return lines


def method(op, enum_of):
    name = op["name"]
    members = ordered_input(op)
    lines = doc(op.get("doc"), "    ")
    param_docs = [(name_of(m), m.get("doc")) for m in members if m.get("doc")]
    if param_docs:
        lines += ["    ///", "    /// - Parameters:"]
        for param, text in param_docs:
            lines += textwrap.wrap(" ".join(text.split()), 100, initial_indent=f"    ///   - {param}: ",
                                   subsequent_indent="    ///     ", break_on_hyphens=False)
    returns = f" -> {name}Result" if op.get("output") else ""
    params = [f"{ident(m)}: {type_of(m, enum_of)}" + ("" if m.get("required") else "? = nil") for m in members]
    if op.get("output"):
        lines.append("    @discardableResult")  # as in Kotlin, calling CreateSecret etc. for the effect alone is fine
    head = f"    public func {camel(name)}("
    if params:
        lines.append(head)
        lines += [f"        {p}," for p in params[:-1]] + [f"        {params[-1]}"]
        lines.append(f"    ) async throws{returns} {{")
    else:
        lines.append(f"{head}) async throws{returns} {{")
    if members:
        lines.append(f"        let csmsInput = try csmsEncode({name}Input(")
        lines += [f"            {ident(m)}: {ident(m)}," for m in members[:-1]]
        lines += [f"            {ident(members[-1])}: {ident(members[-1])}", "        ))"]
        input_json = "csmsInput"
    else:
        input_json = '"{}"'
    # `invoke` (Calls.swift): `call` with the task's cancellation passed on to the Rust call.
    call = f'try await self.invoke(operation: "{name}", inputJson: {input_json})'
    if op.get("output"):
        lines.append(f"        let csmsJson = {call}")
        lines.append(f'        return try csmsDecode({name}Result.self, operation: "{name}", json: csmsJson)')
    else:
        lines.append(f"        _ = {call}")
    lines.append("    }")
    return lines


def emit(spec):
    operations = spec["operations"]
    type_names = [f"{op['name']}Result" for op in operations if op.get("output")]
    type_names += [f"{op['name']}Input" for op in operations if op.get("input")] + list(spec["models"])
    all_enums, enum_of = enums(spec)
    type_names += list(all_enums) + ["CsmsClient", "JSONValue"]
    assert len(type_names) == len(set(type_names)), "a generated Swift type name is taken twice"
    assert not {camel(op["name"]) for op in operations} & CLIENT_MEMBERS, "an operation shadows a CsmsClient method"
    for fields in [op.get("input", []) for op in operations] + [op.get("output", []) for op in operations] + \
            [m.get("fields", []) for m in spec["models"].values()]:
        names = [name_of(f) for f in fields]
        assert len(names) == len(set(names)), f"two members with one camelCase name: {names}"

    out = [
        "// GENERATED by `python3 -m tools.codegen` (tools/codegen/swift.py) from spec/csms.json: do not edit.",
        "// Typed operations over CsmsClient.invoke (Calls.swift: the by-name JSON path, the task's",
        "// cancellation passed on); the support code (JSONValue, csmsEncode, csmsDecode, csmsShow,",
        "// csmsHide) is in OperationsSupport.swift.",
        "// UNTESTED: written on Linux without a Swift toolchain; compile it on macOS with `swift build`.",
        "import Foundation",
        "",
        "extension CsmsClient {",
    ]
    for i, op in enumerate(operations):
        if i:
            out.append("")
        out += method(op, enum_of)
    out += ["}", ""]
    for op in operations:
        if op.get("input"):
            out += input_struct(op, enum_of) + [""]
    for op in operations:
        if op.get("output"):
            out += record(f"{op['name']}Result", f"Result of {op['name']}.", op["output"],
                          "Decodable, Sendable, Equatable", "let", enum_of) + [""]
    for name in sorted(spec["models"]):
        model = spec["models"][name]
        out += record(name, model.get("doc"), model.get("fields", []), "Codable, Sendable, Equatable", "var",
                      enum_of) + [""]
    for name in sorted(all_enums):
        out += enum_decl(name, all_enums[name]) + [""]
    return OUT, "\n".join(out).rstrip("\n") + "\n"

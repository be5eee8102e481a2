"""Emits `core/src/operations/generated.rs`: typed inputs, outputs and models, and the static
operation table read by the core's generic engine."""

import json

from .spec import ROOT, parse_type, snake

OUT = ROOT / "core" / "src" / "operations" / "generated.rs"
KEYWORDS = {"type", "match", "ref", "mod", "fn", "struct", "enum", "use", "in", "loop", "move", "self", "crate", "impl", "trait"}
SCALARS = {"string": "String", "integer": "i64", "number": "f64", "boolean": "bool", "date": "String", "object": "serde_json::Value"}
TYPE_CONSTS = {"string": "Type::String", "integer": "Type::Integer", "number": "Type::Number", "boolean": "Type::Boolean",
               "date": "Type::Date", "object": "Type::Any"}
FORMATS = {"rotation_period": "Format::RotationPeriod", "base64": "Format::Base64", "date": "Format::Date"}


def lit(text):
    """A Rust string literal."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def doc(text, indent=""):
    lines = (text or "").strip().splitlines() or [""]
    return "".join(f"{indent}/// {line}".rstrip() + "\n" for line in lines)


def upper(name):
    return snake(name).upper()


def rust_type(ty, sensitive=False):
    kind = ty[0]
    if kind == "list":
        return f"Vec<{rust_type(ty[1], sensitive)}>"
    if kind == "model":
        return ty[1]
    if sensitive and kind == "string":
        return "SecretString"
    return SCALARS[kind]


def type_const(ty):
    kind = ty[0]
    if kind == "list":
        return f"Type::List(&{type_const(ty[1])})"
    if kind == "model":
        return f"Type::Model(&{upper(ty[1])}_MODEL)"
    return TYPE_CONSTS[kind]


def field_ident(name):
    ident = snake(name)
    return f"r#{ident}" if ident in KEYWORDS else ident


def redacts_itself(ty):
    """Whether a sensitive member of this type already prints as `***` (a `SecretString`, or a
    list of them)."""
    kind = ty[0]
    if kind == "list":
        return redacts_itself(ty[1])
    return kind == "string"


def debug_impl(name, fields, optional_all):
    """A `Debug` impl printing every sensitive member as `"***"` (`Some("***")` when optional),
    for structs whose sensitive members would otherwise print their value (`object`, ...)."""
    out = [f"impl std::fmt::Debug for {name} {{\n",
           "    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n",
           f"        f.debug_struct({lit(name)})\n"]
    for f in fields:
        ident = field_ident(f["name"])
        required = f.get("required", False) and not optional_all
        if not f.get("sensitive"):
            value = f"&self.{ident}"
        elif required:
            value = "&Redacted"
        else:
            value = f"&self.{ident}.as_ref().map(|_| Redacted)"
        out.append(f"            .field({lit(snake(f['name']))}, {value})\n")
    out.append("            .finish()\n    }\n}\n\n")
    return "".join(out)


def struct(name, docs, fields, optional_all, sensitive_ok=True):
    out = [doc(docs)]
    # Derived `Debug` prints a value; a sensitive member that is not a `SecretString` needs our own.
    own_debug = any(f.get("sensitive") and not redacts_itself(parse_type(f["type"])) for f in fields)
    derives = "Clone, Default, PartialEq, Serialize, Deserialize" if own_debug else "Debug, Clone, Default, PartialEq, Serialize, Deserialize"
    out.append(f"#[derive({derives})]\n")
    out.append(f"pub struct {name} {{\n")
    for f in fields:
        ty = rust_type(parse_type(f["type"]), f.get("sensitive", False))
        out.append(doc(f.get("doc", ""), "    "))
        attrs = []
        if snake(f["name"]) != f["name"]:
            attrs.append(f"rename = {lit(f['name'])}")
        required = f.get("required", False) and not optional_all
        if not required:
            attrs.append('skip_serializing_if = "Option::is_none"')
            ty = f"Option<{ty}>"
        if attrs:
            out.append(f"    #[serde({', '.join(attrs)})]\n")
        out.append(f"    pub {field_ident(f['name'])}: {ty},\n")
    out.append("}\n\n")
    if own_debug:
        out.append(debug_impl(name, fields, optional_all))
    return "".join(out)


def rules(r):
    """A `&'static Rules`: members without rules share `Rules::NONE`, which keeps the table small."""
    if not r:
        return "&Rules::NONE"
    parts = []
    if "len" in r:
        parts.append(f"len: Some(({r['len'][0]}, {r['len'][1]}))")
    if "max_bytes" in r:
        parts.append(f"max_bytes: Some({r['max_bytes']})")
    if "charset" in r:
        parts.append(f"charset: Some({lit(r['charset'])})")
    if "enum" in r:
        parts.append("allowed: &[" + ", ".join(lit(v) for v in r["enum"]) + "]")
    if "range" in r:
        parts.append(f"range: Some(({r['range'][0]}, {r['range'][1]}))")
    if "items" in r:
        parts.append(f"items: Some(({r['items'][0]}, {r['items'][1]}))")
    if "format" in r:
        parts.append(f"format: Some({FORMATS[r['format']]})")
    if r.get("not_blank"):
        parts.append("not_blank: true")
    unknown = set(r) - {"len", "max_bytes", "charset", "enum", "range", "items", "format", "not_blank"}
    if unknown:
        raise SystemExit(f"unknown rules {unknown}")
    return "&Rules { " + ", ".join(parts) + ", ..Rules::NONE }"


LOCATIONS = {"path": "Location::Path", "query": "Location::Query", "body": "Location::Body", "query+body": "Location::QueryAndBody"}


def member(m, indent):
    loc = LOCATIONS[m.get("in", "body")]
    return (f"{indent}Member {{ name: {lit(m['name'])}, location: {loc}, ty: &{type_const(parse_type(m['type']))}, "
            f"required: {str(m.get('required', False)).lower()}, sensitive: {str(m.get('sensitive', False)).lower()}, "
            f"rules: {rules(m.get('rules'))}, doc: table_doc!({lit(m.get('doc', ''))}) }},\n")


def pagination(p):
    if not p:
        return "None"
    if p["style"] == "marker":
        return (f"Some(Pagination::Marker {{ marker: {lit(p['marker'])}, limit: {lit(p['limit'])}, next: {lit(p['next'])} }})")
    if p["style"] == "offset":
        return (f"Some(Pagination::Offset {{ offset: {lit(p['offset'])}, limit: {lit(p['limit'])}, "
                f"total: {lit(p['total'])}, items: {lit(p['items'])} }})")
    raise SystemExit(f"unknown pagination style {p['style']}")


def table_models(spec):
    """Names of the models reachable from operation inputs and outputs (they get table entries:
    validation reads the first, the response decoder the second)."""
    seen, todo = set(), []

    def walk(ty):
        if ty[0] == "list":
            walk(ty[1])
        elif ty[0] == "model":
            todo.append(ty[1])

    for op in spec["operations"]:
        for m in op["input"] + op["output"]:
            walk(parse_type(m["type"]))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            for f in spec["models"][name]["fields"]:
                walk(parse_type(f["type"]))
    return seen


def emit(spec):
    out = ["// @generated by tools/codegen from spec/csms.json. Do not edit: change the spec and run\n",
           "// `python3 -m tools.codegen`.\n\n",
           "#![allow(clippy::all)]\n\n",
           "use super::{Format, Location, Member, Model, Operation, OperationSpec, Pagination, Rules, Type};\n",
           "use crate::secret::{Redacted, SecretString};\n",
           "use serde::{Deserialize, Serialize};\n\n"]
    for name, model in sorted(spec["models"].items()):
        out.append(struct(name, model.get("doc", ""), model["fields"], optional_all=True))
    for op in spec["operations"]:
        name = op["name"]
        out.append(struct(f"{name}Request", f"The input of `{name}`.\n\n{op.get('doc', '')}", op["input"], optional_all=False))
        out.append(struct(f"{name}Response", f"The result of `{name}`.", op["output"], optional_all=True))
        out.append(f"impl Operation for {name}Request {{\n    type Output = {name}Response;\n    const SPEC: &'static OperationSpec = &{upper(name)};\n}}\n\n")
    out.append("// The table.\n\n")
    for name in sorted(table_models(spec)):
        model = spec["models"][name]
        out.append(f"pub(crate) static {upper(name)}_MODEL: Model = Model {{\n    name: {lit(name)},\n    fields: &[\n")
        for f in model["fields"]:
            out.append(member(f, "        "))
        out.append("    ],\n};\n\n")
    for op in spec["operations"]:
        name = op["name"]
        one_of = "&[" + ", ".join("&[" + ", ".join(lit(n) for n in g) + "]" for g in op.get("one_of", [])) + "]"
        unwrap = f"Some({lit(op['unwrap'])})" if op.get("unwrap") else "None"
        out.append(f"pub(crate) static {upper(name)}: OperationSpec = OperationSpec {{\n")
        out.append(f"    name: {lit(name)},\n    doc: table_doc!({lit(op.get('doc', ''))}),\n    method: {lit(op['method'])},\n")
        out.append(f"    path: {lit(op['path'])},\n    content_type: {lit(op['content_type'])},\n")
        out.append(f"    has_body: {str(op['body'] == 'json').lower()},\n    idempotent: {str(op['idempotent']).lower()},\n")
        out.append("    members: &[\n")
        for m in op["input"]:
            out.append(member(m, "        "))
        out.append(f"    ],\n    one_of: {one_of},\n    unwrap: {unwrap},\n    pagination: {pagination(op.get('pagination'))},\n")
        out.append(f"    output: &Model {{\n        name: {lit(name + 'Response')},\n        fields: &[\n")
        for m in op["output"]:
            out.append(member(m, "            "))
        out.append("        ],\n    },\n};\n\n")
    out.append(f"/// Every operation, sorted by name.\npub static OPERATIONS: [&OperationSpec; {len(spec['operations'])}] = [\n")
    for op in spec["operations"]:
        out.append(f"    &{upper(op['name'])},\n")
    out.append("];\n\n")
    out.append("/// The typed decoder of each operation (`decode_as::<...Response>`), for the tests that check\n"
               "/// the table-driven decoder against serde.\n#[cfg(test)]\n"
               "pub(crate) fn typed_decoder(name: &str) -> fn(serde_json::Value) -> Result<serde_json::Value, String> {\n"
               "    match name {\n")
    for op in spec["operations"]:
        out.append(f"        {lit(op['name'])} => super::decode_as::<{op['name']}Response>,\n")
    out.append("        _ => unreachable!(),\n    }\n}\n")
    return OUT, "".join(out)

"""Checks of the emitted Swift (`tools/codegen/swift.py`), since no Swift compiler runs here:
brackets balance, every operation has its method and result type, no name is a bare Swift
keyword, wire names are kept, sensitive members are redacted, every `enum` rule has its enum
with the wire values as raw values. Also run on a made-up spec
whose members are all keywords. `python3 -m unittest tools.codegen.test_swift` (tests/run-all)."""

import copy
import re
import unittest

from . import swift
from .spec import camel, enums, load

# Swift's reserved words, written out here again (not taken from swift.py) so that a word
# missing there is caught here.
SWIFT_KEYWORDS = set("""
associatedtype class deinit enum extension fileprivate func import init inout internal let open
operator private precedencegroup protocol public rethrows static struct subscript typealias var
break case catch continue default defer do else fallthrough for guard if in repeat return throw
switch where while Any as await false is nil self Self super throws true try _
""".split())
SUPPORT = swift.OUT.with_name("OperationsSupport.swift")


def code_only(text):
    """`text` without comments and without the characters of string literals (interpolated
    code is kept, so its brackets still count)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text[i] == '"':
            i += 1
            while i < n and text[i] != '"':
                if text.startswith("\\(", i):
                    depth, j = 1, i + 2
                    while depth:
                        if j >= n:
                            raise ValueError("unterminated interpolation")
                        depth += {"(": 1, ")": -1}.get(text[j], 0)
                        j += 1
                    out.append("(" + code_only(text[i + 2:j - 1]) + ")")
                    i = j
                elif text[i] == "\\":
                    i += 2
                else:
                    i += 1
            if i >= n:
                raise ValueError("unterminated string literal")
            out.append('""')
            i += 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def bracket_errors(text):
    pairs, stack, errors = {")": "(", "]": "[", "}": "{"}, [], []
    try:
        code = code_only(text)
    except ValueError as e:
        return [str(e)]
    for lineno, line in enumerate(code.split("\n"), 1):
        for c in line:
            if c in "([{":
                stack.append((c, lineno))
            elif c in pairs:
                if not stack or stack[-1][0] != pairs[c]:
                    errors.append(f"line {lineno}: unmatched {c}")
                else:
                    stack.pop()
    errors += [f"line {lineno}: unclosed {c}" for c, lineno in stack]
    return errors


def bare_keywords(text, labels=True):
    """Names declared (and with `labels`, used as parameter or argument labels, which Swift
    allows for most keywords but the generated code never needs) that are bare keywords."""
    code = code_only(text)
    found = []
    patterns = [r"\b(?:let|var|case)\s+(?!(?:let|var)\b)([A-Za-z_]\w*)",   # properties, locals, cases
                r"\bself\.([A-Za-z_]\w*)",                                  # member access
                r"\bfunc\s+([A-Za-z_]\w*)",
                r"\b(?:struct|enum)\s+([A-Za-z_]\w*)"]
    if labels:
        patterns += [r"^\s*([A-Za-z_]\w*)\s*:(?!:)",   # parameters and argument labels, one a line
                     r"[(,]\s*([A-Za-z_]\w*)\s*:"]     # labels inside one line
    for pattern in patterns:
        for m in re.finditer(pattern, code, re.M):
            if m.group(1) in SWIFT_KEYWORDS:
                line = code.count("\n", 0, m.start()) + 1
                found.append(f"line {line}: {m.group(0).strip()}")
    return found


def blocks(text):
    """Top-level declarations: {first line: text up to the closing `}` in column 0}."""
    out, current = {}, None
    for line in text.split("\n"):
        if current is None and re.match(r"(public |private )?(struct|enum|extension) ", line):
            current = [line]
        elif current is not None:
            current.append(line)
            if line == "}":
                out[current[0]] = "\n".join(current)
                current = None
    return out


def find_block(all_blocks, prefix):
    matches = [b for head, b in all_blocks.items() if head.startswith(prefix)]
    return matches[0] if len(matches) == 1 else None


def record_types(spec):
    """(Swift type name, members) of every generated public struct."""
    types = [(f"{op['name']}Result", op["output"]) for op in spec["operations"] if op.get("output")]
    return types + [(name, m.get("fields", [])) for name, m in spec["models"].items()]


class SwiftTextChecks:
    """The checks, for `self.spec` and its emitted `self.text`."""

    def test_brackets_balance(self):
        self.assertEqual(bracket_errors(self.text), [])

    def test_no_bare_keyword(self):
        self.assertEqual(bare_keywords(self.text), [])

    def test_every_operation_has_its_method_and_result(self):
        all_blocks = blocks(self.text)
        _, enum_of = enums(self.spec)
        client = find_block(all_blocks, "extension CsmsClient {")
        self.assertIsNotNone(client)
        for op in self.spec["operations"]:
            name, fn = op["name"], swift.ident({"name": camel(op["name"])})
            with self.subTest(op=name):
                heads = re.findall(rf"^    public func {re.escape(fn)}\(.*?\{{$", client, re.M | re.S)
                self.assertEqual(len(heads), 1)
                method = client[client.index(f"public func {fn}("):]
                method = method[:method.index("\n    }\n") if "\n    }\n" in method else len(method)]
                self.assertIn(f'self.invoke(operation: "{name}", inputJson: ', method)
                if op.get("output"):
                    self.assertRegex(method, rf"\) async throws -> {name}Result \{{")
                    self.assertIn(f'csmsDecode({name}Result.self, operation: "{name}", json: csmsJson)', method)
                    self.assertIsNotNone(find_block(
                        all_blocks, f"public struct {name}Result: Decodable, Sendable, Equatable {{"))
                else:
                    self.assertRegex(method, r"\) async throws \{")
                    self.assertNotIn(f"{name}Result", self.text)
                members = swift.ordered_input(op)
                required = [m for m in members if m.get("required")]
                self.assertEqual(members[:len(required)], required, "required parameters first")
                for m in members:
                    default = "" if m.get("required") else "? = nil"
                    self.assertIn(f"        {swift.ident(m)}: {swift.type_of(m, enum_of)}{default}", method)
                if members:
                    block = find_block(all_blocks, f"private struct {name}Input: Encodable {{")
                    self.assertIsNotNone(block)
                    self.assertEqual(re.findall(r'= "(\w+)"', block), [m["name"] for m in members])

    def test_types_keep_wire_names_and_are_all_declared(self):
        all_blocks = blocks(self.text)
        declared = {re.match(r"(?:public |private )?(?:struct|enum) (\w+)", h).group(1)
                    for h in all_blocks if "struct " in h or "enum " in h}
        builtin = {"String", "Int64", "Bool", "Double", "JSONValue"}
        for name, members in record_types(self.spec):
            with self.subTest(type=name):
                block = find_block(all_blocks, f"public struct {name}: ")
                self.assertIsNotNone(block)
                self.assertEqual(re.findall(r'case \S+ = "(\w+)"', block), [m["name"] for m in members])
                for used in re.findall(r"public (?:let|var) \S+: (.*)\?$", block, re.M):
                    self.assertTrue(set(re.findall(r"\w+", used)) <= declared | builtin, used)
                    self.assertNotIn("Any", re.findall(r"\w+", used), "not Sendable")

    def test_enum_members_take_their_enum(self):
        all_blocks = blocks(self.text)
        all_enums, enum_of = enums(self.spec)
        self.assertGreater(len(all_enums), 0)
        for name, info in all_enums.items():
            with self.subTest(enum=name):
                block = find_block(all_blocks, f"public enum {name}: String, Codable, Sendable, CaseIterable {{")
                self.assertIsNotNone(block)
                cases = re.findall(r'^    case (\S+) = "([^"]*)"$', block, re.M)
                self.assertEqual([raw for _, raw in cases], info["values"], "every value is a raw value")
                self.assertEqual(len(cases), len(block.split("\n")) - 2 - block.count("///"), block)
                for case, _ in cases:
                    self.assertNotIn(case, SWIFT_KEYWORDS, "a bare keyword as a case name")
                    self.assertRegex(case, r"^(`[a-z]\w*`|[a-z]\w*)$")
        members = [m for op in self.spec["operations"] for m in op.get("input", [])]
        members += [f for m in self.spec["models"].values() for f in m.get("fields", [])]
        ruled = [m for m in members if (m.get("rules") or {}).get("enum")]
        self.assertEqual(sum(len(info["members"]) for info in all_enums.values()), len(ruled))
        for m in ruled:
            expected = enum_of(m)
            self.assertEqual(swift.type_of(m, enum_of), f"[{expected}]" if m["type"].startswith("list<") else expected)

    def test_sensitive_members_are_redacted(self):
        all_blocks = blocks(self.text)
        redacted = 0
        for name, members in record_types(self.spec):
            secret = [swift.ident(m) for m in members if m.get("sensitive")]
            extension = find_block(all_blocks, f"extension {name}: ")
            with self.subTest(type=name):
                if not secret:
                    self.assertIsNone(extension)
                    continue
                self.assertIsNotNone(extension)
                self.assertIn("CustomDebugStringConvertible", extension.split("\n")[0])
                self.assertIn("CustomReflectable", extension.split("\n")[0])
                has_description = any(camel(m["name"]) == "description" for m in members)
                self.assertEqual("CustomStringConvertible" in extension.split("\n")[0], not has_description)
                for ident in secret:
                    self.assertEqual(extension.count(f"csmsHide(self.{ident})"), 2, ident)  # text and mirror
                    self.assertNotIn(f"csmsShow(self.{ident})", extension)
                    self.assertNotRegex(extension, rf'": self\.{re.escape(ident)} as Any')
                for m in members:
                    if not m.get("sensitive"):
                        self.assertNotIn(f"csmsHide(self.{swift.ident(m)})", extension)
                redacted += 1
        self.assertGreater(redacted, 0)


class EmittedSwift(SwiftTextChecks, unittest.TestCase):
    """The real spec and the committed Operations.swift."""

    @classmethod
    def setUpClass(cls):
        cls.spec = load()
        path, cls.text = swift.emit(cls.spec)
        cls.path = path

    def test_committed_file_is_fresh(self):
        self.assertEqual(self.path.read_text(encoding="utf-8"), self.text)

    def test_known_redactions(self):
        self.assertIn('"secretString: \\(csmsHide(self.secretString))",', self.text)
        self.assertIn('"password: \\(csmsHide(self.password))",', self.text)
        self.assertIn("extension CreateSecretRequestBody: CustomDebugStringConvertible, CustomReflectable {",
                      self.text)

    def test_support_file_balances_and_defines_the_helpers(self):
        support = SUPPORT.read_text(encoding="utf-8")
        self.assertEqual(bracket_errors(support), [])
        self.assertEqual(bare_keywords(support, labels=False), [])
        for helper in ("func csmsEncode<", "func csmsDecode<", "func csmsShow<", "func csmsHide<",
                       "public enum JSONValue: Codable, Sendable, Equatable"):
            self.assertIn(helper, support)
        self.assertIn("CsmsException.Decode(reason:", support)
        for helper in ("csmsEncode(", "csmsDecode(", "csmsShow(", "csmsHide(", "JSONValue"):
            self.assertIn(helper, self.text)


class KeywordSpec(SwiftTextChecks, unittest.TestCase):
    """A made-up spec whose member names are Swift keywords."""

    @classmethod
    def setUpClass(cls):
        spec = copy.deepcopy(load())
        spec["operations"].append({
            "name": "Frobnicate", "doc": "Made up.",
            "input": [{"name": "in", "type": "string"},
                      {"name": "mode", "type": "string", "rules": {"enum": ["default", "in", "self-type", "Repeat"]}},
                      {"name": "default", "type": "list<Repeat>", "required": True},
                      {"name": "protocol", "type": "object", "required": True, "sensitive": True}],
            "output": [{"name": "where", "type": "string", "sensitive": True},
                       {"name": "description", "type": "string"},
                       {"name": "extension", "type": "Repeat"}],
        })
        spec["models"]["Repeat"] = {"doc": "Made up.", "fields": [
            {"name": "static", "type": "integer"}, {"name": "operator", "type": "boolean"},
            {"name": "true", "type": "string", "sensitive": True}, {"name": "is", "type": "list<list<string>>"},
            {"name": "switch", "type": "list<string>", "rules": {"enum": ["default", "in", "self-type", "Repeat"]}}]}
        cls.spec = spec
        _, cls.text = swift.emit(spec)

    def test_keywords_are_escaped(self):
        for expected in ("`default`: [Repeat],", "`protocol`: [String: JSONValue],", "`in`: String? = nil",
                         'case `where` = "where"', "public let `extension`: Repeat?",
                         "public var `static`: Int64?", "csmsHide(self.`true`)",
                         "extension FrobnicateResult: CustomDebugStringConvertible, CustomReflectable {",
                         'case `default` = "default"', 'case `in` = "in"', 'case selfType = "self-type"',
                         'case `repeat` = "Repeat"', "mode: Mode? = nil", "public var `switch`: [Mode]?"):
            self.assertIn(expected, self.text)


class CheckerSelfTest(unittest.TestCase):
    """The checkers find what they are meant to find."""

    def test_brackets(self):
        self.assertEqual(bracket_errors('let a = "{(" + f(x)'), [])
        self.assertEqual(bracket_errors('let a = "\\(f(x)) }"'), [])
        self.assertNotEqual(bracket_errors("func f() { g(]) }"), [])
        self.assertNotEqual(bracket_errors("struct A {\n"), [])
        self.assertNotEqual(bracket_errors('let a = "\\(f(x)"'), [])

    def test_keywords(self):
        self.assertNotEqual(bare_keywords("public let default: String?"), [])
        self.assertNotEqual(bare_keywords("    case in = \"in\""), [])
        self.assertNotEqual(bare_keywords("        protocol: String,"), [])
        self.assertNotEqual(bare_keywords("f(x: 1, repeat: 2)"), [])
        self.assertEqual(bare_keywords("public let `default`: String?\n// let in: x"), [])


if __name__ == "__main__":
    unittest.main()

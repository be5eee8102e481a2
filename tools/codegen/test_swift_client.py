"""Checks of the hand-written Swift client surface against tests/parity/swift.json, as text,
since no Swift compiler runs here (issue 18): the typed initializers' labels, types and
default values (the binding's only copy of the defaults), `withOptions`' labels, the cache's
options, the error extension's kinds and fields (each accessor binding the right positions of
the uniffi-generated cases), `errorDescription` being the core's message, and the task
cancellation handler on every path of an async operation to the Rust call.
`python3 -m unittest tools.codegen.test_swift_client` (tests/run-all)."""

import json
import re
import unittest
from pathlib import Path

from .test_swift import bracket_errors, code_only

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "bindings-uniffi" / "swift" / "Sources" / "Csms"
PARITY = ROOT / "tests" / "parity" / "swift.json"
GENERATED = ("Csms.swift", "Operations.swift")


def read(name):
    return (SOURCES / name).read_text(encoding="utf-8")


def signature(text, head):
    """The parameter list (text between the brackets) of every declaration starting `head`."""
    out = []
    for match in re.finditer(re.escape(head), text):
        start = match.end()
        depth, i = 1, start
        while depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        out.append(text[start:i - 1])
    return out


def parameters(params):
    """`label: Type = default` entries of a parameter list, as (label, type, default or None)."""
    out, depth, current = [], 0, ""
    for c in params:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(c, 0)
        if c == "," and depth == 0:
            out.append(current)
            current = ""
        else:
            current += c
    if current.strip():
        out.append(current)
    result = []
    for entry in out:
        entry = " ".join(entry.split())
        match = re.fullmatch(r"(\w+): ([^=]+?)(?: = (.+))?", entry)
        assert match, f"cannot read the parameter {entry!r}"
        result.append(match.groups())
    return result


def literal(text):
    """A Swift default value as Python: nil, a number, a string literal."""
    if text is None or text == "nil":
        return None
    if text.startswith('"'):
        return json.loads(text)
    number = text.replace("_", "")
    return float(number) if "." in number else int(number)


def block(text, head):
    """The text from `head` to the end of its braces."""
    start = text.index(head)
    i = text.index(" {\n", start) + 1  # the body's brace ends its line (not a `"{}"` default)
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[start:j + 1]
    raise AssertionError(f"unclosed {head}")


class SwiftClientSurface(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.parity = json.loads(PARITY.read_text(encoding="utf-8"))
        cls.options = read("ClientOptions.swift")
        cls.calls = read("Calls.swift")
        cls.errors = read("Errors.swift")
        cls.generated = read("Csms.swift")

    def test_the_new_files_have_balanced_brackets(self):
        for name in ("ClientOptions.swift", "Calls.swift", "Errors.swift", "Pagination.swift", "URLSessionTransport.swift"):
            with self.subTest(file=name):
                self.assertEqual(bracket_errors(read(name)), [])

    def test_the_initializer_has_the_parity_labels_types_and_defaults(self):
        (params,) = signature(self.options, "public convenience init(")
        got = {label: (kind, default) for label, kind, default in parameters(params)}
        self.assertEqual(list(got), [o["name"] for o in self.parity["client_options"]])
        for option in self.parity["client_options"]:
            name = option["name"]
            kind, default = got[name]
            with self.subTest(option=name):
                self.assertEqual(kind == "TimeInterval", option["duration"], f"{name}: {kind}")
                if name == "credentials":
                    self.assertEqual(kind, "CsmsCredentials")
                    self.assertIsNone(default, "credentials are required")
                elif option["default"] is None:
                    self.assertEqual(default, "nil", f"{name} defaults to nil")
                else:
                    self.assertEqual(literal(default), option["default"], name)
        # Both kinds of credentials are accepted, and every option reaches the options the
        # client is made from.
        for kind in ("ProvidedCredentials", "CredentialProvider"):
            self.assertIn(f"extension {kind}: CsmsCredentials {{}}", self.options)
            self.assertIn(f"case let given as {kind}:", self.options)
        made = self.options[self.options.index(params):]
        made = made[:made.index("self.init(unsafeFromHandle:")]
        for option in self.parity["client_options"]:
            if option["name"] != "credentials":
                self.assertRegex(made, rf"\b{option['name']}: {option['name']}\b")

    def test_the_defaults_are_written_once(self):
        # Nowhere else in the hand-written Swift is a default of the initializer spelt again.
        for name in sorted(p.name for p in SOURCES.glob("*.swift")):
            if name in GENERATED or name == "ClientOptions.swift":
                continue
            text = code_only(read(name))
            for literal_text in ("SDK-HMAC-SHA256", "16_777_216", "16777216", "20.0"):
                self.assertNotIn(literal_text, text, f"{name} repeats {literal_text}")

    def test_with_options_has_the_per_call_labels(self):
        (params,) = signature(self.calls, "public func withOptions(")
        got = parameters(params)
        self.assertEqual([label for label, _, _ in got], [o["name"] for o in self.parity["call_options"]])
        for (label, kind, default), option in zip(got, self.parity["call_options"]):
            self.assertEqual(kind, "TimeInterval?" if option["duration"] else "Int?", label)
            self.assertEqual(default, "nil", label)
        body = block(self.calls, "public func withOptions(")
        self.assertIn("withSettings(maxAttempts:", body)
        self.assertIn("timeoutMillis:", body)
        self.assertIn("deadlineMillis:", body)

    def test_the_cache_has_the_parity_options(self):
        (params,) = signature(read("SecretCache.swift"), "public init(client: CsmsClient, ")
        got = {label: (kind, default) for label, kind, default in parameters(params)}
        for option in self.parity["cache_options"]:
            kind, default = got[option["name"]]
            with self.subTest(option=option["name"]):
                self.assertEqual(kind.rstrip("?") == "TimeInterval", option["duration"])
                self.assertEqual(literal(default), option["default"])

    def uniffi_cases(self):
        """The generated `CsmsException` cases: name -> labels, in order."""
        enum = block(self.generated, "enum CsmsException: Swift.Error, Equatable, Hashable, Foundation.LocalizedError {")
        cases = {}
        for name, params in re.findall(r"\bcase (\w+)\(([^)]*)\)", enum):
            cases[name] = [label for label, _, _ in parameters(params)]
        return cases

    def test_every_kind_is_a_case_and_maps_from_its_uniffi_case(self):
        kinds = block(self.errors, "public enum Kind: String, Sendable, CaseIterable {")
        declared = re.findall(r"^\s*case `?(\w+)`?$", kinds, re.M)
        self.assertEqual(declared, [e["kind"] for e in self.parity["errors"]])
        mapping = block(self.errors, "public var kind: Kind {")
        cases = self.uniffi_cases()
        for error in self.parity["errors"]:
            case = error["kind"].title()
            with self.subTest(kind=error["kind"]):
                self.assertIn(case, cases, "a uniffi case per kind")
                self.assertRegex(mapping, rf"case \.{case}: return \.`?{error['kind']}`?\n")
                # swift.json names the uniffi case (`CsmsException.Validation`); `kind == .validation`.
                self.assertEqual(error["class"], f"CsmsException.{case}")

    def test_every_field_binds_its_own_position_in_exactly_its_kinds(self):
        cases = self.uniffi_cases()
        fields = {}
        for error in self.parity["errors"]:
            for field in error["fields"]:
                fields.setdefault(field, set()).add(error["kind"].title())
        for field, kinds in fields.items():
            with self.subTest(field=field):
                accessor = block(self.errors, f"public var {field}: ")
                if field in ("kind", "message"):
                    continue
                bound = {}
                for case, pattern in re.findall(r"let \.(\w+)\(([^)]*)\)", accessor):
                    names = [p.strip() for p in pattern.split(",")]
                    self.assertEqual(len(names), len(cases[case]), f"{field}: every field of {case} in its pattern")
                    position = [i for i, n in enumerate(names) if n != "_"]
                    self.assertEqual(len(position), 1, f"{field}: one binding in {case}")
                    label = cases[case][position[0]]
                    # retryAfter binds `retryAfterMillis` today (a Duration `retryAfter` later).
                    self.assertTrue(label == field or label.startswith(field), f"{field} binds {case}.{label}")
                    bound[case] = label
                self.assertEqual(set(bound), kinds, f"{field} is read from exactly these cases")

    def test_the_message_and_error_description_are_the_cores(self):
        self.assertRegex(block(self.errors, "public var message: String"), r"exceptionMessage\(error: self\)")
        # uniffi 0.32: the LocalizedError conformance is declared on the enum, its
        # errorDescription a member of it.
        conformance = block(self.generated, "enum CsmsException: Swift.Error, Equatable, Hashable, Foundation.LocalizedError {")
        self.assertIn("exceptionMessage(error: self)", block(conformance, "public var errorDescription: String? {"))
        self.assertNotIn("String(reflecting: self)", conformance)

    def test_every_async_operation_passes_task_cancellation_on(self):
        invoke = block(self.calls, "public func invoke(")
        self.assertIn("withTaskCancellationHandler", invoke)
        self.assertRegex(invoke, r"callCancellable\(operation: operation, inputJson: inputJson, cancel: cancel\)")
        self.assertRegex(invoke, r"onCancel: \{\s*cancel\.cancel\(\)\s*\}")
        self.assertIn("throw CancellationError()", invoke)
        self.assertIn("public func callCancellable(", self.generated.replace("open func", "public func"))
        # No hand-written or generated Swift calls the uncancellable `call` of uniffi.
        for name in sorted(p.name for p in SOURCES.glob("*.swift")):
            if name == "Csms.swift":
                continue
            text = code_only(read(name))
            with self.subTest(file=name):
                self.assertIsNone(re.search(r"\.call\(operation:", text), f"{name} calls `call`, not `invoke`")
        operations = read("Operations.swift")
        methods = re.findall(r"public func \w+\([^{]*?\) async throws", operations, re.S)
        self.assertGreater(len(methods), 20)
        self.assertEqual(operations.count("try await self.invoke(operation: "), len(methods))
        self.assertIn("try await client.invoke(operation: operation, inputJson: input)", read("Pagination.swift"))

    def test_the_transport_has_a_connect_timer_apart_from_the_idle_timeout(self):
        transport = read("URLSessionTransport.swift")
        self.assertIn("config.timeoutIntervalForRequest = requestTimeout", transport)
        self.assertNotIn("timeoutIntervalForRequest = connectTimeout", transport)
        self.assertIn("session.bytes(for: request, delegate: watch)", transport)
        self.assertRegex(transport, r"if watch\.expire\(\) \{ throw ConnectTimedOut\(\) \}")
        self.assertRegex(transport, r"(?s)catch is ConnectTimedOut \{\s*throw CsmsException\.Transport\(.*?"
                                    r"maybeSent: watch\.requestStarted \?\? false, notRetried: nil, timedOut: true\)")


if __name__ == "__main__":
    unittest.main()

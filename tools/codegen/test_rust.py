"""Checks of the emitted Rust (`tools/codegen/rust.py`) that the Rust tests cannot make: every
sensitive member of the spec prints as `***` in `Debug`, including the shapes the spec does not
use yet (an optional object, a list of objects). `python3 -m unittest tools.codegen.test_rust`
(tests/run-all)."""

import copy
import re
import unittest

from . import rust
from .spec import load, parse_type


def struct_text(text, name):
    """The struct `name` and what follows it up to the next struct."""
    start = text.index(f"pub struct {name} {{")
    start = text.rindex("#[derive(", 0, start)
    end = text.find("pub struct ", text.index("}\n", start))
    return text[start:end if end >= 0 else len(text)]


class SensitiveMembers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        spec = copy.deepcopy(load())
        spec["models"]["Vault"] = {"doc": "Made up.", "fields": [
            {"name": "name", "type": "string"},
            {"name": "blob", "type": "object", "sensitive": True},
            {"name": "blobs", "type": "list<object>", "sensitive": True},
            {"name": "password", "type": "string", "sensitive": True}]}
        spec["operations"].append({"name": "OpenVault", "doc": "Made up.", "method": "POST",
                                   "path": "/v1/{project_id}/vaults", "content_type": "application/json",
                                   "body": "json", "idempotent": False,
                                   "input": [{"name": "vault", "type": "Vault", "required": True}], "output": []})
        cls.spec = spec
        _, cls.text = rust.emit(spec)

    def sensitive_structs(self):
        for name, model in self.spec["models"].items():
            yield name, model["fields"]
        for op in self.spec["operations"]:
            yield op["name"] + "Request", op["input"]
            yield op["name"] + "Response", op["output"]

    def test_every_sensitive_member_is_redacted(self):
        checked = 0
        for name, fields in self.sensitive_structs():
            for f in fields:
                if not f.get("sensitive"):
                    continue
                checked += 1
                text = struct_text(self.text, name)
                if rust.redacts_itself(parse_type(f["type"])):
                    self.assertRegex(text, rf"pub {re.escape(rust.field_ident(f['name']))}: .*SecretString", name)
                else:
                    self.assertNotIn("Debug", text.splitlines()[0], name)
                    self.assertRegex(text, rf'\.field\("{f["name"]}", &(Redacted|self\.\w+\.as_ref\(\)\.map\(\|_\| Redacted\))\)', name)
        self.assertGreater(checked, 5)

    def test_optional_and_required_shapes(self):
        vault = struct_text(self.text, "Vault")
        self.assertIn('.field("blob", &self.blob.as_ref().map(|_| Redacted))', vault)
        self.assertIn('.field("blobs", &self.blobs.as_ref().map(|_| Redacted))', vault)
        self.assertIn('.field("name", &self.name)', vault)
        self.assertIn('.field("password", &self.password.as_ref().map(|_| Redacted))', vault)
        check = struct_text(self.text, "CheckSecretsRequest")
        self.assertIn('.field("data", &Redacted)', check)
        self.assertIn('.field("type", &self.r#type)', check)


if __name__ == "__main__":
    unittest.main()

"""Assembles dist/maven/ from the compiled Kotlin classes and the native libraries (release/build).

    python3 release/maven.py --pom POM --classes DIR --natives DIR --sources DIR [--sources DIR]
                             --readme FILE --license FILE --repository URL --out DIR

Writes <artifactId>-<version>.jar (the classes, the natives under JNA's resource prefixes,
META-INF/LICENSE), -sources.jar, -javadoc.jar (the README as its page: the API's docs are the
KDoc in the sources) and the published .pom: the project pom's coordinates, name, description,
licences, developers and non-test dependencies, with <url> and <scm> from the repository URL
when there is one. Entries are written in sorted order with a fixed time, so the same inputs
give the same bytes.
"""

import argparse
import html
import pathlib
import sys
import xml.etree.ElementTree as ET
import zipfile

NS = "http://maven.apache.org/POM/4.0.0"
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def q(tag):
    """The tag in the POM namespace."""
    return f"{{{NS}}}{tag}"


def add(zf, name, data):
    """Adds one file entry with the fixed time and ordinary permissions."""
    info = zipfile.ZipInfo(name, FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def write_jar(path, files):
    """A jar of `files` ({entry name: bytes}) with a manifest first, as the jar format wants."""
    with zipfile.ZipFile(path, "w") as zf:
        add(zf, "META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nCreated-By: csms-sdk release/build\r\n\r\n")
        for name in sorted(files):
            add(zf, name, files[name])


def tree(root, prefix=""):
    """Every file under `root` as {prefix + relative path: bytes}."""
    root = pathlib.Path(root)
    return {prefix + p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def published_pom(pom_path, repository):
    """The pom to publish: what a consumer and Maven Central read, nothing of the build."""
    ET.register_namespace("", NS)
    src = ET.parse(pom_path).getroot()
    props = {p.tag.replace(q(""), ""): p.text for p in (src.find(q("properties")) or [])}

    def resolve(text):
        for key, value in props.items():
            text = text.replace("${" + key + "}", value or "")
        if "${" in text:
            sys.exit(f"maven.py: unresolved property in {text!r}")
        return text

    out = ET.Element(q("project"))
    out.set("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation",
            "http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd")
    for tag in ("modelVersion", "groupId", "artifactId", "version", "name", "description"):
        el = src.find(q(tag))
        if el is None:
            sys.exit(f"maven.py: the pom has no <{tag}>")
        ET.SubElement(out, q(tag)).text = resolve(el.text)
    ET.SubElement(out, q("packaging")).text = "jar"
    if repository:
        ET.SubElement(out, q("url")).text = repository
    for tag in ("licenses", "developers"):
        el = src.find(q(tag))
        if el is None:
            sys.exit(f"maven.py: the pom has no <{tag}>")
        out.append(el)
    if repository:
        scm = ET.SubElement(out, q("scm"))
        ET.SubElement(scm, q("url")).text = repository
        ET.SubElement(scm, q("connection")).text = "scm:git:" + repository
    deps = ET.SubElement(out, q("dependencies"))
    for dep in src.find(q("dependencies")):
        scope = dep.find(q("scope"))
        if scope is not None and scope.text in ("test", "provided"):
            continue
        d = ET.SubElement(deps, q("dependency"))
        for tag in ("groupId", "artifactId", "version"):
            ET.SubElement(d, q(tag)).text = resolve(dep.find(q(tag)).text)
    ET.indent(out, "  ")
    coords = {tag: out.find(q(tag)).text for tag in ("groupId", "artifactId", "version")}
    return ET.tostring(out, encoding="utf-8", xml_declaration=True) + b"\n", coords


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pom", required=True)
    ap.add_argument("--classes", required=True)
    ap.add_argument("--natives", required=True)
    ap.add_argument("--sources", action="append", required=True)
    ap.add_argument("--readme", required=True)
    ap.add_argument("--license", required=True)
    ap.add_argument("--repository", default="")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    pom, c = published_pom(a.pom, a.repository)
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"{c['artifactId']}-{c['version']}"
    licence = pathlib.Path(a.license).read_bytes()
    meta = {
        "META-INF/LICENSE": licence,
        f"META-INF/maven/{c['groupId']}/{c['artifactId']}/pom.xml": pom,
    }

    natives = tree(a.natives)
    if not natives:
        sys.exit("maven.py: no native library")
    classes = tree(a.classes)
    if not any(n.endswith(".class") for n in classes):
        sys.exit(f"maven.py: no classes in {a.classes}")
    write_jar(f"{base}.jar", {**classes, **natives, **meta})

    sources = {}
    for d in a.sources:
        sources.update(tree(d))
    write_jar(f"{base}-sources.jar", {**sources, **meta})

    readme = pathlib.Path(a.readme).read_text(encoding="utf-8")
    page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(c['artifactId'])} {html.escape(c['version'])}</title></head><body>\n"
            "<p>The API is documented in KDoc comments in the -sources.jar; the package's README follows.</p>\n"
            f"<pre>{html.escape(readme)}</pre>\n</body></html>\n")
    write_jar(f"{base}-javadoc.jar", {"index.html": page.encode(), **meta})

    pathlib.Path(f"{base}.pom").write_bytes(pom)
    print(f"maven.py: {base}.jar with natives: {', '.join(sorted(natives))}")


if __name__ == "__main__":
    main()

"""Hostile C, C++, CUDA, YAML, CMake and shell files through the whole pipeline and the server:
a binary file named ``.h``, a header just under the size limit, malformed and deeply nested
C++, invalid UTF-8, UTF-16, YAML nested past what its grammar survives, unbalanced CMake. Every
file yields a record or a skip with its reason, never an exception; keywords stand where an
editor shows them; the server answers hover, definition and symbols in them and lives on."""

from __future__ import annotations

import codecs
import json
import random
import time
from pathlib import Path

import pytest
from hostile_support import editor_lines
from kwdocs.config import load_settings
from kwdocs.model import FileRecord, Kind
from kwdocs.pipeline import index_root
from rpc_support import RawServer, hover_params

UNIT = (
    "/// Adds {i}.\n"
    "TORCH_API at::Tensor add_{i}(const at::Tensor& a, int64_t b = 0);\n"
    "struct TORCH_API Box{i} : Base {{ int get() const {{ return {i}; }} }};\n"
)


def _huge_header(limit: int) -> str:
    """A namespace of declarations just under ``limit`` bytes."""
    parts = ["namespace at {\n"]
    size = len(parts[0])
    i = 0
    while True:
        unit = UNIT.format(i=i)
        if size + len(unit) + 2 > limit:
            break
        parts.append(unit)
        size += len(unit)
        i += 1
    parts.append("}\n")
    return "".join(parts)


def _files() -> dict[str, bytes]:
    blob = random.Random(16).randbytes(64 * 1024)
    deep = "namespace n { " * 5000 + "void f();" + " }" * 5000 + "\n"
    return {
        "blob.h": blob,  # a binary file with a header's name
        "huge.h": _huge_header(1_900_000).encode(),
        "broken.hpp": b"namespace a {\nclass B : public {\n  void f( int;\n};\nint g();\n",
        "deep.h": deep.encode(),
        "latin.cuh": (
            b"// caf\xe9\n__global__ void k\xe9rnel(float* x) {}\n__global__ void ok() {}\n"
        ),
        "wide.h": codecs.BOM_UTF16_LE + "struct Wide { int w; };\n".encode("utf-16-le"),
        "deep.yaml": "".join(" " * i + f"k{i}:\n" for i in range(300)).encode(),
        "CMakeLists.txt": b"function(f a\nadd_library(lib a.c\nmacro(m)\n",
        "run.sh": b"f() {\n  echo $(( 1 + \n}\ng() { :; }\n",
        "empty.c": b"",
        "ready.h": b"void ready();\n",  # what the server test polls until it is indexed
        "nul.c": b"int a;\x00\nint b(void) { return 0; }\n",
    }


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("native") / "ws"
    root.mkdir()
    for name, data in _files().items():
        (root / name).write_bytes(data)
    return root


def _check_positions(record: FileRecord, data: bytes) -> None:
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    lines = editor_lines(text)
    for keyword in record.keywords:
        assert 1 <= keyword.line <= len(lines), (record.path, keyword)
        line = lines[keyword.line - 1]
        assert 0 <= keyword.col <= keyword.end_col <= len(line), (record.path, keyword)
        if keyword.kind != Kind.INCLUDE and keyword.name.replace("_", "a").isalnum():
            assert line[keyword.col : keyword.end_col] == keyword.name, (record.path, keyword)


def test_every_hostile_file_through_the_pipeline(tree: Path) -> None:
    started = time.perf_counter()
    index, report = index_root(load_settings(tree))
    elapsed = time.perf_counter() - started
    skipped = {skip.path: skip.reason for skip in report.skipped}
    assert skipped == {"blob.h": "binary file"}
    files = _files()
    assert set(index.records) == set(files) - {"blob.h"}
    for path, record in index.records.items():
        if path != "wide.h":  # UTF-16: columns of the decoded text, checked below
            _check_positions(record, files[path])
    languages = {path: record.language for path, record in index.records.items()}
    assert languages["huge.h"] == "cpp" and languages["latin.cuh"] == "cuda"
    assert languages["CMakeLists.txt"] == "cmake" and languages["run.sh"] == "shell"
    huge = index.records["huge.h"]
    boxes = [k for k in huge.keywords if k.kind == Kind.STRUCT]
    assert len(boxes) > 10_000 and huge.keywords[1].summary == "Adds 0."
    broken = index.records["broken.hpp"]
    assert broken.problems and "could not parse" in broken.problems[0].message
    assert "g" in {k.name for k in broken.keywords}
    deep = index.records["deep.h"]
    assert deep.keywords and {k.kind for k in deep.keywords} == {Kind.NAMESPACE}
    latin = index.records["latin.cuh"]
    assert any("undecodable" in p.message for p in latin.problems), latin.problems
    assert [k.kind for k in latin.keywords] == [Kind.KERNEL, Kind.KERNEL]
    wide = index.records["wide.h"]
    assert [(k.name, k.kind) for k in wide.keywords] == [("Wide", Kind.STRUCT)]
    yaml = index.records["deep.yaml"]
    assert yaml.keywords == [] and "nested deeper" in yaml.problems[0].message
    assert index.records["CMakeLists.txt"].problems
    assert [k.name for k in index.records["run.sh"].keywords][-1] == "g"
    assert index.records["empty.c"].keywords == []
    assert {k.name for k in index.records["nul.c"].keywords} >= {"b"}
    assert elapsed < 120, elapsed  # seconds; a few on one free core


def test_the_server_answers_in_hostile_buffers(tree: Path) -> None:
    server = RawServer(tree)
    try:
        server.initialize(tree)
        server.wait_ready("ready", (tree / "ready.h").as_uri())
        for name in ("broken.hpp", "deep.h", "latin.cuh", "CMakeLists.txt", "run.sh", "deep.yaml"):
            uri = (tree / name).as_uri()
            text = (tree / name).read_bytes().decode("utf-8", "replace")
            server.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "cpp", "version": 1, "text": text}},
            )
            for line, character in ((0, 0), (1, 10), (2, 5), (0, 10_000), (10_000, 0), (-1, 3)):
                for method in ("textDocument/hover", "textDocument/definition"):
                    reply = server.request(method, hover_params(uri, line, character))
                    assert "result" in reply or "error" in reply, reply
            reply = server.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
            assert isinstance(reply.get("result"), list | None), reply
        # The binary file named .h: not indexed, and a hover on it is null, not a failure.
        blob = (tree / "blob.h").as_uri()
        reply = server.request("textDocument/hover", hover_params(blob, 0, 0))
        assert reply.get("result") is None, reply
        # Still answering, with the right answer, after all of that.
        huge = (tree / "huge.h").as_uri()
        reply = server.request("textDocument/hover", hover_params(huge, 3, 18))  # Box0
        assert "Box0" in json.dumps(reply["result"]), reply
        assert server.alive()
    finally:
        server.close()

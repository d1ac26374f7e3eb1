"""The keyword index, the record cache and whole-root indexing."""

from __future__ import annotations

import os
import time
from pathlib import Path

from kwdocs.cache import RecordCache
from kwdocs.config import load_settings
from kwdocs.extract import extract_bytes
from kwdocs.index import KeywordIndex, build_index, build_search_tables
from kwdocs.model import decode_record, encode_record
from kwdocs.pipeline import index_root

SHAPES = b'''"""Shapes."""
import math
from .base import Base as B

RATIO = 2

class Shape(B):
    """A shape."""
    def area(self): ...

def make_shape(): ...
'''
USE = b"from pkg.shapes import Shape\n\ndef area(): ...\nclass Other: ...\n"


def _index() -> KeywordIndex:
    return build_index(
        [extract_bytes("src/pkg/shapes.py", SHAPES), extract_bytes("src/pkg/use.py", USE)]
    )


def test_lookup_by_name_qualname_and_kind_order() -> None:
    index = _index()
    areas = index.lookup("area")
    assert [(d.path, d.keyword.qualname) for d in areas] == [
        ("src/pkg/use.py", "area"),  # functions rank before methods
        ("src/pkg/shapes.py", "Shape.area"),
    ]
    assert [d.path for d in index.lookup_qualname("Shape.area")] == ["src/pkg/shapes.py"]
    shape = index.lookup("Shape")
    assert [d.keyword.kind for d in shape] == ["class", "import"]
    assert index.lookup("B")[0].keyword.target == "src.pkg.base.Base"
    assert index.lookup("nothing") == []


def test_lookup_of_a_common_name_follows_every_change() -> None:
    """Names with many definitions keep their sorted answer between changes, never after."""
    index = build_index(
        [
            extract_bytes(f"pkg/m{i:03}.py", b"class C:\n    def __init__(self): ...\n")
            for i in range(80)
        ]
    )
    first = index.lookup("__init__")
    assert len(first) == 80
    assert [d.path for d in first] == sorted(d.path for d in first)
    assert index.lookup("__init__") == first
    index.update(extract_bytes("pkg/m005.py", b"def other(): ...\n"))
    assert len(index.lookup("__init__")) == 79
    assert "pkg/m005.py" not in {d.path for d in index.lookup("__init__")}
    index.update(extract_bytes("pkg/new.py", b"class D:\n    def __init__(self): ...\n"))
    assert "pkg/new.py" in {d.path for d in index.lookup("__init__")}
    index.remove("pkg/m000.py")
    assert len(index.lookup("__init__")) == 79
    assert [d.keyword.kind for d in index.lookup("__init__", kinds=["class"])] == []


def test_the_index_resolves_module_names_as_extraction_named_them() -> None:
    index = _index()
    assert index.modules.file_of("src.pkg.shapes") == "src/pkg/shapes.py"
    assert index.modules.file_of("pkg.missing") is None
    index.update(extract_bytes("src/pkg/shapes.py", b"x = 1\n", module="pkg.shapes"))
    assert index.modules.file_of("pkg.shapes") == "src/pkg/shapes.py"  # src layout
    assert index.modules.file_of("src.pkg.shapes") is None
    index.remove("src/pkg/shapes.py")
    assert index.modules.file_of("pkg.shapes") is None


def test_update_replaces_and_remove_forgets() -> None:
    index = _index()
    generation = index.generation
    index.update(extract_bytes("src/pkg/shapes.py", b"class Renamed: ...\n"))
    assert index.generation > generation
    assert [d.keyword.kind for d in index.lookup("Shape")] == ["import"]
    assert index.lookup("Renamed")[0].path == "src/pkg/shapes.py"
    assert index.lookup("RATIO") == []
    assert [d.keyword.name for d in index.search("Ren")] == ["Renamed"]
    removed = index.remove("src/pkg/shapes.py")
    assert removed is not None and index.lookup("Renamed") == []
    assert index.search("Ren") == []
    assert index.modules.file_of("src.pkg.shapes") is None
    assert index.remove("not/there.py") is None
    assert len(index) == 1


def test_search_prefix_substring_and_definitions_only() -> None:
    index = _index()
    assert [d.keyword.qualname for d in index.search("make")] == ["make_shape"]
    assert {d.keyword.qualname for d in index.search("shape")} >= {"Shape", "make_shape"}
    assert all(d.keyword.kind != "import" for d in index.search("B"))
    assert len(index.search("", limit=3)) == 3


def test_records_round_trip_through_msgpack() -> None:
    record = extract_bytes("src/pkg/shapes.py", SHAPES, mtime_ns=42)
    assert decode_record(encode_record(record)) == record


def test_cache_round_trip_and_corruption(tmp_path: Path) -> None:
    cache = RecordCache(tmp_path / "ws", tmp_path / "cache")
    assert cache.load() == {}
    record = extract_bytes("a.py", SHAPES)
    cache.save([record])
    assert cache.load() == {"a.py": record}
    cache.path.write_bytes(cache.path.read_bytes()[:-7])  # a torn write
    assert cache.load() == {}
    cache.path.write_bytes(b"kwdocs-cache 0 0.0.0\n\x90")  # an older format
    assert cache.load() == {}
    cache.path.write_bytes(b"\x00garbage")
    assert cache.load() == {}


def test_records_saved_as_their_workers_encoded_them_write_the_same_cache(
    tmp_path: Path,
) -> None:
    # An export writes the records its workers encoded as they are: the file must be the one
    # encoding them again would give, whichever records come encoded and whichever not.
    records = [
        extract_bytes("a.py", SHAPES),
        extract_bytes("b.py", USE),
        extract_bytes("c.py", b"X = 1\n"),
    ]
    plain = RecordCache(tmp_path / "ws", tmp_path / "plain")
    plain.save_records(records, None)
    raw = RecordCache(tmp_path / "ws", tmp_path / "raw")
    encoded = {r.path: encode_record(r) for r in records[:2]}
    raw.save_records(records, None, encoded)
    assert raw.path.read_bytes() == plain.path.read_bytes()
    stored = raw.load_stored()
    assert stored is not None and stored.records == records
    # With the stored tables still holding (written back as they were), the same again.
    raw.save_records(records, stored, encoded)
    assert raw.path.read_bytes() == plain.path.read_bytes()
    warm = raw.load_index()
    assert warm is not None and _answers(warm) == _answers(build_index(records))


def _answers(index: KeywordIndex) -> dict[str, list[tuple[str, int, str]]]:
    """Every name the index answers, with what it answers."""
    names = {k.name for r in index.records.values() for k in r.keywords}
    names |= {k.qualname for r in index.records.values() for k in r.keywords}
    return {
        name: [(d.path, d.keyword.line, d.keyword.qualname) for d in index.lookup(name)]
        for name in sorted(names)
    }


def test_index_from_cached_tables_answers_like_a_built_one(
    stdlib_root: Path, tmp_path: Path
) -> None:
    settings = load_settings(stdlib_root, {"cacheDir": str(tmp_path / "cache")})
    built, _ = index_root(settings)
    cache = RecordCache(settings.root, settings.cache_dir)
    warm = cache.load_index()
    assert warm is not None and len(warm) == len(built)
    assert _answers(warm) == _answers(built)
    assert [d.keyword.name for d in warm.search("Path")] == [
        d.keyword.name for d in built.search("Path")
    ]
    # Changes after a warm load: a file replaced, one removed, one added.
    some = sorted(p for p in warm.records if p.endswith(".py"))[:2]
    for index in (warm, built):
        index.update(extract_bytes(some[0], b"class Replaced: ...\n"))
        index.remove(some[1])
        index.update(extract_bytes("zz_new.py", b"def added(): ...\n"))
    assert _answers(warm) == _answers(built)
    assert warm.lookup("Replaced") and warm.lookup("added")
    # An index changed like this still saves (its tables are rebuilt) and loads back.
    cache.save_index(warm)
    again = cache.load_index()
    assert again is not None and _answers(again) == _answers(built)


def test_cache_with_inconsistent_tables_is_discarded(tmp_path: Path) -> None:
    import msgspec
    from kwdocs.cache import _magic
    from kwdocs.index import IndexTables

    cache = RecordCache(tmp_path / "ws", tmp_path / "cache")
    record = extract_bytes("a.py", SHAPES)
    for names in ({"Shape": [5 << 20]}, {"Shape": []}, {"Shape": [-1]}):
        tables = IndexTables([record], names, {})
        cache.path.parent.mkdir(parents=True, exist_ok=True)
        cache.path.write_bytes(_magic() + msgspec.msgpack.encode(tables))
        assert cache.load_index() is None
        assert cache.load() == {"a.py": record}  # the records alone are still good
    # Codes past a record's keywords (undetectable at load) answer nothing, and do not fail.
    tables = IndexTables([record], {"Shape": [len(record.keywords) + 3]}, {})
    cache.path.write_bytes(_magic() + msgspec.msgpack.encode(tables))
    loaded = cache.load_index()
    assert loaded is not None and loaded.lookup("Shape") == []


def test_index_root_uses_cache_and_notices_changes(make_tree) -> None:
    root = make_tree({"pkg/__init__.py": '"""Pkg."""\n', "pkg/shapes.py": SHAPES.decode()})
    settings = load_settings(root)
    index, report = index_root(settings)
    assert (report.files, report.extracted, report.from_cache) == (2, 2, 0)
    assert index.lookup("Shape")[0].path == "pkg/shapes.py"

    _, report = index_root(settings)
    assert (report.extracted, report.from_cache) == (0, 2)

    # Same content, new mtime: confirmed by hash, not re-extracted.
    path = root / "pkg" / "shapes.py"
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    _, report = index_root(settings)
    assert (report.extracted, report.from_cache) == (0, 2)

    path.write_text("class Changed: ...\n")
    (root / "pkg" / "new.py").write_text("def fresh(): ...\n")
    index, report = index_root(settings)
    assert (report.extracted, report.from_cache, report.files) == (2, 1, 3)
    assert index.lookup("Changed") and index.lookup("fresh") and not index.lookup("Shape")

    (root / "pkg" / "new.py").unlink()
    index, report = index_root(settings, index=index)
    assert not index.lookup("fresh") and report.files == 2


def test_index_root_in_parallel_matches_serial(stdlib_root: Path, tmp_path: Path) -> None:
    settings = load_settings(stdlib_root / "json", {"cacheDir": str(tmp_path / "c1")})
    settings.use_cache = False
    serial_settings = load_settings(stdlib_root / "json")
    serial_settings.use_cache = False
    serial_settings.jobs = 1
    from kwdocs import pipeline

    saved = pipeline.PARALLEL_THRESHOLD, pipeline._CHUNK_BYTES
    # Force the worker processes on this small tree, a few files a unit.
    pipeline.PARALLEL_THRESHOLD, pipeline._CHUNK_BYTES = 1, 4096
    try:
        parallel, report = index_root(settings)
    finally:
        pipeline.PARALLEL_THRESHOLD, pipeline._CHUNK_BYTES = saved
    serial, _ = index_root(serial_settings)
    assert report.extracted == len(parallel) > 3
    assert parallel.records == serial.records


def test_skips_are_reported(make_tree) -> None:
    root = make_tree({"ok.py": "x = 1\n", "bin.py": b"\x00\x01\x02\x03" * 100})
    index, report = index_root(load_settings(root))
    assert list(index.records) == ["ok.py"]
    assert [(s.path, s.reason) for s in report.skipped] == [("bin.py", "binary file")]


def test_search_after_files_come_and_go() -> None:
    """Names whose last definition goes stay out of answers, and come back with it, whether the
    search tables were built before or after."""
    index = _index()
    index.install_search(*build_search_tables(index.begin_search_build()))
    assert [d.keyword.name for d in index.search("make_shape")] == ["make_shape"]
    shapes = index.remove("src/pkg/shapes.py")
    assert shapes is not None
    assert index.search("make_shape") == [] and index.search("make_") == []
    assert all(d.keyword.name != "make_shape" for d in index.search(""))
    index.update(shapes)
    assert [d.keyword.name for d in index.search("make_sh")] == ["make_shape"]
    # Many names gone at once: the sorted list is compacted, answers stay right.
    many = extract_bytes("big.py", "".join(f"def gone_{i}(): ...\n" for i in range(6000)).encode())
    index.update(many)
    assert len(index.search("gone_", limit=10)) == 10
    index.remove("big.py")
    assert index.search("gone_") == [] and index.search("gone_59") == []
    assert [d.keyword.name for d in index.search("make_shape")] == ["make_shape"]

"""How the indexer hands out work: every file exactly once, in order, balanced by bytes, the
files a user looks at first and alone; gc is back on afterwards."""

from __future__ import annotations

import gc
from pathlib import Path

from kwdocs.config import load_settings
from kwdocs.pipeline import _CHUNK, _CHUNK_BYTES, chunked, index_root


def test_chunks_keep_order_and_every_path_once() -> None:
    paths = [f"f{i}.py" for i in range(100)]
    sizes = {p: (i * 7919) % 50_000 for i, p in enumerate(paths)}
    for chunks in (chunked(paths), chunked(paths, sizes)):
        assert [p for chunk in chunks for p in chunk] == paths
        assert all(chunks)


def test_chunks_by_bytes_put_a_large_file_alone() -> None:
    paths = ["big.py", "a.py", "b.py", "c.py"]
    sizes = {"big.py": _CHUNK_BYTES * 2, "a.py": 10, "b.py": 10, "c.py": 10}
    assert chunked(paths, sizes) == [["big.py"], ["a.py", "b.py", "c.py"]]


def test_chunks_without_sizes_hold_a_fixed_count() -> None:
    paths = [f"f{i}.py" for i in range(_CHUNK * 2 + 1)]
    assert [len(c) for c in chunked(paths)] == [_CHUNK, _CHUNK, 1]


def test_tiny_files_are_capped_per_chunk() -> None:
    paths = [f"f{i}.py" for i in range(_CHUNK * 5)]
    chunks = chunked(paths, dict.fromkeys(paths, 1))
    assert max(len(c) for c in chunks) == _CHUNK * 4


def test_index_root_with_first_files_indexes_all_and_restores_gc(make_tree, tmp_path: Path) -> None:
    files = {f"pkg/m{i}.py": f"def f{i}():\n    '''F {i}.'''\n" * (i + 1) for i in range(60)}
    root = make_tree(files)
    settings = load_settings(root, {"cacheDir": str(tmp_path / "cache"), "jobs": 2})
    seen: list[int] = []
    assert gc.isenabled()
    index, report = index_root(
        settings, first=["pkg/m3.py"], progress=lambda done, total: seen.append(done)
    )
    assert gc.isenabled()  # paused only while indexing
    assert report.extracted == 60 and len(index) == 60
    assert [k.name for k in index.get("pkg/m3.py").keywords][:1] == ["f3"]
    assert seen[0] == 0 and seen[-1] == 60 and seen == sorted(seen)

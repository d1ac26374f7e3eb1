"""C/C++ header extraction against an independent oracle: libclang, compiling PyTorch 2.13.0's
own headers from the wheel.

What counts as "a declaration libclang sees": a cursor of a kind kwdocs extracts (namespace;
class, struct, union, enum and class template *definitions*; enumerator; function, method,
constructor, destructor, conversion and function template; typedef and ``using`` alias; a
variable at namespace scope; macro definition; inclusion directive), whose location is in the
header itself (not in a header it includes), reached from the translation unit through
namespaces, linkage specifications and class bodies only (never a function body, a template
parameter or a friend declaration), and named (anonymous records and deduction guides have no
name to match). Both sides are compared by (line of the name, name); constructor names drop the
template arguments libclang spells (``Foo<T>``), whitespace is ignored.

The sample: every n-th header of ``c10/``, ``ATen/`` and ``torch/`` under ``torch/include``,
leaving out the folders that need SDKs this machine has not (CUDA, ROCm, XPU, MPS, Vulkan,
oneDNN…) and then, as libclang reports them, the headers that do not compile here (they and
every sampled header including them). All of them are compiled in one translation unit, so
shared includes are parsed once.

Every difference has a reason, counted and asserted below.
"""

from __future__ import annotations

import collections
import ctypes
import enum
import shutil
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest
from kwdocs.extract.cfamily import extract_cpp
from kwdocs.model import Kind
from kwdocs.textlines import content_lines as split_lines
from native_support import native_root  # noqa: F401  (a fixture)

cindex = pytest.importorskip("clang.cindex")

pytestmark = pytest.mark.slow

SAMPLE_SIZE = 400
# Folders whose headers need an SDK or generated config the wheel does not ship.
NEEDS_SDK = (
    "cuda", "hip", "xpu", "mps", "metal", "vulkan", "mkldnn", "onednn", "cudnn", "miopen",
    "mkl", "nccl", "cutlass", "mtia", "openreg", "opencl", "ROCm", "rocm", "python",
    "inductor", "xnnpack", "qnnpack", "sparse", "quantized", "cpu/vec", "kleidi", "zendnn",
    "lazy", "deploy", "nativert", "stable", "shim", "aoti", "mobile", "ao/", "sycl",
)  # fmt: skip


class Group(str, enum.Enum):
    """What both sides call a declaration, coarsely (libclang's method is our function when
    the class is in another file)."""

    NAMESPACE = "namespace"
    TYPE = "type"
    ENUMERATOR = "enumerator"
    FUNCTION = "function"
    TYPEDEF = "typedef"
    VARIABLE = "variable"
    MACRO = "macro"
    INCLUDE = "include"


class Reason(str, enum.Enum):
    """Why the two sides differ on a declaration."""

    MACRO_EXPANSION = "libclang: declared by a macro expansion, absent from the source text"
    INACTIVE_BRANCH = "tree-sitter: in a preprocessor branch the compiler skipped"
    MACRO_MISREAD = "tree-sitter: a macro tree-sitter cannot expand hid or bent a declaration"
    UNEXPLAINED = "no reason found"


K = cindex.CursorKind
CLANG_GROUPS = {
    K.NAMESPACE: Group.NAMESPACE,
    K.CLASS_DECL: Group.TYPE,
    K.STRUCT_DECL: Group.TYPE,
    K.UNION_DECL: Group.TYPE,
    K.CLASS_TEMPLATE: Group.TYPE,
    K.CLASS_TEMPLATE_PARTIAL_SPECIALIZATION: Group.TYPE,
    K.ENUM_DECL: Group.TYPE,
    K.ENUM_CONSTANT_DECL: Group.ENUMERATOR,
    K.FUNCTION_DECL: Group.FUNCTION,
    K.CXX_METHOD: Group.FUNCTION,
    K.CONSTRUCTOR: Group.FUNCTION,
    K.DESTRUCTOR: Group.FUNCTION,
    K.CONVERSION_FUNCTION: Group.FUNCTION,
    K.FUNCTION_TEMPLATE: Group.FUNCTION,
    K.TYPEDEF_DECL: Group.TYPEDEF,
    K.TYPE_ALIAS_DECL: Group.TYPEDEF,
    K.TYPE_ALIAS_TEMPLATE_DECL: Group.TYPEDEF,
    K.VAR_DECL: Group.VARIABLE,
    K.MACRO_DEFINITION: Group.MACRO,
    K.INCLUSION_DIRECTIVE: Group.INCLUDE,
}
DESCEND = {
    K.NAMESPACE,
    K.LINKAGE_SPEC,
    K.UNEXPOSED_DECL,
    K.CLASS_DECL,
    K.STRUCT_DECL,
    K.UNION_DECL,
    K.CLASS_TEMPLATE,
    K.CLASS_TEMPLATE_PARTIAL_SPECIALIZATION,
    K.ENUM_DECL,
}
NAMESPACE_SCOPES = {K.NAMESPACE, K.LINKAGE_SPEC, K.UNEXPOSED_DECL, K.TRANSLATION_UNIT}
OUR_GROUPS = {
    Kind.NAMESPACE: Group.NAMESPACE,
    Kind.CLASS: Group.TYPE,
    Kind.STRUCT: Group.TYPE,
    Kind.UNION: Group.TYPE,
    Kind.ENUM: Group.TYPE,
    Kind.ENUMERATOR: Group.ENUMERATOR,
    Kind.FUNCTION: Group.FUNCTION,
    Kind.METHOD: Group.FUNCTION,
    Kind.KERNEL: Group.FUNCTION,
    Kind.TYPEDEF: Group.TYPEDEF,
    Kind.VARIABLE: Group.VARIABLE,
    Kind.CONSTANT: Group.VARIABLE,
    Kind.MACRO: Group.MACRO,
    Kind.INCLUDE: Group.INCLUDE,
}


def normalised(name: str) -> str:
    """Names as both sides can agree on: no whitespace; ``Foo<T>`` (libclang's constructor of
    a class template) as ``Foo``."""
    flat = "".join(name.split())
    if not flat.startswith(("operator", "~operator")) and "<" in flat:
        flat = flat[: flat.index("<")]
    return flat


@dataclass(frozen=True)
class Seen:
    """One declaration: where its name is and what it is."""

    line: int
    name: str
    group: Group
    col: int = 0
    end_line: int = 0
    """Last line of the declaration's extent."""


@dataclass
class Oracle:
    headers: list[str]
    declarations: dict[str, set[Seen]]
    expansions: dict[str, list[tuple[int, int, int, int]]]
    skipped: dict[str, list[tuple[int, int]]]
    tu: object


def _compiler_args(include: Path) -> list[str]:
    args = [
        "-x",
        "c++",
        "-std=c++17",
        f"-I{include}",
        f"-I{include}/torch/csrc/api/include",
        "-fsyntax-only",
        "-w",
    ]
    # The libclang wheel has no builtin headers (stddef.h…); GCC's serve.
    gcc = shutil.which("gcc")
    if gcc:
        builtin = subprocess.run(
            [gcc, "-print-file-name=include"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if builtin and Path(builtin, "stddef.h").exists():
            args += ["-isystem", builtin]
    python_include = sysconfig.get_paths().get("include")
    if python_include and Path(python_include, "Python.h").exists():
        args += ["-isystem", python_include]
    return args


def _sample(include: Path) -> list[str]:
    headers = sorted(
        str(path.relative_to(include))
        for path in include.rglob("*")
        if path.suffix in (".h", ".hpp")
        and path.relative_to(include).parts[0] in ("c10", "ATen", "torch")
    )
    headers = [h for h in headers if not any(part in h for part in NEEDS_SDK)]
    return headers[:: max(1, len(headers) // SAMPLE_SIZE)]


def _build_oracle(include: Path) -> Oracle:
    options = (
        cindex.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD
        | cindex.TranslationUnit.PARSE_SKIP_FUNCTION_BODIES
        | cindex.TranslationUnit.PARSE_INCOMPLETE
    )
    index = cindex.Index.create()
    args = _compiler_args(include)
    headers = _sample(include)
    for _ in range(5):
        source = "".join(f"#include <{h}>\n" for h in headers)
        tu = index.parse(
            "oracle.cpp", args=args, unsaved_files=[("oracle.cpp", source)], options=options
        )
        broken = {
            str(Path(d.location.file.name))
            for d in tu.diagnostics
            if d.severity >= cindex.Diagnostic.Error and d.location.file
        }
        if not broken:
            break
        # Leave out the broken headers and every sampled header that includes one.
        includers: dict[str, set[str]] = collections.defaultdict(set)
        for inclusion in tu.get_includes():
            includers[inclusion.include.name].add(inclusion.source.name)
        tainted = set(broken)
        frontier = list(broken)
        while frontier:
            for parent in includers.get(frontier.pop(), ()):
                if parent not in tainted:
                    tainted.add(parent)
                    frontier.append(parent)
        headers = [h for h in headers if str(include / h) not in tainted]
    else:
        pytest.fail("libclang still reports errors after leaving out the broken headers")
    by_path = {str(include / h): h for h in headers}
    declarations: dict[str, set[Seen]] = collections.defaultdict(set)
    expansions: dict[str, list[tuple[int, int, int, int]]] = collections.defaultdict(list)
    stack = [(cursor, True) for cursor in tu.cursor.get_children()]
    while stack:
        cursor, namespace_scope = stack.pop()
        location = cursor.location
        header = by_path.get(location.file.name) if location.file else None
        kind = cursor.kind
        if header is not None:
            if kind == K.MACRO_INSTANTIATION:
                extent = cursor.extent
                expansions[header].append(
                    (extent.start.line, extent.start.column, extent.end.line, extent.end.column)
                )
                continue
            group = CLANG_GROUPS.get(kind)
            name = cursor.spelling
            wanted = group is not None and name and not name.startswith(("(", "<"))
            if group is Group.TYPE and not cursor.is_definition():
                wanted = False
            if group is Group.VARIABLE and not namespace_scope:
                wanted = False
            if wanted:
                seen = Seen(
                    location.line,
                    normalised(name),
                    group,
                    location.column,
                    cursor.extent.end.line,
                )
                declarations[header].add(seen)
        if kind in DESCEND:
            inner = kind in NAMESPACE_SCOPES
            stack.extend((child, inner) for child in cursor.get_children())
    return Oracle(headers, declarations, expansions, _skipped_ranges(tu, by_path), tu)


class _RangeList(ctypes.Structure):
    _fields_ = [("count", ctypes.c_uint), ("ranges", ctypes.POINTER(cindex.SourceRange))]


def _skipped_ranges(tu, by_path: dict[str, str]) -> dict[str, list[tuple[int, int]]]:
    """The lines of each header in preprocessor branches the compiler skipped (the Python
    bindings do not wrap ``clang_getSkippedRanges``)."""
    lib = cindex.conf.lib
    lib.clang_getSkippedRanges.restype = ctypes.POINTER(_RangeList)
    lib.clang_getSkippedRanges.argtypes = [cindex.TranslationUnit, cindex.File]
    lib.clang_disposeSourceRangeList.argtypes = [ctypes.POINTER(_RangeList)]
    skipped: dict[str, list[tuple[int, int]]] = {}
    for full, header in by_path.items():
        ranges = lib.clang_getSkippedRanges(tu, cindex.File.from_name(tu, full))
        listed = ranges.contents
        skipped[header] = [
            (listed.ranges[i].start.line, listed.ranges[i].end.line) for i in range(listed.count)
        ]
        lib.clang_disposeSourceRangeList(ranges)
    return skipped


@pytest.fixture(scope="module")
def oracle(native_root: Path) -> Oracle:  # noqa: F811
    try:
        cindex.Index.create()
    except Exception as error:  # the wheel's shared library cannot load here
        pytest.skip(f"libclang cannot load: {error}")
    return _build_oracle(native_root / "torch" / "include")


@dataclass
class Comparison:
    clang_total: int = 0
    ours_total: int = 0
    matched: int = 0
    reasons: collections.Counter = None  # type: ignore[assignment]
    explained: list = None  # type: ignore[assignment]
    groups_disagree: int = 0


def _macro_within(expansions: list[tuple[int, int, int, int]], first: int, last: int) -> bool:
    """Whether libclang expanded a macro on the declaration's lines."""
    return any(first <= start <= last for start, _, _, _ in expansions)


def _compare(oracle: Oracle, include: Path) -> Comparison:
    result = Comparison(reasons=collections.Counter(), explained=[])
    for header in oracle.headers:
        text = (include / header).read_text(encoding="utf-8", errors="replace")
        record = extract_cpp(header, text, split_lines(text))
        ours = {(k.line, normalised(k.name)): OUR_GROUPS[Kind(k.kind)] for k in record.keywords}
        extents = {(k.line, normalised(k.name)): k.end_line for k in record.keywords}
        theirs = {(s.line, s.name): s for s in oracle.declarations.get(header, ())}
        skipped = oracle.skipped.get(header, [])
        expansions = oracle.expansions.get(header, [])
        result.clang_total += len(theirs)
        result.ours_total += len(ours)
        for key, seen in theirs.items():
            if key in ours:
                result.matched += 1
                result.groups_disagree += ours[key] is not seen.group
            elif any(
                (sl, sc) <= (seen.line, seen.col) <= (el, ec) for sl, sc, el, ec in expansions
            ):
                result.reasons[Reason.MACRO_EXPANSION] += 1
            elif _macro_within(expansions, seen.line, seen.end_line):
                result.reasons[Reason.MACRO_MISREAD] += 1
                result.explained.append(("libclang only", header, key))
            else:
                result.reasons[Reason.UNEXPLAINED] += 1
                result.explained.append(("libclang only, UNEXPLAINED", header, key))
        for key in ours.keys() - theirs.keys():
            if any(start <= key[0] <= end for start, end in skipped):
                result.reasons[Reason.INACTIVE_BRANCH] += 1
            elif _macro_within(expansions, key[0], extents[key]):
                result.reasons[Reason.MACRO_MISREAD] += 1
                result.explained.append(("tree-sitter only", header, key))
            else:
                result.reasons[Reason.UNEXPLAINED] += 1
                result.explained.append(("tree-sitter only, UNEXPLAINED", header, key))
    return result


def test_oracle_covers_enough_headers(oracle: Oracle) -> None:
    assert len(oracle.headers) >= 300
    assert sum(len(v) for v in oracle.declarations.values()) > 10_000


def test_declarations_match_libclang(oracle: Oracle, native_root: Path) -> None:  # noqa: F811
    result = _compare(oracle, native_root / "torch" / "include")
    visible = result.clang_total - result.reasons[Reason.MACRO_EXPANSION]
    recall = result.matched / visible
    in_active_code = result.ours_total - result.reasons[Reason.INACTIVE_BRANCH]
    precision = result.matched / in_active_code
    print(
        f"headers {len(oracle.headers)}, libclang {result.clang_total}, ours {result.ours_total}, "
        f"matched {result.matched}, recall {recall:.4f}, precision {precision:.4f}, "
        f"reasons {dict(result.reasons)}, groups disagree {result.groups_disagree}"
    )
    for entry in result.explained[:400]:
        print(entry)
    assert recall >= 0.99
    assert precision >= 0.99
    assert result.groups_disagree == 0
    # PyTorch 2.13.0's headers, libclang 18: the counts move only when the extractor does.
    assert dict(result.reasons) == {
        Reason.MACRO_EXPANSION: 343,
        Reason.INACTIVE_BRANCH: 33,
        Reason.MACRO_MISREAD: 5,
    }

"""The tree-sitter extractors on real files of the PyTorch 2.13.0 wheel (C++ and CUDA headers,
``native_functions.yaml``, CMake files) and on a shell script written here (the wheel has
none): exact keyword lists, positions, summaries; the suffix table and include candidates."""

from __future__ import annotations

from pathlib import Path

import pytest
from kwdocs.extract.cfamily import extract_c, extract_cpp, extract_cuda
from kwdocs.extract.cmake import extract_cmake
from kwdocs.extract.includes import include_candidates, include_roots, is_system_include
from kwdocs.extract.languages import NativeLanguage, extractor, native_language
from kwdocs.extract.result import LanguageResult
from kwdocs.extract.shell import extract_shell
from kwdocs.extract.yaml import extract_yaml
from kwdocs.model import Kind
from kwdocs.textlines import content_lines as split_lines
from native_support import native_root  # noqa: F401  (a fixture)

INCLUDE = "torch/include"
PROCESS_GROUP = f"{INCLUDE}/torch/csrc/distributed/c10d/ProcessGroup.hpp"


def run(extract, root: Path, rel: str) -> tuple[LanguageResult, list[str]]:
    text = (root / rel).read_text(encoding="utf-8")
    lines = split_lines(text)
    return extract(rel, text, lines), lines


def shown(lines: list[str], keyword) -> str:
    """The text at a keyword's name position, as an editor shows it."""
    return lines[keyword.line - 1][keyword.col : keyword.end_col]


def test_process_group_class_and_methods(native_root: Path) -> None:  # noqa: F811
    result, lines = run(extract_cpp, native_root, PROCESS_GROUP)
    by_qualname = {k.qualname: k for k in result.keywords}
    group = by_qualname["c10d::ProcessGroup"]
    assert (group.kind, group.line, group.col, group.end_line) == (Kind.CLASS, 73, 16, 1102)
    assert group.signature == "class TORCH_API ProcessGroup : public torch::CustomClassHolder"
    assert group.bases == ("torch::CustomClassHolder",)
    assert group.summary.startswith("ProcessGroup is a base class that captures collective and")
    allreduce = by_qualname["c10d::ProcessGroup::allreduce"]
    assert (allreduce.kind, allreduce.line, allreduce.declaration) == (Kind.METHOD, 241, False)
    assert allreduce.signature.startswith(
        "virtual c10::intrusive_ptr<Work> allreduce( std::vector<at::Tensor>& tensors,"
    )
    destructor = by_qualname["c10d::ProcessGroup::~ProcessGroup"]
    assert (destructor.line, destructor.declaration) == (147, True)
    assert destructor.signature == "~ProcessGroup() override"
    assert by_qualname["c10d::ProcessGroup::getRank"].line == 149
    assert by_qualname["c10d::ProcessGroup::BackendType::NCCL"].kind == Kind.ENUMERATOR
    assert by_qualname["c10d::ProcessGroup::MergeOptions"].kind == Kind.STRUCT
    assert by_qualname["kProcessGroupDefaultTimeout"].kind == Kind.CONSTANT
    # Every method of the class is qualified by it: the export macro did not break it apart.
    methods = [k for k in result.keywords if k.kind == Kind.METHOD]
    assert len(methods) > 60
    assert all(k.qualname.startswith("c10d::ProcessGroup::") for k in methods)
    assert not result.problems
    for keyword in result.keywords:
        if keyword.kind == Kind.INCLUDE:
            assert shown(lines, keyword) == keyword.target
        else:
            assert shown(lines, keyword) == keyword.name, keyword
    includes = [k.target for k in result.keywords if k.kind == Kind.INCLUDE]
    assert includes[:3] == [
        "torch/csrc/distributed/c10d/Backend.hpp",
        "torch/csrc/distributed/c10d/Work.hpp",
        "memory",
    ]
    assert all(is_system_include(k) for k in result.keywords if k.kind == Kind.INCLUDE)


def test_cuda_kernels(native_root: Path) -> None:  # noqa: F811
    result, lines = run(extract_cuda, native_root, f"{INCLUDE}/ATen/native/cuda/vol2col.cuh")
    found = [(k.kind, k.qualname, k.line) for k in result.keywords if k.kind != Kind.INCLUDE]
    assert found == [
        (Kind.NAMESPACE, "at", 11),
        (Kind.NAMESPACE, "at::native", 11),
        (Kind.KERNEL, "at::native::vol2col_kernel", 18),
        (Kind.FUNCTION, "at::native::vol2col", 75),
        (Kind.KERNEL, "at::native::vol2im_kernel", 129),
        (Kind.FUNCTION, "at::native::col2vol", 199),
    ]
    kernel = result.keywords[7]
    assert kernel.summary == "Kernel for fast unfold+copy on volumes"
    assert kernel.signature.startswith("template <typename T> C10_LAUNCH_BOUNDS_1(1024) __global__")
    assert shown(lines, kernel) == "vol2col_kernel"


def test_native_functions_yaml(native_root: Path) -> None:  # noqa: F811
    rel = "torchgen/packaged/ATen/native/native_functions.yaml"
    result, lines = run(extract_yaml, native_root, rel)
    entries = [line for line in lines if line.startswith("- func:")]
    operators = [k for k in result.keywords if k.kind == Kind.FUNCTION]
    assert len(operators) == len(entries) == 2584
    first = operators[0]
    assert (first.name, first.line, first.col) == ("_cast_Byte", 9, 8)
    assert first.signature == "_cast_Byte(Tensor self, bool non_blocking=False) -> Tensor"
    add = next(k for k in operators if k.name == "add.Tensor")
    assert add.signature.startswith("add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1)")
    assert all(shown(lines, k) == k.name for k in operators)
    assert not result.problems


def test_yaml_top_level_keys() -> None:
    text = "version: 3\n# Settings below.\nnested:\n  inner: 1\n'quoted key': x\n"
    result = extract_yaml("a.yaml", text, split_lines(text))
    keys = [(k.name, k.line, k.col, k.end_col, k.summary) for k in result.keywords]
    assert keys == [
        ("version", 1, 0, 7, ""),
        ("nested", 3, 0, 6, "Settings below."),
        ("quoted key", 5, 1, 11, ""),
    ]


def test_cmake_functions_macros_targets(native_root: Path) -> None:  # noqa: F811
    result, lines = run(extract_cmake, native_root, "torch/share/cmake/Caffe2/public/utils.cmake")
    definitions = [(k.kind, k.name, k.line) for k in result.keywords if k.kind != Kind.TARGET]
    assert [d for d in definitions if d[0] != Kind.VARIABLE] == [
        (Kind.FUNCTION, "exclude", 3),
        (Kind.FUNCTION, "prepend", 11),
        (Kind.FUNCTION, "caffe2_parse_version_str", 24),
        (Kind.FUNCTION, "dedent", 46),
        (Kind.FUNCTION, "pycmd_no_exit", 71),
        (Kind.FUNCTION, "pycmd", 104),
        (Kind.MACRO, "caffe2_update_option", 120),
        (Kind.MACRO, "caffe2_interface_library", 156),
        (Kind.FUNCTION, "caffe2_binary_target", 225),
        (Kind.FUNCTION, "caffe2_hip_binary_target", 245),
        (Kind.MACRO, "torch_cuda_based_add_library", 266),
        (Kind.MACRO, "torch_hip_get_arch_list", 280),
        (Kind.MACRO, "torch_xpu_get_arch_list", 301),
        (Kind.MACRO, "torch_cuda_get_nvcc_gencode_flag", 312),
        (Kind.FUNCTION, "torch_compile_options", 339),
        (Kind.FUNCTION, "torch_update_find_cuda_flags", 468),
        (Kind.FUNCTION, "append_cxx_flag_if_supported", 509),
        (Kind.FUNCTION, "append_c_flag_if_supported", 525),
        (Kind.FUNCTION, "target_compile_options_if_supported", 543),
        (Kind.FUNCTION, "add_link_options_if_supported", 552),
        (Kind.FUNCTION, "target_link_options_if_supported", 561),
    ]
    assert result.keywords[0].summary.startswith("Exclude and prepend functionalities")
    assert all(shown(lines, k) == k.name for k in result.keywords)
    targets, _ = run(extract_cmake, native_root, "torch/share/cmake/Caffe2/Caffe2Targets.cmake")
    assert [(k.name, k.line) for k in targets.keywords if k.kind == Kind.TARGET] == [
        ("headeronly", 59),
        ("c10", 62),
        ("torch_cpu", 70),
        ("torch_cpu_library", 79),
        ("torch", 90),
        ("torch_library", 97),
    ]


SCRIPT = """#!/usr/bin/env bash
set -euo pipefail

# Print a line to stderr with the time.
log() { printf '[%s] %s\\n' "$(date +%T)" "$*" >&2; }

function cleanup {
  rm -rf "$work"
}

if [[ -n "${CI:-}" ]]; then
  # Only on CI: the runner's own retry.
  retry() { "$@" || "$@"; }
fi
"""


def test_shell_functions() -> None:
    lines = split_lines(SCRIPT)
    result = extract_shell("setup.sh", SCRIPT, lines)
    found = [(k.name, k.line, k.col, k.end_line, k.summary) for k in result.keywords]
    assert found == [
        ("log", 5, 0, 5, "Print a line to stderr with the time."),
        ("cleanup", 7, 9, 9, ""),
        ("retry", 13, 2, 13, "Only on CI: the runner's own retry."),
    ]
    assert result.keywords[1].signature == "function cleanup"


def test_shell_shebang_is_not_a_summary() -> None:
    text = "#!/bin/sh\n# Prints a greeting.\ngreet() {\n  echo hi\n}\n"
    result = extract_shell("greet.sh", text, split_lines(text))
    assert [(k.name, k.summary) for k in result.keywords] == [("greet", "Prints a greeting.")]


def test_c_file_and_doxygen_summaries() -> None:
    text = (
        '/** @file\n * Ring buffers for the logger.\n */\n\n#include "ring.h"\n\n'
        "/// Makes a ring.\n/// Returns NULL when out of memory.\n"
        "struct ring *ring_new(size_t n);\n"
        "\n/**\n * @brief Frees a ring. Safe on NULL.\n */\nvoid ring_free(struct ring *r) {}\n"
        "typedef struct { int n; } ring_stats;\n#define RING_MAX(a, b) ((a) > (b) ? (a) : (b))\n"
    )
    result = extract_c("ring.c", text, split_lines(text))
    assert result.docstring == "Ring buffers for the logger."
    found = [(k.kind, k.name, k.line, k.declaration, k.summary) for k in result.keywords]
    assert found == [
        (Kind.INCLUDE, "ring.h", 5, False, ""),
        (
            Kind.FUNCTION,
            "ring_new",
            9,
            True,
            "Makes a ring. Returns NULL when out of memory.",
        ),
        (Kind.FUNCTION, "ring_free", 14, False, "Frees a ring. Safe on NULL."),
        (Kind.TYPEDEF, "ring_stats", 15, False, ""),
        (Kind.MACRO, "RING_MAX", 16, False, ""),
    ]
    assert not is_system_include(result.keywords[0])
    assert result.keywords[-1].signature == "#define RING_MAX(a, b)"


def test_a_comment_on_the_declarations_own_line_is_no_description(native_root: Path) -> None:  # noqa: F811
    # c10's Device.h: the doc comment, then ``/* implicit */ Device(DeviceType type, ...)``.
    result, _lines = run(extract_cpp, native_root, f"{INCLUDE}/c10/core/Device.h")
    constructors = [k for k in result.keywords if k.qualname == "c10::Device::Device"]
    assert [k.summary for k in constructors] == [
        "Constructs a new `Device` from a `DeviceType` and an optional device index.",
        "Constructs a `Device` from a string description, for convenience. The string supplied "
        "must follow the following schema: `(cpu|cuda)[:<device-index>]` where `cpu` or `cuda` "
        "specifies the device type, and `:<device-index>` optionally specifies a device index.",
    ]
    # Alone on the line above, such a comment is the declaration's description.
    text = "/* Makes a ring. */\nstruct ring *ring_new(int n);\n"
    (found,) = extract_c("ring.c", text, split_lines(text)).keywords
    assert found.summary == "Makes a ring."


def test_out_of_line_definitions_and_templates() -> None:
    text = """namespace ns {
struct Widget {
  template <typename T>
  void put(T value);
  virtual int size() const = 0;
};
template <typename T>
void Widget::put(T value) {}
using Names = std::vector<std::string>;
enum class Color : int { Red, Green };
}  // namespace ns
int ns::free_function() { return 1; }
"""
    lines = split_lines(text)
    result = extract_cpp("w.cpp", text, lines)
    found = [(k.kind, k.qualname, k.line, k.declaration) for k in result.keywords]
    assert found == [
        (Kind.NAMESPACE, "ns", 1, False),
        (Kind.STRUCT, "ns::Widget", 2, False),
        (Kind.METHOD, "ns::Widget::put", 4, True),
        (Kind.METHOD, "ns::Widget::size", 5, True),
        (Kind.METHOD, "ns::Widget::put", 8, False),
        (Kind.TYPEDEF, "ns::Names", 9, False),
        (Kind.ENUM, "ns::Color", 10, False),
        (Kind.ENUMERATOR, "ns::Color::Red", 10, False),
        (Kind.ENUMERATOR, "ns::Color::Green", 10, False),
        (Kind.FUNCTION, "ns::free_function", 12, False),
    ]
    put = result.keywords[2]
    assert put.signature == "template <typename T> void put(T value)"
    assert put.end_line == 4
    assert all(shown(lines, k) == k.name for k in result.keywords)


def test_columns_are_code_points() -> None:
    text = (
        '// Größe: “wide” ☃\nconst char* s = "é"; int größe_ok();\nstruct Ünïcode { void ☃(); };\n'
    )
    lines = split_lines(text)
    result = extract_cpp("u.h", text, lines)
    assert [shown(lines, k) for k in result.keywords] == [k.name for k in result.keywords]
    assert "größe_ok" in [k.name for k in result.keywords]


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a/b.h", NativeLanguage.CPP),
        ("a/b.H", NativeLanguage.CPP),
        ("x.c", NativeLanguage.C),
        ("k.cuh", NativeLanguage.CUDA),
        ("k.cu", NativeLanguage.CUDA),
        ("t.inl", NativeLanguage.CPP),
        ("conf/CMakeLists.txt", NativeLanguage.CMAKE),
        ("x.cmake", NativeLanguage.CMAKE),
        ("ci.yml", NativeLanguage.YAML),
        ("run.bash", NativeLanguage.SHELL),
        ("notes.txt", None),
        ("Makefile", None),
        (".h", None),
    ],
)
def test_suffix_table(path: str, language: NativeLanguage | None) -> None:
    assert native_language(path) is language
    if language is not None:
        assert callable(extractor(language))


def test_include_candidates() -> None:
    including = "torch/include/torch/csrc/distributed/c10d/ProcessGroup.hpp"
    assert include_roots(including) == ["torch/include"]
    assert include_candidates(including, "Backend.hpp", system=False) == [
        "torch/include/torch/csrc/distributed/c10d/Backend.hpp",
        "torch/include/Backend.hpp",
        "Backend.hpp",
    ]
    assert include_candidates(
        including,
        "torch/csrc/distributed/c10d/Work.hpp",
        system=True,
        extra_roots=["torch/include/torch/csrc/api/include"],
    ) == [
        "torch/include/torch/csrc/distributed/c10d/Work.hpp",
        "torch/include/torch/csrc/api/include/torch/csrc/distributed/c10d/Work.hpp",
        "torch/csrc/distributed/c10d/Work.hpp",
    ]
    # A workspace rooted inside the include root: a target naming the root's folders leads
    # below the root too (after every path inside the workspace).
    above = ("c10", "include", "torch")
    assert include_candidates(
        "core/Device.h", "c10/core/DeviceType.h", system=True, above=above
    ) == [
        "c10/core/DeviceType.h",
        "core/DeviceType.h",
    ]
    assert include_candidates("a.h", "torch/include/c10/b.h", system=True, above=above) == [
        "torch/include/c10/b.h",
        "b.h",
    ]
    assert include_candidates("a.h", "c10x/b.h", system=True, above=above) == ["c10x/b.h"]
    assert include_candidates("a.h", "c10/../../b.h", system=True, above=above) == []
    assert include_candidates("src/a.c", "../inc/b.h", system=False) == ["inc/b.h"]
    assert include_candidates("a.c", "../../etc/passwd", system=False) == []
    assert include_candidates("a.c", "/usr/include/stdio.h", system=True) == []


def test_the_opening_comment_of_yaml_cmake_and_shell_files() -> None:
    text = "# Ops of the library.\n\n# DEPRECATED. DO NOT USE\n- func: a()\n"
    assert extract_yaml("ops.yaml", text, split_lines(text)).docstring == "Ops of the library."
    # A shebang is no comment; a licence is no purpose; the next block is.
    text = "#!/bin/sh\n# Copyright 2024 X. Licensed MIT.\n\n# Builds the docs.\n\nset -e\n"
    assert extract_shell("build.sh", text, split_lines(text)).docstring == "Builds the docs."
    # Right above the first command (no blank line), a comment is that command's.
    text = "# Adds a target.\nmacro(add_thing)\nendmacro()\n"
    result = extract_cmake("things.cmake", text, split_lines(text))
    assert result.docstring == ""
    assert [k.summary for k in result.keywords] == ["Adds a target."]


def test_an_export_macro_before_a_qualified_return_type(native_root: Path) -> None:  # noqa: F811
    # ``C10_API const caffe2::TypeMeta get_default_dtype();`` read the macro as the type and
    # the return type as the name's scope: ``c10::caffe2::TypeMeta::get_default_dtype``.
    result, lines = run(extract_cpp, native_root, f"{INCLUDE}/c10/core/DefaultDtype.h")
    functions = [(k.qualname, k.line) for k in result.keywords if k.kind == Kind.FUNCTION]
    assert functions == [
        ("c10::set_default_dtype", 12),
        ("c10::get_default_dtype", 13),
        ("c10::get_default_dtype_as_scalartype", 14),
        ("c10::get_default_complex_dtype", 15),
    ]
    assert all(shown(lines, k) == k.name for k in result.keywords if k.kind == Kind.FUNCTION)
    text = "namespace at {\nTORCH_API std::vector<int> sizes();\n}\n"
    found = [k.qualname for k in extract_cpp("s.h", text, split_lines(text)).keywords]
    assert found == ["at", "at::sizes"]


def test_a_macro_after_a_declarator_is_no_function(native_root: Path) -> None:  # noqa: F811
    # ``static const T entries[] PROTOBUF_SECTION_VARIABLE(protodesc_cold);`` read as a method
    # named after the macro (the array before it an error).
    result, _ = run(extract_cpp, native_root, f"{INCLUDE}/google/protobuf/api.pb.h")
    names = {k.name for k in result.keywords}
    assert "PROTOBUF_SECTION_VARIABLE" not in names
    assert "internal" in names  # the namespace after the struct, lost to the misreading
    # Member-making macros (``DEFINE_MEMBER_OP(operator==, int32_t, vec_cmpeq)``) in a class
    # body were methods too, and broke the namespaces around it apart: ``vec::…``, no ``at``.
    result, _ = run(
        extract_cpp, native_root, f"{INCLUDE}/ATen/cpu/vec/vec256/vsx/vec256_int32_vsx.h"
    )
    qualnames = {k.qualname for k in result.keywords}
    assert "at::vec::CPU_CAPABILITY::Vectorized" in qualnames
    assert "at::vec::CPU_CAPABILITY::maximum" in qualnames  # a function after the class
    assert not [q for q in qualnames if q.endswith("::DEFINE_MEMBER_OP")]
    text = "namespace n {\nint y MY_SECTION(cold);\nstruct S {\n  void f() MY_SECTION(c);\n};\n}\n"
    found = [(k.kind, k.qualname) for k in extract_cpp("s.h", text, split_lines(text)).keywords]
    assert found == [
        (Kind.NAMESPACE, "n"),
        (Kind.VARIABLE, "n::y"),
        (Kind.STRUCT, "n::S"),
        (Kind.METHOD, "n::S::f"),
    ]

"""Class sections, Fields and the class diagram as torch's reviewers read them: what an attribute
holds (never a Callable's parameter types), one arrow per held class labelled with every
attribute, Attributes tables without the constructor parameter's type, no tool directive as a
comment, docstrings assigned after the class, namedtuple fields, signatures as written,
attribute docstrings and diagram labels that tell nodes apart."""

from __future__ import annotations

from pathlib import Path

from kwdocs.analyse import Analysis
from kwdocs.extract import extract_source
from kwdocs.facts import page_facts
from kwdocs.render.docs_page import render_docs_page


def docs_pages(files: dict[str, str]) -> dict[str, str]:
    """Each file's docs page, rendered over a workspace of these files."""
    extractions = {p: extract_source(p, s.encode("utf-8")) for p, s in files.items()}
    analysis = Analysis({p: e.record for p, e in extractions.items()})
    return {
        p: render_docs_page(
            e.record, e.text, page_facts(e.tree, e.text), analysis.links(p), "..", 200_000
        )
        for p, e in extractions.items()
    }


def docs_page(path: str, source: str) -> str:
    return docs_pages({path: source})[path]


def torch_page(torch_root: Path, path: str) -> str:
    return docs_page(path, (torch_root / path).read_text(encoding="utf-8"))


def diagram(page: str) -> str:
    start = page.index("```mermaid\nclassDiagram")
    return page[start : page.index("```\n", start + 10)]


def section(page: str, heading: str) -> str:
    start = page.index(heading)
    end = page.find("\n#### ", start + len(heading))
    return page[start : end if end >= 0 else len(page)]


# 1. A Callable's parameter and return types are not held objects.
CALLABLES = (
    "import collections.abc\n"
    "import typing\n"
    "from typing import Callable, OrderedDict\n"
    "\n"
    "\n"
    "class Other:\n"
    "    pass\n"
    "\n"
    "\n"
    "class Optimizer:\n"
    '    hooks: "OrderedDict[int, Callable[[Optimizer], None]]"\n'
    "    more: dict[int, typing.Callable[..., Other]]\n"
    "    abc_hook: collections.abc.Callable[[Other], Optimizer] | None\n"
    "    held: list[Other]\n"
)


def test_callable_parameters_are_not_held() -> None:
    page = docs_page("opt.py", CALLABLES)
    assert "`Optimizer.held` holds" in page
    for name in ("hooks", "more", "abc_hook"):
        assert f"`Optimizer.{name}` holds" not in page
    drawn = diagram(page)
    assert drawn.count("-->") == 1 and ": held" in drawn


def test_torch_optimizer_does_not_hold_itself(torch_root: Path) -> None:
    page = torch_page(torch_root, "torch/optim/optimizer.py")
    assert "`Optimizer._optimizer_state_dict_pre_hooks` holds" not in page
    assert "holds [`Optimizer`]" not in page
    assert "-->" not in diagram(page) if "```mermaid\nclassDiagram" in page else True


# 2. One arrow per held class, labelled with every attribute holding it (bounded).
def test_every_attribute_holding_a_class_labels_its_arrow() -> None:
    source = "class Spec:\n    pass\n\n\nclass Program:\n    in_spec: Spec\n    out_spec: Spec\n"
    page = docs_page("prog.py", source)
    assert "`Program.in_spec` holds" in page and "`Program.out_spec` holds" in page
    drawn = diagram(page)
    assert drawn.count("-->") == 1
    assert ": in_spec, out_spec" in drawn
    many = "class Spec:\n    pass\n\n\nclass Program:\n" + "".join(
        f"    s{i}: Spec\n" for i in range(5)
    )
    assert ": s0, s1, s2 and 2 more" in diagram(docs_page("prog.py", many))


# 3. An Attributes entry never takes the constructor parameter's annotation and default.
ATTRIBUTES = (
    "class Layer:\n"
    '    """A layer.\n'
    "\n"
    "    Args:\n"
    "        bias: whether to learn a bias.\n"
    "\n"
    "    Attributes:\n"
    "        bias: the learnable bias.\n"
    "        weight: the learnable weight.\n"
    '    """\n'
    "\n"
    "    weight: Parameter\n"
    "\n"
    "    def __init__(self, bias: bool = True, weight: int = 3) -> None:\n"
    "        self.bias = bias\n"
)


def test_attributes_table_takes_no_parameter_annotation() -> None:
    page = docs_page("layer.py", ATTRIBUTES)
    parameters, _, attributes = section(page, "#### class `Layer`").partition("**Attributes**")
    assert "| `bias` | `bool` | `True` |" in parameters
    assert "bool" not in attributes and "True" not in attributes
    assert "| `weight` | `Parameter` |" in attributes


def test_torch_linear_bias_attribute_is_no_bool(torch_root: Path) -> None:
    page = torch_page(torch_root, "torch/nn/modules/linear.py")
    tables = [part.partition("**Methods**")[0] for part in page.split("**Attributes**")[1:]]
    assert tables
    for table in tables:
        assert "| `bias` | `bool` | `True`" not in table
    lazy = section(page, "#### class `LazyLinear`").partition("**Attributes**")[2]
    assert "`UninitializedParameter`" in lazy.partition("**Fields**")[0]


# 4. Tool directives are never a comment.
def test_tool_directives_are_no_attribute_comment(torch_root: Path) -> None:
    source = (
        "class A:\n"
        "    # pyrefly: ignore [bad-override]\n"
        "    weight: int\n"
        "    bias: int  # type: ignore[assignment]\n"
        "    a = 1  # noqa: E501\n"
        "    b = 2  # pyright: ignore\n"
        "    # mypy: disable-error-code=foo\n"
        "    c = 3\n"
        "    d = 4  # fmt: skip\n"
        "    e = 5  # pylint: disable=invalid-name\n"
        "    # the real comment\n"
        "    # pyrefly: ignore [bad-override]\n"
        "    f = 6\n"
    )
    record = extract_source("a.py", source.encode()).record
    comments = {k.name: k.summary for k in record.keywords if k.kind == "attribute"}
    assert comments == {n: "" for n in ["weight", "bias", "a", "b", "c", "d", "e"]} | {
        "f": "the real comment"
    }
    page = torch_page(torch_root, "torch/nn/modules/linear.py")
    assert "pyrefly" not in page.partition("## Original Source")[0]


# 9. Diagram labels keep words apart and tell nodes of different files apart.
def test_diagram_labels_tell_nodes_apart() -> None:
    pages = docs_pages(
        {
            "pkg/__init__.py": "",
            "pkg/a/__init__.py": "",
            "pkg/b/__init__.py": "",
            "pkg/a/linear.py": "class Linear:\n    pass\n",
            "pkg/b/linear.py": "class Linear:\n    pass\n",
            "pkg/use.py": (
                "from collections import namedtuple\n"
                "\n"
                "from pkg.a.linear import Linear\n"
                "from pkg.b import linear\n"
                "\n"
                "\n"
                'class Keys(namedtuple("Keys", ["missing", "unexpected"])):\n'
                "    pass\n"
                "\n"
                "\n"
                "class Both(Linear):\n"
                "    other: linear.Linear\n"
            ),
        }
    )
    drawn = diagram(pages["pkg/use.py"])
    assert '["namedtuple Keys, [missing, unexpected]"]' in drawn
    assert '["Linear a/linear.py"]' in drawn and '["Linear b/linear.py"]' in drawn


# 5. A docstring assigned after the class (or in its body) is its docstring.
ASSIGNED = (
    "class Adam:\n"
    "    def step(self):\n"
    "        pass\n"
    "\n"
    "\n"
    "Adam.__doc__ = (\n"
    '    r"""Implements Adam algorithm.\n'
    "\n"
    "    Args:\n"
    "        lr: learning rate.\n"
    '    """\n'
    '    + rf"""{_foreach_doc} tail"""\n'
    ")\n"
    "\n"
    "\n"
    "class Conv:\n"
    '    __doc__ = "Applies a convolution." + r""" More."""\n'
    "\n"
    "\n"
    "def unique():\n"
    "    pass\n"
    "\n"
    "\n"
    "unique.__doc__ = _unique_impl.__doc__\n"
)


def test_docstring_assigned_after_the_definition() -> None:
    record = extract_source("adam.py", ASSIGNED.encode()).record
    summaries = {k.qualname: k.summary for k in record.keywords}
    assert summaries["Adam"] == "Implements Adam algorithm."
    assert summaries["Conv"] == "Applies a convolution."
    assert summaries["unique"] == (
        "Its docstring is set at line 24 by an expression kwdocs does not evaluate."
    )
    page = docs_page("adam.py", ASSIGNED)
    adam = section(page, "#### class `Adam`")
    assert "Implements Adam algorithm." in adam and "| `lr` |" in adam
    assert "tail" not in adam and "_foreach_doc" not in adam
    assert "Applies a convolution. More." in section(page, "#### class `Conv`")
    assert "no docstring" not in page.partition("## Original Source")[0].replace(
        "The module has no docstring", ""
    )
    assert "set at line 24" in section(page, "#### function `unique`")


def test_torch_adam_docstring_is_read(torch_root: Path) -> None:
    page = torch_page(torch_root, "torch/optim/adam.py")
    assert "(no docstring)" not in page
    assert "is [`Adam`](./adam.py_docs.md#class-adam): Implements Adam algorithm." in page
    adam = section(page, "#### class `Adam`")
    assert "Implements Adam algorithm." in adam
    assert "For further details regarding the algorithm" in adam
    assert "_foreach_doc" not in adam


# 7. Bases and decorators as the source writes them.
def test_bases_and_decorators_keep_the_source_text() -> None:
    source = (
        "from collections import namedtuple\n"
        "\n"
        "\n"
        '@deprecated("use Other", category=FutureWarning)\n'
        'class Keys(namedtuple("Keys", ["missing", "unexpected"]), metaclass=Meta["x"]):\n'
        '    @cache(maxsize=None, key="k")\n'
        "    def method(self):\n"
        "        pass\n"
    )
    record = extract_source("keys.py", source.encode()).record
    keys = next(k for k in record.keywords if k.name == "Keys")
    assert keys.signature == (
        'class Keys(namedtuple("Keys", ["missing", "unexpected"]), metaclass=Meta["x"])'
    )
    assert keys.bases == ('namedtuple("Keys", ["missing", "unexpected"])',)
    assert keys.decorators == ('deprecated("use Other", category=FutureWarning)',)
    method = next(k for k in record.keywords if k.name == "method")
    assert method.decorators == ('cache(maxsize=None, key="k")',)
    page = docs_page("keys.py", source)
    assert '`@deprecated("use Other", category=FutureWarning)`' in page


def test_torch_incompatible_keys_signature_as_written(torch_root: Path) -> None:
    page = torch_page(torch_root, "torch/nn/modules/module.py")
    assert (
        '`class _IncompatibleKeys(namedtuple("IncompatibleKeys", '
        '["missing_keys", "unexpected_keys"]))`'
    ) in page


# 6. A class deriving from a namedtuple call lists its fields.
def test_namedtuple_base_fields_are_listed() -> None:
    source = (
        "import collections\n"
        "from collections import namedtuple\n"
        "\n"
        "\n"
        'class Keys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):\n'
        "    __slots__ = ()\n"
        "\n"
        "\n"
        "class Point(collections.namedtuple('Point', 'x, y z', defaults=(0, None))):\n"
        "    scale = 1  # a plain attribute\n"
        "\n"
        "\n"
        "class Made(namedtuple('Made', names)):\n"
        "    pass\n"
    )
    page = docs_page("keys.py", source)
    keys = section(page, "#### class `Keys`")
    assert "**Fields** (2):" in keys
    assert "| `missing_keys` |  |  | namedtuple field |" in keys
    assert "| `unexpected_keys` |  |  | namedtuple field |" in keys
    point = section(page, "#### class `Point`")
    assert "**Fields** (4):" in point
    assert "| `x` |  |  | namedtuple field |" in point
    assert "| `y` |  | `0` | namedtuple field |" in point
    assert "| `z` |  | `None` | namedtuple field |" in point
    assert "**Fields**" not in section(page, "#### class `Made`")


def test_torch_incompatible_keys_fields(torch_root: Path) -> None:
    page = torch_page(torch_root, "torch/nn/modules/module.py")
    keys = section(page, "#### class `_IncompatibleKeys`")
    assert "| `missing_keys` |" in keys and "| `unexpected_keys` |" in keys


# 8. A string literal right after a class attribute documents it.
def test_attribute_docstring_is_its_description(torch_root: Path) -> None:
    source = (
        "class Module:\n"
        "    _version: int = 2\n"
        '    r"""This allows better BC support for :meth:`load_state_dict`.\n'
        "\n"
        "    A second paragraph.\n"
        '    """\n'
        "\n"
        "    training: bool  # its own comment\n"
        '    """Not the description: the comment is."""\n'
        "\n"
        "    plain = 1\n"
    )
    record = extract_source("m.py", source.encode()).record
    summaries = {k.name: k.summary for k in record.keywords if k.kind == "attribute"}
    assert summaries == {
        "_version": "This allows better BC support for :meth:`load_state_dict`.",
        "training": "its own comment",
        "plain": "",
    }
    page = docs_page("m.py", source)
    assert (
        "A second paragraph"
        not in section(page, "#### class `Module`")
        .partition("**Fields**")[2]
        .partition("**Methods**")[0]
    )
    torch = torch_page(torch_root, "torch/nn/modules/module.py")
    version = section(torch, "#### attribute `Module._version`")
    assert "This allows better BC support" in version


def test_attribute_docstring_must_follow_at_once() -> None:
    source = (
        "class Module:\n"
        "    fields = {1, 2}\n"
        "\n"
        '    """A misplaced class docstring, after a blank line."""\n'
    )
    record = extract_source("m.py", source.encode()).record
    assert next(k for k in record.keywords if k.name == "fields").summary == ""


def test_unread_docstring_is_no_folder_purpose() -> None:
    from kwdocs.render.folder_pages import purpose

    source = (
        "class Small:\n"
        '    """A small class."""\n'
        "\n"
        "\n"
        "class Large:\n"
        "    a = 1\n"
        "    b = 2\n"
        "\n"
        "\n"
        "Large.__doc__ = make_doc()\n"
    )
    record = extract_source("m.py", source.encode()).record
    assert purpose(record) == "its largest documented public class `Small`: A small class."


def test_a_property_setter_is_marked_as_one() -> None:
    # torch's DataLoader.multiprocessing_context: two rows of one name, both "(property)".
    source = (
        "class Loader:\n"
        "    @property\n"
        "    def context(self):\n"
        '        """The context."""\n'
        "        return self._context\n"
        "\n"
        "    @context.setter\n"
        "    def context(self, value):\n"
        "        self._context = value\n"
    )
    page = docs_page("loader.py", source)
    rows = [line for line in page.splitlines() if line.startswith("| [`context`]")]
    assert [row.split("|")[1].strip().rpartition(" ")[2] for row in rows] == [
        "(property)",
        "setter)",
    ]
    assert "(property setter)" in rows[1]
    from kwdocs.render.kw_page import render_kw_page

    record = extract_source("loader.py", source.encode()).record
    kw = render_kw_page(record, "..")
    assert kw.count("(property)") == 1 and kw.count("(property setter)") == 1


# 10. A class left out of the diagram is counted once, however many edges it has.
def test_classes_left_out_of_the_diagram_are_counted_once() -> None:
    classes = "".join(f"\n\nclass C{i}(Base):\n    peer: Base\n" for i in range(49))
    pages = docs_pages({"pkg/__init__.py": "", "pkg/many.py": f"class Base:\n    pass\n{classes}"})
    drawn = diagram(pages["pkg/many.py"])
    assert drawn.count("    class c") == 40  # Base and C0…C38
    assert "10 more classes not drawn" in pages["pkg/many.py"]

"""The shape of the package (issue 14, the house): files of at most 400 lines, no private names
borrowed across modules, no import cycles, imports along STYLE.md's arrows, a docstring on
every module, and the README's layout naming every module.

Everything here reads the source with :mod:`ast`; no inrkit module is imported, so the checks
take well under a second and need no torch.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "inrkit"
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(module: str) -> bool:
    return (SRC / module.replace(".", "/") / "__init__.py").is_file()


def _modules() -> dict[str, Path]:
    """Every module under ``src/inrkit``: dotted name -> file."""
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _resolve(module: str | None, level: int, importer: str) -> str:
    """The absolute module named by ``from <level dots><module> import ...`` in ``importer``."""
    if level == 0:
        return module or ""
    base = importer if _is_package(importer) else importer.rpartition(".")[0]
    for _ in range(level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{module}" if module else base


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_time_statements(body: list[ast.stmt]):
    """The statements that run when the module is imported: not function bodies, not the
    branches under ``if TYPE_CHECKING:``."""
    for node in body:
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _import_time_statements(node.body)
            yield from _import_time_statements(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _import_time_statements(block)
            for handler in node.handlers:
                yield from _import_time_statements(handler.body)
        elif isinstance(node, ast.With | ast.ClassDef | ast.For | ast.While):
            yield from _import_time_statements(node.body)


def _eager_imports(module: str, tree: ast.Module) -> set[str]:
    """The inrkit modules that importing ``module`` imports at once.

    ``from inrkit.pkg import name`` counts as importing ``inrkit.pkg.name`` when that is a
    submodule, else as importing ``inrkit.pkg`` (whose ``__init__`` is lazy, so it adds only
    what it imports eagerly itself).
    """
    found: set[str] = set()
    for node in _import_time_statements(tree.body):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node.module, node.level, module)
            if source not in MODULES:
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                found.add(sub if sub in MODULES else source)
    found.discard(module)
    return found


def _trees() -> dict[str, ast.Module]:
    return {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}


TREES = _trees()


def _rel(module: str) -> str:
    return str(MODULES[module].relative_to(SRC.parent))


def test_the_package_is_found():
    # Guards the checks below against passing on an empty or misplaced tree.
    assert "inrkit" in MODULES and len(MODULES) > 50


SOURCE_SUFFIXES = {".py", ".js", ".css", ".html"}  # the page's files count as much as Python's


def test_no_file_under_src_is_over_400_lines():
    files = [p for p in sorted(SRC.rglob("*")) if p.suffix in SOURCE_SUFFIXES]
    assert any(p.suffix == ".js" for p in files)  # the page is looked at too
    long = {
        str(p.relative_to(SRC.parent)): n
        for p in files
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"files over {MAX_LINES} lines (split them by topic): {long}"


def _private_borrowings(module: str, tree: ast.Module) -> list[str]:
    found = []
    module_aliases: dict[str, str] = {}  # local name -> inrkit module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(node.module, node.level, module)
            if not (source == "inrkit" or source.startswith("inrkit.")) or source == module:
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in MODULES:
                    module_aliases[alias.asname or alias.name] = sub
                if _is_private(alias.name):
                    found.append(f"line {node.lineno}: from {source} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    if any(_is_private(part) for part in alias.name.split(".")):
                        found.append(f"line {node.lineno}: import {alias.name}")
                    if alias.asname:
                        module_aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        # ``alias._name`` where ``alias`` is bound to another inrkit module above.
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in module_aliases
            and module_aliases[node.value.id] != module
            and _is_private(node.attr)
        ):
            found.append(f"line {node.lineno}: {module_aliases[node.value.id]}.{node.attr}")
    return found


def test_private_finder_finds_imports_and_attributes():
    # The finder itself must be able to fail.
    tree = ast.parse(
        "from inrkit.io.ffmpeg import _gone, require_ffmpeg\n"
        "from inrkit.io import files as f\n"
        "import inrkit.io.images as im\n"
        "from . import _sibling\n"
        "def g():\n"
        "    return f._hidden, im.read_image, im._cache, _local.x\n"
    )
    hits = _private_borrowings("inrkit.io.video_read", tree)
    assert [h.split(": ", 1)[1] for h in hits] == [
        "from inrkit.io.ffmpeg import _gone",
        "from inrkit.io import _sibling",
        "inrkit.io.files._hidden",
        "inrkit.io.images._cache",
    ]


def test_no_module_uses_a_private_name_of_another():
    found = {
        _rel(module): hits
        for module, tree in TREES.items()
        if (hits := _private_borrowings(module, tree))
    }
    assert not found, (
        "private names used across modules (make them public, or move the code that needs "
        f"them): {found}"
    )


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_cycle_finder_finds_a_cycle():
    # The finder itself must be able to fail.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_resolve_and_eager_imports_read_the_source_as_python_does():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from inrkit.io import images\n"
        "from . import fields\n"
        "if TYPE_CHECKING:\n"
        "    from inrkit.liif import model\n"
        "def f():\n"
        "    import inrkit.metrics.psnr\n"
    )
    assert _eager_imports("inrkit.giraffe.train", tree) == {
        "inrkit.io.images",
        "inrkit.giraffe.fields",
    }


def test_no_import_cycle_among_inrkit_modules():
    graph = {module: _eager_imports(module, tree) for module, tree in TREES.items()}
    cycles = _cycles(graph)
    described = [
        " <-> ".join(_rel(m) for m in component)
        + " ("
        + "; ".join(
            f"{a} imports {b}" for a in component for b in sorted(graph[a]) if b in component
        )
        + ")"
        for component in cycles
    ]
    assert not cycles, "import cycles at module level:\n" + "\n".join(described)


# STYLE.md's arrows: ``cli``, ``server`` (and ``python -m inrkit``) on top, the methods in the
# middle, the rest below.
TOP, METHODS = {"__main__", "cli", "server"}, {"liif", "giraffe"}


def _all_imports(module: str, tree: ast.Module) -> set[str]:
    """Every inrkit module ``module`` imports anywhere, inside functions too."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node.module, node.level, module)
            if source in MODULES:
                found.update(
                    f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source
                    for a in node.names
                )
    return found


def _room(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_imports_point_down_and_the_methods_stay_apart():
    upward = []
    for module, tree in TREES.items():
        here = _room(module)
        for target in _all_imports(module, tree):
            there = _room(target)
            if here == there:
                continue
            if (here in METHODS and there in TOP | METHODS) or (
                here not in TOP | METHODS and there in TOP | METHODS
            ):
                upward.append(f"{_rel(module)} imports {target}")
    assert not upward, "imports against STYLE.md's arrows:\n" + "\n".join(sorted(upward))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_has_a_docstring(module):
    assert ast.get_docstring(TREES[module]), f"{_rel(module)} has no module docstring"


def test_readme_layout_names_every_module():
    text = (SRC.parent / "README.md").read_text()
    block = re.search(r"^## Layout\n\n```\n(.*?)```", text, flags=re.S | re.M)
    assert block, "README.md has no '## Layout' code block"
    # A module by its name (``errors.py`` at the top), a package as an indented ``name/``.
    words = set(re.findall(r"[A-Za-z_][\w.]*", block[1]))
    missing = []
    for module in MODULES:
        name = module.rpartition(".")[2]
        if name in ("inrkit", "__main__"):
            continue
        if _is_package(module):
            found = f"  {name}/" in block[1]
        else:
            found = name in words or f"{name}.py" in words
        if not found:
            missing.append(_rel(module))
    assert not missing, f"README.md's layout does not name: {missing}"

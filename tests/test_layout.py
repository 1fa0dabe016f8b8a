"""The engine's layout: no import circles between lvm_core's modules (late imports included), no
sys.path edits, and lvm_core never imports Streamlit."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "lvm_core"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_nodes(tree):
    """Every node that runs: all of them but the bodies of `if TYPE_CHECKING:` (imports for types only)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))


def engine_imports() -> dict[str, set[str]]:
    """module -> the lvm_core modules it imports anywhere in its file (`from pkg import mod` names mod)."""
    modules = {module_name(p): p for p in ENGINE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                          for a in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles_in_the_engine():
    assert cycles(engine_imports()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_engine_never_imports_streamlit():
    assert [m for m, deps in engine_imports().items() if any("streamlit" in d for d in deps)] == []
    assert [str(p) for p in ENGINE.rglob("*.py") if "import streamlit" in p.read_text()] == []


def test_no_sys_path_edits():
    edits = [str(p.relative_to(ROOT)) for folder in ("lvm_core", "lvm_app", "pages", "benchmarks", "tests")
             for p in (ROOT / folder).rglob("*.py") if "sys.path" in p.read_text() and p.name != "test_layout.py"]
    assert edits == []


def test_the_package_version_is_the_engine_version():
    import tomllib

    from lvm_core.version import __version__

    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"] == __version__


def test_the_package_ships_every_file_the_app_reads_besides_python():
    """pyproject.toml's package-data covers each non-Python file under lvm_app/ (an installed app would
    otherwise lack its components, styles or the static lesson's page)."""
    import fnmatch
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["lvm_app"]
    files = [p.relative_to(ROOT / "lvm_app").as_posix() for p in (ROOT / "lvm_app").rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc") and "node_modules" not in p.parts
             and p.name not in ("package.json", "package-lock.json")]
    missing = [f for f in files if not any(fnmatch.fnmatch(f, pat.replace("**/", "*")) or fnmatch.fnmatch(f, pat)
                                           for pat in patterns)]
    assert files and missing == []

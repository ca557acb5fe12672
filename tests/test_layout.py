"""The code's shape: no import cycle, no source file over 400 lines, thin CLI commands."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules():
    """``{module name: path}`` of hogfer's sources (``pipelines/`` installs as ``hogfer.pipelines``)."""
    found = {}
    for path in [*(ROOT / "hogfer").rglob("*.py"), *(ROOT / "pipelines").glob("*.py")]:
        rel = path.relative_to(ROOT).with_suffix("")
        parts = ["hogfer", "pipelines", *rel.parts[1:]] if rel.parts[0] == "pipelines" else list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name, path, modules):
    """The hogfer modules ``name`` imports, at module level or inside functions."""
    package = name if path.stem == "__init__" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module or ""
            submodules = {f"{target}.{a.name}" for a in node.names} & modules.keys()
            out |= submodules or ({target} & modules.keys())  # `from . import x` imports x, not the package
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names} & modules.keys()
    return out - {name}


def _cycle(graph):
    """One import cycle as a list of modules, or None."""
    state, stack = {}, []

    def visit(v):
        state[v] = "open"
        stack.append(v)
        for w in sorted(graph[v]):
            if state.get(w) == "open":
                return stack[stack.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        state[v] = "done"
        stack.pop()
        return None

    for v in sorted(graph):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_no_import_cycle():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycle(graph) is None
    graph["hogfer.metrics"].add("hogfer.plots")  # the checker finds a cycle when there is one
    graph["hogfer.plots"].add("hogfer.metrics")
    assert _cycle(graph) is not None


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_source_file_over_400_lines(name):
    assert len(_modules()[name].read_text().splitlines()) <= 400


@pytest.mark.parametrize("module", sorted(p.name for p in (ROOT / "hogfer" / "cli").glob("*.py")))
def test_cli_commands_parse_call_and_print(module):
    tree = ast.parse((ROOT / "hogfer" / "cli" / module).read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and getattr(d.func, "attr", None) == "command" for d in node.decorator_list
        ):
            body = node.body[1:] if isinstance(node.body[0], ast.Expr) else node.body  # without the docstring
            assert body[-1].end_lineno - body[0].lineno + 1 <= 30, node.name


#: hogfer's layers, lowest first; a module may import from its own layer and those below.
#: Modules outside these packages (hogfer._env, _io, metrics, plots, tta, paths, ...) are
#: shared infrastructure and import none of them.
LAYERS = [
    ("hogfer.data",),
    ("hogfer.faces", "hogfer.features", "hogfer.classifiers"),
    ("hogfer.store",),
    ("hogfer.deep", "hogfer.pipelines", "hogfer.fusion"),
    ("hogfer.training",),
    ("hogfer.bench", "hogfer.apps"),
    ("hogfer.cli", "hogfer.__main__"),
]


def _layer(module):
    for rank, packages in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in packages):
            return rank
    return None


def test_data_flows_one_way_through_the_layers():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        rank = _layer(name)
        for target in _imports(name, path, modules):
            if _layer(target) is not None and (rank is None or _layer(target) > rank):
                upward.append(f"{name} -> {target}")
    assert upward == []
    assert _layer("hogfer.apps.live") > _layer("hogfer.store.files") > _layer("hogfer.faces.photos")


def test_shipped_models_fit_the_size_budget():
    """artifacts/ holds at most 60 MB of models, none over 8 MB."""
    files = [p for p in (ROOT / "artifacts").iterdir() if p.is_file()]
    assert all(p.stat().st_size <= 8_000_000 for p in files), [(p.name, p.stat().st_size) for p in files if p.stat().st_size > 8_000_000]
    assert sum(p.stat().st_size for p in files) <= 60_000_000


def test_no_architecture_name_test_outside_the_registry():
    # the classifier asks the registry what a network takes (hogfer.deep.architectures), never its name
    tests = []
    for name, path in _modules().items():
        if name == "hogfer.deep.architectures":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and any(
                isinstance(c, ast.Constant) and c.value == "hybrid" for c in [node.left, *node.comparators]
            ):
                tests.append(f"{name}:{node.lineno}")
    assert tests == []


def _called_names(path):
    return {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)}


def test_one_face_path():
    # detect -> landmarks -> align is composed once (hogfer.faces.pipeline); the apps call that path
    steps = {"predict_landmarks", "align_face"}
    composing = [name for name, path in _modules().items() if steps <= _called_names(path)]
    assert composing == ["hogfer.faces.pipeline"]
    for app in ("predict", "serve", "live"):
        assert "FacePipeline" in _called_names(ROOT / "hogfer" / "apps" / f"{app}.py"), app

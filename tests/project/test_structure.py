"""The house's walls, checked statically from every import in the source (those
inside functions too), so that a break shows here before it shows at run time:

    guards, timedtext  <-  transcripts (web)  <-  workers (jobs, pipeline)

- the web side (transcripts/, speechsite/) never imports workers: it enqueues by dotted path;
- guards/ and timedtext/ import neither side, nor Django;
- the pipeline imports nothing from Django and reads no environment variables;
- the benchmarks import no tests; no import cycle between project modules.
"""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.once  # nothing here depends on the database

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("speechsite", "transcripts", "workers", "guards", "timedtext", "testkit", "bench")


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files():
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts)


def imported_names(path):
    """Every module named by an import statement in `path`, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            yield base
            for alias in node.names:
                yield f"{base}.{alias.name}"  # "from package import module"


IMPORTS = {module_name(path): set(imported_names(path)) for path in source_files()}


def imports_of(prefix):
    return {module: names for module, names in IMPORTS.items() if module == prefix or module.startswith(prefix + ".")}


def offenders(prefix, forbidden):
    return sorted(
        f"{module} imports {name}"
        for module, names in imports_of(prefix).items()
        for name in names
        if name.split(".")[0] in forbidden
    )


def test_the_import_scan_sees_the_code():
    assert "workers.jobs" in IMPORTS and "transcripts.queueing" in IMPORTS["workers.reaper"]


@pytest.mark.parametrize("web_package", ["transcripts", "speechsite"])
def test_the_web_side_never_imports_the_workers(web_package):
    assert offenders(web_package, {"workers"}) == []


@pytest.mark.parametrize("shared_package", ["guards", "timedtext"])
def test_shared_packages_import_neither_side_nor_django(shared_package):
    assert offenders(shared_package, {"workers", "transcripts", "speechsite", "django", "torch", "numpy"}) == []


def test_the_pipeline_imports_no_django_and_nothing_of_the_site():
    assert offenders("workers.pipeline", {"django", "transcripts", "speechsite", "rq", "django_rq"}) == []


def test_the_pipeline_reads_no_environment_variables():
    readers = []
    for path in (ROOT / "workers" / "pipeline").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv"):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == []


def test_benchmarks_import_no_tests():
    assert offenders("bench", {"tests"}) == []


def project_edges():
    """module -> the project modules it imports (a name that is an attribute of
    a module counts as that module)."""
    edges = {}
    for module, names in IMPORTS.items():
        targets = set()
        for name in names:
            while name and name not in IMPORTS:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                targets.add(name)
        edges[module] = targets
    return edges


def cycles(edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_project_modules():
    assert cycles(project_edges()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]

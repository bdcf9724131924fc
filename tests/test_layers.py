"""The layers hold: no module imports an outer layer, and no imports run in a circle.

The rule is the table in README.md ("How it is built") and CONTRIBUTING.md:

    infrastructure <- routine <- coach <- speech | voice | tui <- shell <- cli/commands

Infrastructure (`errors`, `locations`, `config`, `session_log`, `wavfile`, the package
root) may be imported by anyone and imports only infrastructure. speech, voice and tui
share a ring and never import each other. Two checks, both over the real tree:

- static: every `import` in every module (top level, function-local and under
  `TYPE_CHECKING`, since a type-only arrow is still an arrow a reader follows) is read
  with `ast`; an outward arrow or a circle fails, naming the file and line;
- run time: each layer is imported on its own in a fresh interpreter, and what ended up
  in `sys.modules` must be that layer and inner ones only.

The one allowed circle is Textual's usual pattern: a screen names the app class under
`TYPE_CHECKING` to type `self.app` (tui/*_screen.py -> tui/app.py).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "voicecoach"

INFRASTRUCTURE = {"errors", "locations", "config", "session_log", "wavfile"}
RING = {"infrastructure": 0, "routine": 1, "coach": 2, "speech": 3, "voice": 3, "tui": 3,
        "shell": 4, "cli": 5}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in INFRASTRUCTURE:
        return "infrastructure"
    if parts[1] in ("cli", "commands", "__main__"):
        return "cli"
    if parts[1] in RING:
        return parts[1]
    raise AssertionError(
        f"{module} is in no layer: put it in one (tests/test_layers.py, README, CONTRIBUTING)"
    )


def may_import(src: str, dst: str) -> bool:
    """Same layer, or a strictly inner ring (so siblings speech/voice/tui never meet)."""
    a, b = layer_of(src), layer_of(dst)
    return a == b or RING[b] < RING[a]


@dataclass(frozen=True)
class Arrow:
    src: str
    dst: str
    where: str
    type_only: bool


def module_files() -> dict[str, Path]:
    files = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def arrows(modules: dict[str, Path]) -> list[Arrow]:
    """Every import of a voicecoach module, wherever it stands in the file."""
    return [arrow for src, path in modules.items() for arrow in _arrows_of(src, path, modules)]


def _arrows_of(src: str, path: Path, modules: dict[str, Path]) -> list[Arrow]:
    package = src if path.name == "__init__.py" else src.rpartition(".")[0]
    where = path.relative_to(REPO)
    found: list[Arrow] = []

    def target(name: str) -> str | None:
        while name and name not in modules:  # `import pkg.mod.Class`-like names -> pkg.mod
            name = name.rpartition(".")[0]
        return name or None

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            # `from pkg import mod` imports the module pkg.mod, not just pkg
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                     for alias in node.names]
        for name in names:
            dst = target(name) if name.split(".")[0] == "voicecoach" else None
            if dst is not None and dst != src:
                found.append(Arrow(src, dst, f"{where}:{getattr(node, 'lineno', 0)}", type_only))
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


def allowed_circle(arrow: Arrow) -> bool:
    """A Textual screen typing `self.app`: type-only, screen -> app, inside tui."""
    return (arrow.type_only and arrow.dst == "voicecoach.tui.app"
            and arrow.src.startswith("voicecoach.tui.") and arrow.src.endswith("_screen"))


def circles(nodes: list[str], edges: list[Arrow]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {n: set() for n in nodes}
    for e in edges:
        graph[e.src].add(e.dst)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


MODULES = module_files()
ARROWS = arrows(MODULES)


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_the_walk_sees_the_imports_it_must() -> None:
    """Guards the checker itself: function-local and TYPE_CHECKING imports are seen."""
    pairs = {(a.src, a.dst, a.type_only) for a in ARROWS}
    assert ("voicecoach.cli", "voicecoach.commands.run", False) in pairs  # function-local
    assert ("voicecoach.tui.session_screen", "voicecoach.tui.app", True) in pairs


def test_no_module_imports_an_outer_layer() -> None:
    wrong = [f"{a.where}: {layer_of(a.src)} imports {a.dst} ({layer_of(a.dst)})"
             + (" under TYPE_CHECKING" if a.type_only else "")
             for a in ARROWS if not may_import(a.src, a.dst)]
    assert not wrong, "imports pointing outward:\n" + "\n".join(wrong)


def test_nothing_below_commands_names_a_command() -> None:
    wrong = [a.where for a in ARROWS
             if a.dst.startswith("voicecoach.commands") and layer_of(a.src) != "cli"]
    assert not wrong, wrong


def test_no_import_circles() -> None:
    loops = circles(list(MODULES), [a for a in ARROWS if not allowed_circle(a)])
    detail = [
        " -> ".join(loop) + "\n  " + "\n  ".join(
            f"{a.where}: {a.src} -> {a.dst}" for a in ARROWS
            if a.src in loop and a.dst in loop and not allowed_circle(a))
        for loop in loops
    ]
    assert not loops, "import circles:\n" + "\n".join(detail)


def test_the_checks_catch_a_circle_and_a_wrong_arrow() -> None:
    """The checker fails on what it must: an outward arrow and a two-module loop."""
    assert not may_import("voicecoach.coach.engine", "voicecoach.speech.base")
    assert not may_import("voicecoach.speech.base", "voicecoach.voice.speaker")
    assert not may_import("voicecoach.errors", "voicecoach.routine.models")
    assert may_import("voicecoach.shell.wiring", "voicecoach.errors")
    a, b = "voicecoach.speech.base", "voicecoach.speech.engines"
    loop = [Arrow(a, b, "x:1", True), Arrow(b, a, "y:1", False)]
    assert circles([a, b], loop) == [sorted([a, b])]


LAYERS = sorted(RING)


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_imports_alone(layer: str) -> None:
    """Fresh interpreter, this layer's modules only: nothing outer comes along."""
    own = [m for m in MODULES if layer_of(m) == layer and not m.endswith("__main__")]
    code = (
        "import importlib, json, sys\n"
        f"for name in {own!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'voicecoach')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, f"importing {layer} alone failed:\n{done.stderr[-2000:]}"
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    outer = [m for m in loaded if m in MODULES and not may_import(own[0], m)]
    assert not outer, f"importing {layer} also loaded outer modules: {outer}"

"""Every package's public face: its `__all__` imports, its docstring names real things, and it costs nothing to import."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tomllib
from types import ModuleType

import pytest

from core.settings import PROJECT_ROOT

ROOTS: list[str] = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["root_packages"]
PACKAGES = [*ROOTS, "simulators.thermal"]
# What importing a package file alone must not load: the product's heavy dependencies.
HEAVY = ("faust", "aiokafka", "kafka", "aiohttp", "numpy", "cv2", "shapely", "matplotlib")
_BULLET = re.compile(r"^- ((?:`\w+`(?:, )?)+): (.*)$")
_NAME = re.compile(r"`([A-Za-z_][\w.]*)`")


def _bullets(package: ModuleType) -> list[tuple[list[str], list[str]]]:
    """(modules, names they are said to offer) of each `- `module`: ...` line of the docstring."""
    doc = package.__doc__ or ""
    lines: list[str] = []
    for line in doc.splitlines():
        if line.startswith("  ") and lines and lines[-1].startswith("- "):
            lines[-1] += " " + line.strip()  # a bullet's continuation
        else:
            lines.append(line)
    out = []
    for line in lines:
        match = _BULLET.match(line)
        if match:
            out.append((re.findall(r"`(\w+)`", match.group(1)), _NAME.findall(match.group(2))))
    return out


@pytest.mark.parametrize("name", PACKAGES)
def test_all_imports_exactly_and_every_name_exists(name: str) -> None:
    package = importlib.import_module(name)
    public = package.__all__
    assert public and all(isinstance(n, str) for n in public) and len(set(public)) == len(public)
    namespace: dict[str, object] = {}
    exec(f"from {name} import *", namespace)  # the star import is what is tested
    assert set(namespace) - {"__builtins__"} == set(public)
    for member in public:
        assert getattr(package, member) is namespace[member]


@pytest.mark.parametrize("name", PACKAGES)
def test_docstring_describes_every_public_module_and_its_names_exist(name: str) -> None:
    package = importlib.import_module(name)
    bullets = _bullets(package)
    described = {module for modules, _ in bullets for module in modules}
    assert described == set(package.__all__), f"{name}: docstring describes {sorted(described)}, __all__ is {sorted(package.__all__)}"
    for modules, offered in bullets:
        if len(modules) != 1:
            continue  # a bullet about several modules names no one module's members
        module = importlib.import_module(f"{name}.{modules[0]}")
        for dotted in offered:
            target: object = module
            for part in dotted.split("."):
                assert hasattr(target, part), f"{name}.{modules[0]} offers no {dotted!r} (docstring)"
                target = getattr(target, part)


def test_package_files_import_nothing_heavy() -> None:
    code = "import sys\n" + "".join(f"import {p}\n" for p in PACKAGES) + f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert result.stdout.strip() == "[]"

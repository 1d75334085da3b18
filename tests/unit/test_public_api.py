"""Every package's public face: its `__all__` imports, its docstring describes every module, and it costs nothing to import."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
import tomllib
from types import ModuleType

import pytest

from core.settings import PROJECT_ROOT

ROOTS: list[str] = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["root_packages"]
# What importing a top-level package file alone must not load: the product's heavy dependencies.
HEAVY = ("faust", "aiokafka", "kafka", "aiohttp", "numpy", "cv2", "shapely", "matplotlib", "prometheus_client")
_BULLET = re.compile(r"^- ((?:`\w+`(?:, )?)+): (.*)$")
_NAME = re.compile(r"`([A-Za-z_][\w.]*)`")


def _packages() -> list[str]:
    found = list(ROOTS)
    for root in ROOTS:
        package = importlib.import_module(root)
        found += [info.name for info in pkgutil.walk_packages(package.__path__, f"{root}.") if info.ispkg]
    return sorted(found)


PACKAGES = _packages()


def _members(package: ModuleType) -> set[str]:
    """The package's public modules and subpackages."""
    return {info.name for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")}


def _bullets(package: ModuleType) -> list[tuple[list[str], list[str]]]:
    """(modules, names they are said to offer) of each "- `module`: ..." line of the docstring."""
    lines: list[str] = []
    for line in (package.__doc__ or "").splitlines():
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


def test_every_package_is_checked() -> None:
    assert {"core", "rules", "rules.desk", "simulators.thermal", "cli"} <= set(PACKAGES)


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
def test_docstring_describes_every_module_and_its_names_exist(name: str) -> None:
    package = importlib.import_module(name)
    bullets = _bullets(package)
    described = {module for modules, _ in bullets for module in modules}
    assert described == _members(package), f"{name}: the docstring describes {sorted(described)}, the package holds {sorted(_members(package))}"
    for modules, offered in bullets:
        if len(modules) != 1:
            continue  # a bullet about several modules names no one module's members
        module = importlib.import_module(f"{name}.{modules[0]}")
        for dotted in offered:
            target: object = module
            for part in dotted.split("."):
                assert hasattr(target, part), f"{name}.{modules[0]} offers no {dotted!r} (docstring)"
                target = getattr(target, part)
    named = set(_NAME.findall(package.__doc__ or ""))
    for member in package.__all__:
        assert member in described or member in named, f"{name}.__all__ has {member!r}, which the docstring does not name"


def test_top_level_package_files_import_nothing_heavy() -> None:
    code = "import sys\n" + "".join(f"import {p}\n" for p in ROOTS) + f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert result.stdout.strip() == "[]"

"""Conventions the linters cannot see: services and selectors know nothing of HTTP.

They raise ``socialflow.core.exceptions`` (which the API, Studio and admin all understand), so they
import neither DRF nor Django's HTTP layer nor the API plumbing — at module level or inside a
function — and raise no framework ``ValidationError`` (they may catch Django's validators' one).
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

APPS = ["accounts", "videos", "posts", "live", "notifications", "monetization", "copyright", "moderation", "analytics"]
# ``rest_framework_simplejwt`` is an auth library (tokens, blacklist), not DRF's HTTP layer.
FORBIDDEN = ("rest_framework", "django.http", "socialflow.api")


def _layer_modules() -> list[Path]:
    root = Path(settings.BASE_DIR)
    paths: list[Path] = []
    for app in APPS:
        for name in ("services", "selectors"):
            paths += [root / app / f"{name}.py"] if (root / app / f"{name}.py").exists() else []
            paths += sorted((root / app / name).rglob("*.py")) if (root / app / name).is_dir() else []
    paths += sorted((root / "socialflow" / "core").rglob("*.py"))
    return [p for p in paths if "tests" not in p.relative_to(root).parts and "migrations" not in p.parts]


def _imported_names(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _forbidden(name: str) -> bool:
    return any(name == prefix or name.startswith(f"{prefix}.") for prefix in FORBIDDEN)


def test_it_finds_the_service_and_selector_modules():
    names = {str(p.relative_to(settings.BASE_DIR)) for p in _layer_modules()}
    assert {"posts/services/posts.py", "videos/selectors.py", "socialflow/core/exceptions.py"} <= names


@pytest.mark.parametrize("path", _layer_modules(), ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_it_keeps_http_out_of_services_and_selectors(path):
    assert [name for name in _imported_names(path) if _forbidden(name)] == []


def _raised_names(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            func = node.exc.func
            names.append(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


@pytest.mark.parametrize("path", _layer_modules(), ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_it_raises_domain_errors_not_framework_validation_errors(path):
    assert [name for name in _raised_names(path) if name in {"ValidationError", "Http404"}] == []

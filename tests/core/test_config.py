"""One table of settings, read when needed: the CLI shows it with secrets masked, and nothing in
the code location or the resources reads the environment when it is imported."""

from __future__ import annotations

import ast
import json
import pathlib

from dropship_app.cli import main
from dropship_core import config

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_settings_read_at_call_time_and_secrets_masked(monkeypatch, capsys):
    monkeypatch.setenv("COUPANG_SECRET_KEY", "very-secret-value-123")
    monkeypatch.setenv("LLM_PROVIDER", "anthropic")
    assert config.get("LLM_PROVIDER") == "anthropic"
    monkeypatch.setenv("LLM_PROVIDER", "")
    assert config.get("LLM_PROVIDER") == "offline"  # empty counts as unset: the default
    assert config.missing(config.MARKET_ENV["coupang"]) == ["COUPANG_ACCESS_KEY", "COUPANG_VENDOR_ID"]
    assert main(["config", "--json"]) == 0
    out = capsys.readouterr().out
    assert "very-secret-value-123" not in out
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["COUPANG_SECRET_KEY"]["value"] == "***"


def _env_reads_at_import(path: pathlib.Path) -> list[int]:
    """Lines where module-level code (outside any function) reads os.environ / os.getenv."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []

    def visit(node, in_def: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_def or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if not in_def and isinstance(child, ast.Attribute) and child.attr in ("environ", "getenv") \
                    and isinstance(child.value, ast.Name) and child.value.id == "os":
                lines.append(child.lineno)
            visit(child, nested)

    visit(tree, False)
    return lines


def test_no_environment_reads_at_import_in_assets_resources_sensors():
    found = {}
    for pkg in ("dropship_assets", "dropship_resources", "dropship_sensors"):
        for path in (ROOT / pkg).rglob("*.py"):
            if lines := _env_reads_at_import(path):
                found[str(path.relative_to(ROOT))] = lines
    assert found == {}

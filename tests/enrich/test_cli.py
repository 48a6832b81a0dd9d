"""`enrich classify` / `enrich product` through a real subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args, stdin, extra_env=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "dropship_app.enrich_cli", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )


def test_classify_json_lines():
    res = run(["enrich", "classify", "--json"], "스탠리 퀜처 텀블러 887ml\n\n하기스 팬티형 기저귀 5단계 4팩\n")
    assert res.returncode == 0, res.stderr
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(lines) == 2 and lines[0]["id"] == "50004540"
    assert lines[0]["path"] == "생활/건강>주방용품>잔/컵>텀블러"
    assert lines[1]["path"].startswith("출산/육아>기저귀")
    assert all(0 <= x["confidence"] <= 1 and x["market"] == "smartstore" for x in lines)


def test_classify_plain_coupang_with_candidates():
    res = run(["enrich", "classify", "--market", "coupang", "--top", "3"], "스테인리스 텀블러 500ml\n")
    assert res.returncode == 0, res.stderr
    first, *rest = res.stdout.splitlines()
    code, path, conf, name = first.split("\t")
    assert code.isdigit() and "텀블러" in path and 0 <= float(conf) <= 1 and name == "스테인리스 텀블러 500ml"
    assert len(rest) == 2 and all(r.startswith("  ") for r in rest)


def test_product_command_and_secrets_never_leak():
    secret = "sk-test-5f2c1d0e9a8b7c6d"
    env = {"OPENAI_API_KEY": secret, "NAVER_CLIENT_SECRET": secret, "DB_PASSWORD": secret}
    good = json.dumps({"name": "[특가] 여성 니트 가디건 그레이 FREE", "images": ["a"]}, ensure_ascii=False)
    bad = '{"name": "' + secret + '"'  # a broken line carrying a secret-looking value
    res = run(["enrich", "product", "--markets", "smartstore,gmarket"], good + "\n" + bad + "\n", env)
    assert res.returncode == 1
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(out) == 1 and out[0]["clean_name"] == "여성 니트 가디건 그레이 FREE"
    assert set(out[0]["titles"]) == {"smartstore", "gmarket"}
    assert "line 2: not JSON" in res.stderr
    assert secret not in res.stdout and secret not in res.stderr


def test_register_cli_in_a_host_parser():
    import argparse

    from dropship_app.enrich_cli import register_cli

    parser = argparse.ArgumentParser(prog="dropship")
    sub = parser.add_subparsers(dest="command")
    register_cli(sub)
    args = parser.parse_args(["enrich", "classify", "--market", "coupang", "--json"])
    assert args.market == "coupang" and args.json and callable(args.func)


def test_host_dispatch_with_func_args_only(capsys, monkeypatch):
    import argparse
    import io

    from dropship_app.enrich_cli import register_cli

    parser = argparse.ArgumentParser(prog="dropship")
    register_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["enrich", "classify", "--json"])
    monkeypatch.setattr("sys.stdin", io.StringIO("요넥스 배드민턴 라켓 4U\n"))
    assert args.func(args) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["path"].startswith("스포츠/레저>배드민턴")

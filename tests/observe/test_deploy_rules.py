"""deploy/: the Prometheus rules load (promtool when installed, else YAML + PromQL parsing), and
every metric the rules and the Grafana dashboard name is one /metrics exports."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from dropship_core.metrics_collector import StoreMetrics
from dropship_core.store import Store

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "rules.yml"
DASHBOARD = DEPLOY / "grafana" / "dropship-dashboard.json"

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers that are not functions,
    aggregation modifiers' label lists, label matchers, ranges, strings or numbers."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", "", e)               # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)              # range / subquery durations
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for mt in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", e):
        word, call = mt.group(1), mt.group(2)
        if call or word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


def exported(db_url, monkeypatch) -> set[str]:
    monkeypatch.setenv("LLM_SPEND_CAP", "5")
    store = Store(db_url)
    store.migrate()
    text = StoreMetrics(store, cache_s=0).render().decode()
    out = set()
    for fam in text_string_to_metric_families(text):
        out.add(fam.name)
        if fam.type == "counter":
            out.add(fam.name + "_total")
        if fam.type == "histogram":
            out |= {fam.name + s for s in ("_bucket", "_sum", "_count")}
        out |= {s.name for s in fam.samples}
    return out


def rule_exprs() -> list[tuple[str, str]]:
    doc = yaml.safe_load(RULES.read_text())
    out = []
    for group in doc["groups"]:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert rule.get("alert") and rule.get("expr"), rule
            assert rule.get("labels", {}).get("severity") in ("critical", "warning", "info"), rule["alert"]
            assert rule.get("annotations", {}).get("summary"), rule["alert"]
            out.append((rule["alert"], rule["expr"]))
    return out


def test_metric_name_extraction():
    assert metric_names('sum by (service) (rate(dropship_http_requests_total{status_class=~"5xx|error"}[10m]))'
                        ' / sum by (service) (rate(dropship_http_requests_total[10m])) > 0.05') == {
        "dropship_http_requests_total"}
    assert metric_names("dropship_webhook_inbox_depth > 100 and deriv(dropship_webhook_inbox_depth[15m]) > 0") == {
        "dropship_webhook_inbox_depth"}
    assert metric_names("histogram_quantile(0.95, sum by (le, service) (rate(x_bucket[5m])))") == {"x_bucket"}


def test_promtool_checks_and_unit_tests_the_rules(tmp_path):
    """`promtool check rules`, the rules' unit tests (rules_test.yml: each alert fires on the
    series it is for) and `promtool check config` with a token file in place."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed; test_rules_name_only_exported_metrics parses the rules instead")
    for args in (["check", "rules", str(RULES)], ["test", "rules", str(RULES.parent / "rules_test.yml")]):
        p = subprocess.run([promtool, *args], capture_output=True, text=True, check=False)
        assert p.returncode == 0, p.stdout + p.stderr
    token = tmp_path / "token"
    token.write_text("t")
    cfg = (RULES.parent / "prometheus.yml").read_text().replace("/etc/prometheus/dropship_metrics_token", str(token))
    (tmp_path / "prometheus.yml").write_text(cfg)
    shutil.copy(RULES, tmp_path / "rules.yml")
    p = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True,
                       text=True, check=False)
    assert p.returncode == 0, p.stdout + p.stderr


def test_rules_name_only_exported_metrics(db_url, monkeypatch):
    have = exported(db_url, monkeypatch)
    exprs = rule_exprs()
    names = {a for a, _ in exprs}
    # the four the operator asked for: stale stock sync, API errors, growing inbox, spend near the cap
    assert {"StockSyncStale", "ApiErrorRateHigh", "WebhookInboxGrowing", "LlmSpendCapNear"} <= names
    for alert, expr in exprs:
        used = metric_names(expr)
        assert used, alert
        assert used <= have, (alert, used - have)


def test_dashboard_names_only_exported_metrics(db_url, monkeypatch):
    have = exported(db_url, monkeypatch)
    dash = json.loads(DASHBOARD.read_text())
    titles = [p["title"] for p in dash["panels"]]
    for want in ("Sync lag per market", "API error rate", "API throttling (429) and waits",
                 "Ingest throughput (rows/s)", "Webhook inbox depth", "LLM spend (USD, 24h)"):
        assert want in titles
    for panel in dash["panels"]:
        assert panel["targets"], panel["title"]
        for t in panel["targets"]:
            used = metric_names(t["expr"])
            assert used and used <= have, (panel["title"], used - have)

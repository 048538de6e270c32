"""The Grafana dashboard (deploy/grafana/quadrate-dashboard.json) queries only metrics the app really exports, with
their real labels, so no panel is empty by a typo: each PromQL series name is checked against the app's own
Prometheus registry."""
from __future__ import annotations

import json
import re

from rag.telemetry import Telemetry
from tests.support.paths import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "quadrate-dashboard.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exported() -> dict[str, set[str]]:
    """series name -> its label names, from the app's registry."""
    telemetry = Telemetry()
    label_names = {m._name: set(m._labelnames) for m in vars(telemetry).values() if hasattr(m, "_labelnames")}
    names: dict[str, set[str]] = {}
    for metric in telemetry.registry.collect():
        for suffix in SUFFIXES.get(metric.type, ("",)):
            names[metric.name + suffix] = label_names.get(metric.name, label_names.get(metric.name + "_total",
                                                                                         set()))
    return names


def test_every_panel_queries_an_exported_series_with_its_labels():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    series = exported()
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 15
    for expr in exprs:
        used = set(re.findall(r"\b(quadrate_[a-z_]+)", expr))
        assert used, expr
        for name in used:
            assert name in series, (name, expr)
        for label in re.findall(r"by \(([^)]*)\)", expr):
            for part in (x.strip() for x in label.split(",")):
                assert part == "le" or any(part in series[n] for n in used), (part, expr)
        for label in re.findall(r"\{(\w+)=", expr):
            assert any(label in series[n] for n in used), (label, expr)
    assert dashboard["templating"]["list"][0]["type"] == "datasource"

"""The benchmarks, in the order they run. Each entry point takes the Config and returns a result dict."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    entry: str  # "module:function"


DATASET = Benchmark("dataset", "Data set (create or reuse)", "bench.prepare:prepare")

BENCHMARKS = [
    Benchmark("changelist", "Admin incident changelist", "bench.pages:changelist"),
    Benchmark("queue", "Team queue page", "bench.pages:queue"),
    Benchmark("lists_load", "Lists under 8 concurrent agents (gunicorn)", "bench.lists_load:lists_load"),
    Benchmark("portal_submit", "Portal submission throughput", "bench.portal_load:portal_submit"),
    Benchmark("api_list", "API incident list (gunicorn, token clients)", "bench.api_load:api_list"),
    Benchmark("api_create", "API incident creation throughput", "bench.api_load:api_create"),
    Benchmark("dashboard", "Staff home (admin index) for a manager and an agent", "bench.dashboard:dashboard"),
    Benchmark("sla_sweep", "SLA sweep", "bench.sla_sweep:sla_sweep"),
    Benchmark("kb_match", "Known-error match", "bench.kb_match:kb_match"),
    Benchmark("alert_ingest", "Alertmanager notifications, 90% repeats (gunicorn, token clients)",
              "bench.alert_ingest:alert_ingest"),
    Benchmark("mail_ingest", "Raw e-mail piped in: new messages and replies (gunicorn, token clients)",
              "bench.mail_ingest:mail_ingest"),
    Benchmark("webhook_fanout", "Webhook fan-out (1,000 events x 3 endpoints, a real worker)",
              "bench.webhook_fanout:webhook_fanout"),
]


def by_name(name: str) -> Benchmark:
    for benchmark in [DATASET, *BENCHMARKS]:
        if benchmark.name == name:
            return benchmark
    raise KeyError(name)

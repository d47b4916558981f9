"""The funding benchmark: ``python -m bench.funding``.

Measures in-process, per computation with its full trace: the S2 transformation subsidy (base, batch rate, the
level cap counted over a ledger of prior awards, the 二级 condition) and the S4 technical transformation (exclusion,
share, two caps, 30%/70% tranches), each against a ledger of ``--priors`` awards; beside a baseline of the same run
(a JSON round trip of the computation's output). Target (issue 13): < 1 ms per computation with its trace.
Figures are printed and written as JSON to ``bench/results/funding-<timestamp>.json``. Not a test: nothing asserts.

Concurrent approvals on one ledger are exercised for correctness in ``services/funding/tests/test_concurrency.py``;
their throughput is not measured here yet.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, date, datetime
from pathlib import Path

from funding.domain.engine import Claim, PriorAward, compute
from funding.domain.policies import shipped_policies

WAN = 1_000_000
DAY = date(2026, 3, 10)


def _time(fn: object, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--priors", type=int, default=50)
    args = parser.parse_args(argv)
    docs = {v.policy_id: v.document for j in ("guangzhou", "zhongshan") for v in shipped_policies(j)}
    s2, s4 = docs["gz-s2-sme-pilot"], docs["zs-s4-digital-intelligent"]
    priors = [PriorAward("ent-1" if n % 2 else "ent-2", "s2-transformation", "s2-transformation", f"p{n}", "baiyun",
                         date(2025, 1 + n % 12, 1), 2025, 1_000 + n) for n in range(args.priors)]
    cases = {
        "s2-transformation": (s2, s2.measure("s2-transformation"), Claim(
            "ent-1", "p-new", DAY, {"approved_investment_fen": 200 * WAN, "verified_actual_investment_fen": 150 * WAN,
                                    "batch_rate": "45%", "other_funds_fen": 5 * WAN}, {"level": 3}, district="baiyun")),
        "s4-tech-transformation": (s4, s4.measure("s4-tech-transformation"), Claim(
            "ent-1", "p-new", DAY, {"equipment_software_investment_fen": 5_000 * WAN, "other_city_funded_fen": 1_000 * WAN,
                                    "project_total_investment_fen": 6_000 * WAN}, {}, district="shiqi")),
    }
    results: dict[str, object] = {"runs": args.runs, "priors": args.priors, "python": platform.python_version(),
                                  "target_ms": 1.0, "cases": {}}
    for name, (policy, measure, claim) in cases.items():
        assert measure is not None
        out = compute(policy, measure, claim, priors)
        compute_ms = _time(lambda p=policy, m=measure, c=claim: compute(p, m, c, priors), args.runs)  # noqa: B023
        baseline_ms = _time(lambda o=out: json.loads(json.dumps(o.as_json())), args.runs)
        figures = {"amount_fen": out.amount_fen, "steps": len(out.steps),
                   "median_ms": statistics.median(compute_ms), "p99_ms": sorted(compute_ms)[int(len(compute_ms) * 0.99) - 1],
                   "baseline_json_roundtrip_median_ms": statistics.median(baseline_ms)}
        figures["ratio_to_baseline"] = figures["median_ms"] / figures["baseline_json_roundtrip_median_ms"]  # type: ignore[operator]
        results["cases"][name] = figures  # type: ignore[index]
        print(f"{name}: {figures['median_ms']:.4f} ms median, {figures['p99_ms']:.4f} ms p99 "
              f"({figures['ratio_to_baseline']:.1f}× a JSON round trip; target < 1 ms), {figures['steps']} steps")
    folder = Path(__file__).parent / "results"
    folder.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (folder / f"funding-{stamp}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

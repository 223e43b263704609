#!/usr/bin/env python3
"""Judges the runs saved by bench/slower.sh with the real rule, `pgvet compare`.

Usage: bench/slower_judge.py DIR   (DIR/runs/same-NN.json, DIR/runs/doubled-NN.json)

Unchanged: every ordered pair of runs of the same suite (same/same, doubled/doubled), every
query, and the point lookup in same -> doubled too (it reads one row in both suites).
Slowdown: same-i -> doubled-j for every i and j, every query but the point lookup.
The goal counts unchanged queries with a median of 0.05 ms to 50 ms and slowdowns of queries
of 1 ms or more. The sweep re-judges the same pairs with other settings, written into the
later run's saved settings (which is where `pgvet compare` reads them from).
"""
import glob
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PGVET = os.path.join(ROOT, "target", "release", "pgvet")
UNCHANGED_EVERYWHERE = {"point lookup"}
SWEEP = [(25, 0.2), (40, 0.1), (50, 0.2), (75, 0.2)]


def load(directory, suite):
    paths = sorted(glob.glob(os.path.join(directory, "runs", f"{suite}-*.json")))
    return [(path, json.load(open(path))) for path in paths]


def medians(runs, name):
    return [q["timing"]["median_ms"] for _, r in runs for q in r["queries"] if q["name"] == name]


def compare(before, after, settings, scratch, blind=False):
    """Each query's (regression, not_judged, confirmed_by) for `pgvet compare before after`.
    blind: both runs without the reference statement's times and the plan's work, as runs
    saved before pgvet recorded them are judged (time alone)."""
    def edited(path, name, edit):
        report = json.load(open(path))
        edit(report)
        out = os.path.join(scratch, name)
        json.dump(report, open(out, "w"))
        return out

    def strip(report):
        for q in report["queries"]:
            if q.get("timing"):
                q["timing"].pop("reference_ms", None)
            if q.get("plan_figures"):
                q["plan_figures"].pop("work", None)

    def set_rule(report):
        if blind:
            strip(report)
        if settings:
            report["settings"]["slower_threshold_pct"], report["settings"]["slower_floor_ms"] = settings

    if blind:
        before = edited(before, "before.json", strip)
    if settings or blind:
        after = edited(after, "after.json", set_rule)
    out = subprocess.run([PGVET, "compare", before, after, "--format", "json"],
                         capture_output=True, check=False)
    if out.returncode not in (0, 1):
        sys.exit(f"pgvet compare failed: {out.stderr.decode()}")
    return {q["name"]: (q["baseline"]["regression"], q["baseline"].get("not_judged"),
                        q["baseline"].get("confirmed_by"))
            for q in json.loads(out.stdout)["queries"] if q.get("baseline")}


def pairs(same, doubled):
    """(before, after, kind) for every comparison: kind "unchanged" or "slowdown" per query."""
    for runs in (same, doubled):
        for (a, _), (b, _) in itertools.permutations(runs, 2):
            yield a, b, lambda name: "unchanged"
    for (a, _), (b, _) in itertools.product(same, doubled):
        yield a, b, lambda name: "unchanged" if name in UNCHANGED_EVERYWHERE else "slowdown"


def judge_all(same, doubled, settings, typical, scratch, blind=False):
    """Per (query, kind): [comparisons, slower, not judged, confirmed by work]."""
    tally = {}
    for a, b, kind_of in pairs(same, doubled):
        for name, (regression, not_judged, by) in compare(a, b, settings, scratch, blind).items():
            kind = kind_of(name)
            # Which suite the query's unchanged comparisons come from, for its typical median.
            suite = "doubled" if "doubled-" in os.path.basename(a) else "same"
            key = (name, kind, suite if kind == "unchanged" else "same")
            t = tally.setdefault(key, [0, 0, 0, 0])
            t[0] += 1
            t[1] += regression == "slower"
            t[2] += not_judged is not None
            t[3] += regression == "slower" and by == "work"
    return tally


def goal(tally, typical):
    false = [v for (name, kind, suite), v in tally.items()
             if kind == "unchanged" and 0.05 <= typical[(name, suite)] <= 50]
    hits = [v for (name, kind, suite), v in tally.items()
            if kind == "slowdown" and typical[(name, "same")] >= 1.0]
    total = lambda rows, i: sum(r[i] for r in rows)
    return (total(false, 1), total(false, 0), total(false, 2),
            total(hits, 1), total(hits, 0), total(hits, 2), total(hits, 3))


def main():
    directory = sys.argv[1]
    same, doubled = load(directory, "same"), load(directory, "doubled")
    names = [q["name"] for q in same[0][1]["queries"]]
    typical = {(n, s): statistics.median(medians(runs, n))
               for n in names for s, runs in (("same", same), ("doubled", doubled))}
    print(f"\n{len(same)} + {len(doubled)} saved runs, runs = {same[0][1]['settings']['runs']}")
    print(f"{'query':22} {'same: median (range)':>28} {'doubled: median (range)':>28} "
          f"{'ratio':>6} {'same round':>10}  plan")
    for n in names:
        s, d = medians(same, n), medians(doubled, n)
        in_round = statistics.median(y / x for x, y in zip(s, d))
        plans = {q["plan"].replace("scan_2x", "scan_1x") for _, r in same + doubled
                 for q in r["queries"] if q["name"] == n}
        plan = plans.pop() if len(plans) == 1 else f"PLANS DIFFER: {plans}"
        print(f"{n:22} {statistics.median(s):8.3f} ({min(s):7.3f}–{max(s):7.3f}) "
              f"{statistics.median(d):8.3f} ({min(d):7.3f}–{max(d):7.3f}) "
              f"{statistics.median(d) / statistics.median(s):6.2f} {in_round:10.2f}  {plan}")

    with tempfile.TemporaryDirectory() as scratch:
        tally = judge_all(same, doubled, None, typical, scratch)
        print("\nThe defaults, per query: comparisons, slower, not judged")
        print(f"{'query':22} {'suite':8} {'unchanged':>22} {'2x slowdown':>22}")
        for n in names:
            for suite in ("same", "doubled"):
                u = tally.get((n, "unchanged", suite))
                sd = tally.get((n, "slowdown", "same")) if suite == "same" else None
                cell = lambda v: f"{v[0]:5} {v[1]:5} {v[2]:5}" if v else ""
                print(f"{n:22} {suite:8} {cell(u):>22} {cell(sd):>22}   "
                      f"median {typical[(n, suite)]:.3f} ms")
        f, fn, fj, h, hn, hj, hw = goal(tally, typical)
        print(f"\nGOAL (defaults): false slower {f} of {fn} unchanged comparisons "
              f"(0.05–50 ms; {fj} not judged); 2x slowdowns (>= 1 ms) flagged {h} of {hn} "
              f"= {100 * h / max(hn, 1):.1f}% ({hj} not judged; {hw} of the flagged confirmed "
              f"by the plan's work)")
        print("\nSweep: slower_threshold, slower_floor_ms -> false slower, 2x flagged")
        rows = [(f"{t:4}% {fl:4} ms", judge_all(same, doubled, (t, fl), typical, scratch))
                for t, fl in SWEEP]
        rows.append(("defaults, time alone (no reference times, no plan work: the rule before)",
                     judge_all(same, doubled, None, typical, scratch, blind=True)))
        for label, tally in rows:
            f, fn, fj, h, hn, hj, hw = goal(tally, typical)
            print(f"{label}: false {f:4} of {fn} ({100 * f / fn:5.2f}%), not judged {fj:4};  "
                  f"flagged {h:4} of {hn} ({100 * h / max(hn, 1):5.1f}%), not judged {hj:4}, "
                  f"by work {hw}")

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks examples/ against the sample's truth (pcaps/sample.truth.jsonl), without the engine.

For every campaign of examples/campaigns/ it counts the sample events of the trigger's type(s),
those whose `where` holds, and those whose `where`, `history` and `target` all hold, as the
contract ../shared/spec/campaigns.md defines them (a small independent reading of it, not the
engine: no caps, budgets, timing or priority). Fails when a campaign matches no event, when a
file lacks a key the spec's "Files" section has in every campaign, or when areas.yaml names a cell
that the sample never shows. With --verbose prints the table and the collisions (events that are
candidates of more than one non-record campaign).

usage: check_sample_triggers.py [ROOT] [--verbose]
"""
import csv
import glob
import json
import os
import sys
from collections import defaultdict
from datetime import datetime

try:
    import yaml
except ImportError:  # PyYAML missing: nothing to check with
    print("skipped: python3 yaml (PyYAML) not installed")
    sys.exit(77)

ROOT = next((a for a in sys.argv[1:] if not a.startswith("--")), os.path.join(os.path.dirname(__file__), "..", ".."))
VERBOSE = "--verbose" in sys.argv
EX = os.path.join(ROOT, "examples")


def ts(e):
    return datetime.fromisoformat(e["ts"].replace("Z", "+00:00")).timestamp()


def duration(text):
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return float(text[:-1]) * units[text[-1]]


def number(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def holds(value, cond):
    """One condition (op: operand) on a value; None (missing) never holds. Lists: the area rule."""
    if value is None:
        return False
    ops = [k for k in cond if k not in ("field", "column")]
    assert len(ops) == 1, cond
    op = ops[0]
    want = cond[op]
    if isinstance(value, list):  # area
        if op in ("eq", "in", "prefix"):
            return any(holds(v, {op: want}) for v in value)
        positive = {"ne": "eq", "not_in": "in", "not_prefix": "prefix"}[op]
        return not any(holds(v, {positive: want}) for v in value)
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(want, bool):
        want = "true" if want else "false"
    if op in ("prefix", "not_prefix"):
        r = str(value).startswith(str(want))
        return r if op == "prefix" else not r
    if op in ("in", "not_in"):
        r = any(holds(value, {"eq": w}) for w in want)
        return r if op == "in" else not r
    a, b = number(value), number(want)
    if a is None or b is None:
        a, b = str(value), str(want)
    return {"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]


def load():
    with open(os.path.join(EX, "probe.yaml")) as f:
        probe = yaml.safe_load(f)
    homes = [p.replace("-", "") for p in probe["home_plmns"]]
    with open(os.path.join(EX, probe["subscribers"])) as f:
        profiles = {r["imsi"]: r for r in csv.DictReader(f)}
    with open(os.path.join(EX, probe["tac"])) as f:
        tacs = {r["tac"]: r for r in csv.DictReader(f)}
    with open(os.path.join(EX, probe["areas"])) as f:
        areas = yaml.safe_load(f)
    campaigns = []
    for pattern in probe["campaigns"]:
        for path in sorted(glob.glob(os.path.join(EX, pattern))):
            with open(path) as f:
                text = f.read()
            campaigns.append((path, text, yaml.safe_load(text)))
    with open(os.path.join(ROOT, "pcaps", "sample.truth.jsonl")) as f:
        events = [json.loads(line) for line in f]
    return probe, homes, profiles, tacs, areas, campaigns, events


def main():
    probe, homes, profiles, tacs, areas, campaigns, events = load()
    problems = []

    def area_of(e):
        names = []
        for name, members in areas.items():
            for m in members:
                m = str(m)
                if ":" in m:
                    lac, ci = m.split(":")
                    if e.get("lac") == int(lac) and e.get("cell") == int(ci):
                        names.append(name)
                elif e.get("lac") == int(m):
                    names.append(name)
        return sorted(set(names))

    seen_cells = {(e.get("lac"), e.get("cell")) for e in events}
    for name, members in areas.items():
        for m in members:
            m = str(m)
            if ":" in m and tuple(int(x) for x in m.split(":")) not in seen_cells:
                problems.append(f"areas.yaml: {name}: cell {m} never occurs in the sample")

    def field(e, name):
        if name == "area":
            return area_of(e)
        if name == "home":
            return any(e.get("imsi", "").startswith(h) for h in homes)
        if name.startswith("profile."):
            p = profiles.get(e.get("imsi"))
            v = p.get(name[8:]) if p else None
            return v if v != "" else None
        for prefix, key in (("handset.", "imei"), ("prev_handset.", "prev_imei")):
            if name.startswith(prefix):
                imei = e.get(key)
                row = tacs.get(imei[:8]) if imei else None
                v = row.get(name[len(prefix):]) if row else None
                return v if v != "" else None
        return e.get(name)

    history = defaultdict(list)  # by subscriber, the events before (and including) the current one
    key = lambda e: e.get("imsi") or e.get("tmsi")  # noqa: E731
    for e in events:
        history[key(e)].append(e)
    position = {}
    for k, v in history.items():
        for i, e in enumerate(v):
            position[id(e)] = (k, i)

    def history_holds(e, cond):
        k, i = position[id(e)]
        mine = history[k][: i + 1]
        now = ts(e)
        if "count" in cond:
            window = duration(cond["within"])
            n = sum(1 for x in mine if x["type"] == cond["count"] and ts(x) > now - window)
            return n >= cond["at_least"]
        if "silent_for" in cond:
            return i > 0 and now - ts(mine[i - 1]) >= duration(cond["silent_for"])
        if "dwell" in cond:
            need = duration(cond["at_least"])
            for x in reversed(mine):
                if cond["dwell"] not in area_of(x) or "lac" not in x:
                    return False
                if now - ts(x) >= need:
                    return True
            return False
        if "cell_changes" in cond:
            window = duration(cond["within"])
            with_cell = [x for x in mine if "cell" in x]
            changes = sum(
                1 for a, b in zip(with_cell, with_cell[1:]) if a["cell"] != b["cell"] and ts(b) > now - window
            )
            return changes >= cond["cell_changes"]
        raise AssertionError(cond)

    required = ("id", "trigger", "channel", "evaluation")
    rows = []
    candidates = defaultdict(list)
    for path, text, c in campaigns:
        base = os.path.basename(path)
        if not text.startswith("# Scenario:"):
            problems.append(f"{base}: does not start with a '# Scenario:' comment")
        for k in required:
            if k not in c:
                problems.append(f"{base}: no {k}")
        if c.get("id") + ".yaml" != base:
            problems.append(f"{base}: id {c.get('id')} is not the file's name")
        t = c["trigger"]
        types = t["event"] if isinstance(t["event"], list) else [t["event"]]
        of_type = [e for e in events if e["type"] in types]
        where = [e for e in of_type if all(holds(field(e, w["field"]), w) for w in t.get("where", []) or [])]
        hist = [e for e in where if all(history_holds(e, h) for h in t.get("history", []) or [])]
        target = [
            e for e in hist if all(holds(field(e, "profile." + g["column"]), g) for g in c.get("target", []) or [])
        ]
        no_msisdn = sum(1 for e in target if not (profiles.get(e.get("imsi")) or {}).get("msisdn"))
        subs = len({key(e) for e in target})
        rows.append((c["id"], "+".join(types), len(of_type), len(where), len(hist), len(target), subs, no_msisdn))
        if not target:
            problems.append(f"{base}: no event of the sample is a candidate")
        if c["channel"]["type"] != "record":
            for e in target:
                candidates[id(e)].append((c.get("priority", 0), c["id"], e))

    if VERBOSE or problems:
        print(f"{'campaign':20} {'type':60} {'type#':>5} {'where':>5} {'hist':>5} {'cand':>5} {'subs':>4} {'no_msisdn':>9}")
        for r in rows:
            print(f"{r[0]:20} {r[1][:60]:60} {r[2]:5} {r[3]:5} {r[4]:5} {r[5]:5} {r[6]:4} {r[7]:9}")
        for lst in candidates.values():
            if len(lst) > 1:
                e = lst[0][2]
                print("collision:", e["ts"], e["type"], e.get("imsi"), sorted(lst, key=lambda x: (-x[0], x[1]))[0][1],
                      "wins over", [x[1] for x in sorted(lst, key=lambda x: (-x[0], x[1]))[1:]])
    for p in problems:
        print("FAIL:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

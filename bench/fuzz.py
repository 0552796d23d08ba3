#!/usr/bin/env python3
"""docs/RELIABILITY.md's fuzzing tables, from docs/results/fuzz.json: every coverage-guided
campaign (`cargo xtask fuzz --libfuzzer`), one row per target run. bench/tables.py renders them
between their markers.

    bench/fuzz.py collect target/fuzz-campaign.json   # the xtask runs this after a campaign:
                                                      # appends it, regenerates the tables
    bench/fuzz.py                                     # print the tables

Campaigns run before the xtask recorded them are in the file as their printed tables gave them,
marked `"source": "transcribed"`; the tables say so.
"""
import datetime
import json
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from perf import machine  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results" / "fuzz.json"
# The coverage-guided targets (fuzz/Cargo.toml; the xtask's FUZZ_TARGETS), in the order they run.
TARGETS = ["idx", "zip", "mat", "shard", "manifest", "settings", "checkpoint", "dlw", "resume"]
# What "ten million inputs per parser" means (the brief's bar for every parser).
GOAL_RUNS = 10_000_000


def collect(path):
    c = json.loads(pathlib.Path(path).read_text())
    c["date"] = datetime.date.today().isoformat()
    c["machine"] = machine()
    doc = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"campaigns": []}
    doc["campaigns"].append(c)
    RESULTS.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"appended the campaign to {RESULTS.relative_to(ROOT)}")
    subprocess.run([sys.executable, str(ROOT / "bench" / "tables.py"), "--only", "fuzz,fuzz-summary"],
                   check=True)


def _n(v):
    return "—" if v is None else f"{v:,}"


def _budget(c):
    """The campaign's budget and targets, from its command."""
    keep = [w for w in c["command"].split()[3:] if w != "--libfuzzer"]
    return "`" + " ".join(keep) + "`" if keep else "defaults"


def table(doc):
    lines = ["| date | campaign | target | runs | runs/s | peak RSS (MB) | edges | inputs kept | s |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for c in doc["campaigns"]:
        first = True
        for t in c["targets"]:
            what = ""
            if first:
                what = _budget(c)
                if c.get("note"):
                    what += f"; {c['note']}"
                if c.get("source") == "transcribed":
                    what += " (transcribed from its printed table)"
            label = t["target"] + (f" ({t['label']})" if t.get("label") else "")
            if t.get("failed"):
                label += f" — **failed**: {t['failed']}"
            lines.append(f"| {c['date'] if first else ''} | {what} | {label} | {_n(t.get('runs'))} "
                         f"| {_n(t.get('runs_per_s'))} | {_n(t.get('peak_rss_mb'))} | {_n(t.get('edges'))} "
                         f"| {_n(t.get('corpus'))} | {_n(t.get('seconds'))} |")
            first = False
    recorded = [c for c in doc["campaigns"] if c.get("source") != "transcribed"]
    lines.append("")
    lines.append(f"{len(doc['campaigns'])} campaigns, {len(recorded)} recorded by the xtask "
                 f"(the machine: {recorded[-1]['machine'] if recorded else 'not recorded'}); "
                 f"a 10 s timeout per input; a memory limit of 256 MB (recorded campaigns store "
                 f"theirs; transcribed ones from before a change on 2026-12-02 ran with 512 MB). "
                 f"From `docs/results/fuzz.json`.")
    return "\n".join(lines)


def summary(doc):
    """Per target, its longest single run, and whether any run failed."""
    best, failed = {}, []
    for i, c in enumerate(doc["campaigns"]):
        for t in c["targets"]:
            if t.get("failed"):
                # A failure a later campaign of the target ran ten million clean inputs past.
                later = any(u["target"] == t["target"] and not u.get("failed")
                            and (u.get("runs") or 0) >= GOAL_RUNS
                            for d in doc["campaigns"][i + 1:] for u in d["targets"])
                failed.append(f"{t['target']} on {c['date']}"
                              + (" (fixed: ten million inputs since, none failing)" if later else ""))
            elif (t.get("runs") or 0) > best.get(t["target"], (0, ""))[0]:
                best[t["target"]] = (t["runs"], c["date"])
    parts = [f"{t} {best[t][0]:,} ({best[t][1]})" if t in best else f"{t} never run" for t in TARGETS]
    short = [t for t in TARGETS if best.get(t, (0,))[0] < GOAL_RUNS]
    verdict = ("every target has passed ten million inputs in one run" if not short else
               f"not yet ten million inputs in one run: {', '.join(short)}")
    crashes = ("no campaign found a crash, a timeout or an input over the memory limit" if not failed
               else f"failed: {', '.join(failed)}")
    return f"- Longest single run per target: {'; '.join(parts)}. So {verdict}; {crashes}."


if __name__ == "__main__":
    if sys.argv[1:2] == ["collect"]:
        collect(sys.argv[2])
    else:
        d = json.loads(RESULTS.read_text())
        print(table(d) + "\n\n" + summary(d))

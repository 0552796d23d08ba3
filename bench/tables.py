"""Every results table in the docs, generated from the committed results files under
docs/results/ (each written by the bench/ script it names).

A table lives in a Markdown file between `<!-- table: NAME -->` and `<!-- /table -->`; this
script rewrites what is between them. `--check` rewrites nothing and exits 1 when a table differs
from what its results file gives (the native tests run it), so a hand edit is caught.

    python3 bench/tables.py            # regenerate every table
    python3 bench/tables.py --check    # fail if any table is stale or edited by hand
    python3 bench/tables.py --only lessons
    python3 bench/tables.py --check --root DIR   # another copy of README.md and docs/
    python3 bench/tables.py --only few-labels --print   # also print the generated tables

Figures drawn from results files (docs/few_labels.svg) are generated and checked the same way.
"""
import json
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import beyond  # noqa: E402
import few_labels  # noqa: E402
import fuzz  # noqa: E402
import gpu_report  # noqa: E402
import matmul_kernels  # noqa: E402
import paired  # noqa: E402
import patient  # noqa: E402
import perf  # noqa: E402
import perf_log  # noqa: E402
from paired import ci, interval, mean_sd  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
# `--root DIR`: another copy of the repo's docs (the tests check that a hand edit is caught).
if "--root" in sys.argv:
    ROOT = pathlib.Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
RESULTS = ROOT / "docs" / "results"
# The Markdown files that hold generated tables.
DOCS = [ROOT / "docs" / "RESULTS.md", ROOT / "README.md", ROOT / "docs" / "PERFORMANCE.md",
        ROOT / "docs" / "RELIABILITY.md"]


# The script that writes each results file, for the error when one is missing.
SCRIPTS = {"lessons": "bench/lessons.sh", "full-scale": "bench/fashion_full.sh",
           "few-labels": "bench/few_labels.sh", "beyond": "bench/beyond.sh",
           "beyond-strong": "bench/beyond_strong.sh", "patient": "bench/patient.sh",
           "patient-2000": "bench/patient.sh with LIMIT=2000 (docs/RESULTS.md says how)",
           "patient-10000": "bench/patient.sh with LIMIT=10000 (docs/RESULTS.md says how)",
           "patient-long": "bench/patient.sh with LONG=200 (docs/RESULTS.md says how)",
           "patient-kl": "bench/patient.sh with TS=1 AS=1.0 (docs/RESULTS.md says how)",
           "gpu-h200": "bench/gpu.sh on an H200 (docs/PERFORMANCE.md)", "bench": "cargo xtask bench",
           "fuzz": "cargo xtask fuzz --libfuzzer",
           "matmul-kernels": "bench/matmul_kernels.sh",
           "perf-log": "nothing: a dated log, kept as measured (bench/perf_log.py)"}


def results(name):
    path = RESULTS / f"{name}.json"
    if not path.exists():
        sys.exit(f"{path.relative_to(ROOT)} is missing: run {SCRIPTS[name]} (it writes it)")
    return json.loads(path.read_text())


def lessons():
    """The page's lessons measured natively (bench/lessons.sh)."""
    doc = results("lessons")
    rows = [
        "| lesson | labelled images | teacher | baseline, mean ± sd | distilled, mean ± sd "
        "| paired gain (points), mean [95 % CI] | per seed | one run, native, 1 thread |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for l in doc["lessons"]:
        runs = l["runs"]
        t, b, d = ([100 * r[k] for r in runs] for k in ("teacher", "baseline", "distilled"))
        g = [x - y for x, y in zip(d, b)]
        m, lo, hi = interval(g)
        (tm, _), (bm, bsd), (dm, dsd) = mean_sd(t), mean_sd(b), mean_sd(d)
        secs = mean_sd([r["seconds"] for r in runs])[0]
        labelled = f"{l['labelled']:,}" if l["labelled"] == l["transfer"] else f"{l['labelled']:,} of {l['transfer']:,}"
        rows.append(
            f"| {l['key']} | {labelled} | {tm:.2f} | {bm:.2f} ± {bsd:.2f} | {dm:.2f} ± {dsd:.2f} "
            f"| **{m:+.2f}** [{lo:+.2f}, {hi:+.2f}] | {', '.join(f'{x:+.2f}' for x in g)} | {secs:.0f} s |"
        )
    teacher = doc["teacher"]
    rows.append("")
    rows.append(
        f"Seeds {', '.join(str(r['seed']) for r in doc['lessons'][0]['runs'])}; the teacher is "
        f"`{teacher['file']}` ({100 * teacher['val_acc']:.2f} % on the 10,000 test images, "
        f"{teacher['epochs']} epochs); accuracies on each lesson's validation images. "
        f"From `docs/results/lessons.json`."
    )
    return "\n".join(rows)


def few_labels_headline():
    """The README's few-labels bullet: the fewest labels with the whole set as transfer set."""
    runs = few_labels.group(results("few-labels")["sweeps"])
    ns, base, out = few_labels.series(runs)
    n = ns[0]
    best = max(((a, by_n[n][1]) for (kind, a, _), by_n in out.items() if kind == "whole" and n in by_n),
               key=lambda c: interval(c[1])[0])
    seeds = len(best[1])
    return (f"- Where labels are scarce distillation pays most: with {n:,} labels and the other "
            f"{ns[-1] - n:,} images as an unlabelled transfer set, the student gains "
            f"{ci(*interval(best[1])).replace('**', '')} points over the same labels alone "
            f"(α {best[0]:g}, {seeds} seeds).")


def full_scale_headline():
    """The README's full-scale bullet: the best of the T × λ grid on all 60,000 labels."""
    doc = results("full-scale")
    runs = paired.group(doc["sweeps"])
    cells = []
    for loss, by_seed in runs.items():
        seeds = sorted(by_seed)
        base = [by_seed[s]["baseline_val_acc"] for s in seeds]
        for i in range(len(by_seed[seeds[0]]["grid"])):
            gains = [100 * (by_seed[s]["grid"][i]["val_acc"] - b) for s, b in zip(seeds, base)]
            cells.append(interval(gains))
    m, lo, hi = max(cells)
    verdict = (f"distillation helps this student (best cell {ci(m, lo, hi).replace('**', '')} points"
               if lo > 0 else
               f"no T × λ cell helps this student (best {ci(m, lo, hi).replace('**', '')} points")
    return (f"- At full scale (all 60,000 labels) {verdict}, {len(cells)} cells, {len(seeds)} seeds): "
            "the teacher's lead is in generalising, which an MLP cannot copy from its outputs on "
            "images it already fits.")


def headline():
    return few_labels_headline() + "\n" + full_scale_headline()


def beyond_headline():
    """The README's bullet on the study's suggested next steps, from both teachers' tables."""
    parts = []
    for name, who in (("beyond", "a teacher trained on the same 10,000 labels"),
                      ("beyond-strong", "the full-scale teacher")):
        doc = results(name)
        runs = {int(k[4:]): v for k, v in doc["sweeps"].items()}
        seeds = sorted(runs)
        best = {}
        for s in seeds:
            for key, row in beyond.cells(runs[s]).items():
                best.setdefault(key, []).append(100 * (row["val_acc"] - runs[s]["baseline_val_acc"]))
        by_method = {}
        for key, gains in best.items():
            iv = interval(gains)
            if key[0] not in by_method or iv > by_method[key[0]]:
                by_method[key[0]] = iv
        parts.append(f"{who}: " + "; ".join(
            f"{beyond.LABELS[m]} {ci(*iv).replace('**', '')}" for m, iv in sorted(by_method.items())))
    return ("- Beyond the study, on 10,000 labelled images, the best setting of each method (paired "
            "gain over the baseline in points, 5 seeds) — from " + "; from ".join(parts) + ".")


TABLES = {
    "lessons": lessons,
    "full-scale": lambda: paired.full_scale(results("full-scale")),
    "few-labels": lambda: few_labels.table(results("few-labels")),
    "beyond": lambda: beyond.table(results("beyond"), "beyond"),
    "beyond-strong": lambda: beyond.table(results("beyond-strong"), "beyond-strong"),
    "headline": headline,
    "headline-beyond": beyond_headline,
    "patient": lambda: patient.table(results("patient")),
    "headline-patient": lambda: patient.headline(results("patient"), [
        ("at 200 epochs", results("patient-long")),
        ("with the paper's objective (T 1, the teacher's targets alone)", results("patient-kl"))]),
    "patient-2000": lambda: patient.table(results("patient-2000"), "patient-2000"),
    "patient-10000": lambda: patient.table(results("patient-10000"), "patient-10000"),
    "patient-long": lambda: patient.table(results("patient-long"), "patient-long"),
    "patient-kl": lambda: patient.table(results("patient-kl"), "patient-kl",
                                        ("patient-long", results("patient-long"))),
    "gpu-h200": lambda: gpu_report.table(results("gpu-h200")),
    "matmul-kernels": lambda: matmul_kernels.table(results("matmul-kernels")),
    "fuzz": lambda: fuzz.table(results("fuzz")),
    "fuzz-summary": lambda: fuzz.summary(results("fuzz")),
    **{name: (lambda f=f: f(results("bench"))) for name, f in perf.TABLES.items()},
    **{name: (lambda n=name: perf_log.table(results("perf-log"), n)) for name in perf_log.TABLES},
}
# Figures drawn from results files: path under ROOT → (the results file it needs, its text).
FIGURES = {"docs/few_labels.svg": ("few-labels", lambda: few_labels.svg(results("few-labels")))}
MARK = re.compile(r"(<!-- table: (\S+) -->\n)(.*?)(<!-- /table -->)", re.S)


def main(argv):
    check = "--check" in argv
    only = argv[argv.index("--only") + 1].split(",") if "--only" in argv else list(TABLES)
    stale, seen, printed = [], set(), set()
    for rel, (needs, draw) in FIGURES.items():
        path = ROOT / rel
        if needs not in only or not (RESULTS / f"{needs}.json").exists():
            continue
        text = draw()
        if not path.exists() or path.read_text() != text:
            stale.append(rel)
            if not check:
                path.write_text(text)
    for path in DOCS:
        if not path.exists():
            continue
        text = path.read_text()

        def fill(m):
            name = m.group(2)
            if name not in TABLES:
                sys.exit(f"{path.name}: no generator for table {name!r} (known: {', '.join(TABLES)})")
            if name not in only:
                return m.group(0)
            seen.add(name)
            body = TABLES[name]() + "\n"
            if "--print" in argv and name not in printed:
                printed.add(name)
                print(body)
            if body != m.group(3):
                stale.append(f"{path.relative_to(ROOT)}: {name}")
            return m.group(1) + body + m.group(4)

        new = MARK.sub(fill, text)
        if not check and new != text:
            path.write_text(new)
    for name in only:
        if name not in seen:
            print(f"note: no document holds the table {name!r}", file=sys.stderr)
            if "--print" in argv:
                try:
                    print(TABLES[name]() + "\n")
                except SystemExit as e:  # its results file is missing: say which
                    print(f"note: {e}", file=sys.stderr)
    if check and stale:
        print("stale or hand-edited tables (run python3 bench/tables.py):\n  " + "\n  ".join(stale))
        return 1
    print(("checked" if check else "generated") + f" {len(seen)} table(s): {', '.join(sorted(seen))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

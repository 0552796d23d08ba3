"""Every results table in the docs, generated from the committed results files under
docs/results/ (each written by the bench/ script it names).

A table lives in a Markdown file between `<!-- table: NAME -->` and `<!-- /table -->`; this
script rewrites what is between them. `--check` rewrites nothing and exits 1 when a table differs
from what its results file gives (the native tests run it), so a hand edit is caught.

    python3 bench/tables.py            # regenerate every table
    python3 bench/tables.py --check    # fail if any table is stale or edited by hand
    python3 bench/tables.py --only lessons
    python3 bench/tables.py --check --root DIR   # another copy of README.md and docs/
"""
import json
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from paired import interval, mean_sd  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
# `--root DIR`: another copy of the repo's docs (the tests check that a hand edit is caught).
if "--root" in sys.argv:
    ROOT = pathlib.Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
RESULTS = ROOT / "docs" / "results"
# The Markdown files that hold generated tables.
DOCS = [ROOT / "docs" / "RESULTS.md", ROOT / "README.md"]


def lessons():
    """The page's lessons measured natively (bench/lessons.sh)."""
    doc = json.loads((RESULTS / "lessons.json").read_text())
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


TABLES = {"lessons": lessons}
MARK = re.compile(r"(<!-- table: (\S+) -->\n)(.*?)(<!-- /table -->)", re.S)


def main(argv):
    check = "--check" in argv
    only = argv[argv.index("--only") + 1].split(",") if "--only" in argv else list(TABLES)
    stale, seen = [], set()
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
            if body != m.group(3):
                stale.append(f"{path.relative_to(ROOT)}: {name}")
            return m.group(1) + body + m.group(4)

        new = MARK.sub(fill, text)
        if not check and new != text:
            path.write_text(new)
    for name in only:
        if name not in seen:
            print(f"note: no document holds the table {name!r}", file=sys.stderr)
    if check and stale:
        print("stale or hand-edited tables (run python3 bench/tables.py):\n  " + "\n  ".join(stale))
        return 1
    print(("checked" if check else "generated") + f" {len(seen)} table(s): {', '.join(sorted(seen))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

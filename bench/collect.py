"""Gathers a result script's runs into the committed results file the docs' tables are
generated from (bench/tables.py): the JSON line each `distill sweep` printed, keyed by its file
name (`hinton-seed0`, `whole-n250-seed1`, `seed3`), and the teacher's summary.

    python3 bench/collect.py NAME RUNS_DIR TEACHER SCRIPT "WHAT" [SECOND_TEACHER]
    # TEACHER (and a second teacher some sweeps used): its run dir or weights file

writes docs/results/NAME.json. Each sweep keeps the seconds it took (`seconds`), the teacher
its own, so the tables say what the results cost even when a re-run skipped finished runs.
"""
import json
import pathlib
import re
import struct
import sys

# The sweep files the result scripts write: NAME-seedS (LOSS-, KIND-nN-, VARIANT-) and seedS.
SWEEP = re.compile(r"([A-Za-z0-9_.+-]+-seed\d+|seed\d+)")
# What a teacher summary keeps: enough to name it, not its paths or machine details.
TEACHER_KEYS = ("model", "dataset", "train_samples", "val_samples", "epochs", "early_stopped",
                "augment", "plateau", "early_stopping",
                "val_acc", "val_loss", "acc", "seconds", "params", "seed")


def collect(runs_dir, teacher_dir):
    sweeps = {}
    for f in sorted(pathlib.Path(runs_dir).glob("*.json")):
        if not SWEEP.fullmatch(f.stem):
            continue
        lines = [l for l in f.read_text().splitlines() if l.startswith("{")]
        if not lines:
            sys.exit(f"{f}: no JSON line (a run that failed? see {f.with_suffix('.log')})")
        sweeps[f.stem] = json.loads(lines[-1])
    if not sweeps:
        sys.exit(f"{runs_dir}: no sweep results to collect (run the script first)")
    return teacher_summary(pathlib.Path(teacher_dir)), sweeps


def teacher_summary(path):
    """A teacher run's summary.json, or the header of a weights file (the shipped teacher)."""
    if path.is_dir():
        summary = json.loads((path / "summary.json").read_text())
    else:
        raw = path.read_bytes()
        (n,) = struct.unpack("<I", raw[8:12])
        summary = {**json.loads(raw[12:12 + n]), "file": str(path)}
        summary["model"] = summary.pop("arch", None)
    return {k: summary[k] for k in TEACHER_KEYS + ("file",) if k in summary}


def main(argv):
    name, runs_dir, teacher_dir, script, what = argv[:5]
    teacher, sweeps = collect(runs_dir, teacher_dir)
    doc = {"script": script, "what": what, "teacher": teacher, "sweeps": sweeps}
    if len(argv) > 5:
        doc["second_teacher"] = teacher_summary(pathlib.Path(argv[5]))
    dest = pathlib.Path(__file__).resolve().parent.parent / "docs" / "results" / f"{name}.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"wrote {dest.relative_to(dest.parent.parent.parent)} ({len(sweeps)} sweeps)")


if __name__ == "__main__":
    main(sys.argv[1:])

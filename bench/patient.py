"""Issue 29's table (bench/patient.sh), generated from its results file (docs/results/
patient.json; bench/tables.py calls `table` and `headline`): every variant's label-only baseline
and distilled students, each gain paired per seed over the variant's own baseline and over the
best label-only recipe (the gain that counts), with 95 % intervals; then the ablations, each
paired per seed: consistent against inconsistent targets, cached views against live, with and
without mixup, the long schedule against the short one; optionally the same students of another
results file (another objective); whether the curves have flattened, and a long run read at each
quarter.

    python3 bench/patient.py docs/results/patient.json   # print it from any such file
"""
import json
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from paired import ci, interval, mean_sd, signed  # noqa: E402

VARIANTS = {
    "plain": "no augmentation",
    "jitter": "jitter, cached views",
    "mixup": "jitter + mixup, cached views",
    "mixup-clean": "jitter + mixup, clean-image targets (inconsistent)",
    "mixup-live": "jitter + mixup, live teacher (function matching)",
    "mixup-long": "jitter + mixup, cached views, long schedule (plateau decay kept)",
    "plain-patient": "no augmentation, long at a constant rate",
    "jitter-patient": "jitter, cached views, long at a constant rate (patient)",
    "mixup-patient": "jitter + mixup, cached views, long at a constant rate (patient)",
    "shift": "shift ≤ 1 px only, cached views",
    "shift-patient": "shift ≤ 1 px only, cached views, long at a constant rate (patient)",
    "shift-clean-patient": "shift ≤ 1 px only, clean-image targets (inconsistent), long at a constant rate",
    "shift-live-patient": "shift ≤ 1 px only, live teacher (function matching), long at a constant rate (patient)",
    "shiftmix-patient": "shift ≤ 1 px + mixup, cached views, long at a constant rate (patient)",
    "shiftmix-live-patient": "shift ≤ 1 px + mixup, live teacher (function matching), long at a constant rate (patient)",
    "augteacher-plain": "no augmentation, the augmented teacher",
    "augteacher-shift-patient": "shift ≤ 1 px only, cached views, long at a constant rate (patient), the augmented teacher",
}
AUGT = ", the augmented teacher"


def recipe(v):
    """A variant's label-only recipe in words: its views and schedule, not the teacher's targets."""
    name = VARIANTS.get(v, v)
    for targets in (", cached views", ", clean-image targets (inconsistent)",
                    ", live teacher (function matching)", " (patient)", AUGT):
        name = name.replace(targets, "")
    return name


def group(sweeps):
    """{variant: {seed: sweep json}}."""
    runs = {}
    for stem, line in sweeps.items():
        m = re.fullmatch(r"(.+)-seed(\d+)", stem)
        runs.setdefault(m[1], {})[int(m[2])] = line
    return runs


def students(runs):
    """{(variant, T, α): {seed: accuracy %}} for the distilled students and
    {variant: {seed: accuracy %}} for the baselines, over the seeds every variant has."""
    seeds = sorted(set.intersection(*(set(v) for v in runs.values())))
    base = {v: {s: 100 * runs[v][s]["baseline_val_acc"] for s in seeds} for v in runs}
    dist = {}
    for v, by_seed in runs.items():
        for i, cell in enumerate(by_seed[seeds[0]]["grid"]):
            key = (v, cell["temperature"], round(cell["lambda"], 4))
            dist[key] = {s: 100 * by_seed[s]["grid"][i]["val_acc"] for s in seeds}
    return seeds, base, dist


def order(v):
    return list(VARIANTS).index(v) if v in VARIANTS else len(VARIANTS)


def paired(a, b, seeds):
    return [a[s] - b[s] for s in seeds]


def summary(doc):
    """The best label-only recipe, the best distilled student and its gain over that recipe."""
    runs = group(doc["sweeps"])
    seeds, base, dist = students(runs)
    # Variants that differ only in the teacher's targets share one label-only run: the first
    # in VARIANTS' order names it.
    best_base = max(sorted(base, key=order), key=lambda v: mean_sd(list(base[v].values()))[0])
    best = max(dist, key=lambda k: mean_sd(list(dist[k].values()))[0])
    gains = paired(dist[best], base[best_base], seeds)
    return seeds, best_base, best, gains


def table(doc, name="patient", against=None):
    """The table, its verdict, ablations and curves; `against` (a (results file name, its doc)
    pair) adds each distilled student paired with the same variant's there."""
    runs = group(doc["sweeps"])
    seeds, base, dist = students(runs)
    t = doc["teacher"]
    seconds = {v: mean_sd([r["seconds"] for r in runs[v].values()])[0] for v in runs}
    epochs = lambda v, s: runs[v][s]["baseline_epochs"]  # noqa: E731
    _, best_base, best, gains = summary(doc)
    out = [
        f"Teacher CNN: {100 * t['val_acc']:.2f} % ({t.get('train_samples', 60000):,} images, "
        f"{t['epochs']} epochs{', `' + t['file'] + '`' if 'file' in t else ''}). Seeds {', '.join(map(str, seeds))}; {len(doc['sweeps'])} sweeps, "
        f"{sum(r['seconds'] for r in doc['sweeps'].values()):,.0f} s of sweeps.",
        *second_teacher(doc),
        "",
        "| variant | student | accuracy %, mean ± sd | gain over its own baseline | gain over the best label-only | per seed (over the best label-only) | epochs (mean) | one sweep (mean) |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for v in sorted(runs, key=order):
        bm, bsd = mean_sd(list(base[v].values()))
        ep = sum(epochs(v, s) for s in seeds) / len(seeds)
        over = paired(base[v], base[best_base], seeds)
        # Variants that differ only in the teacher's targets train the same label-only run.
        top = base[v] == base[best_base]
        mark = " (best label-only)" if top else ""
        out.append(f"| {VARIANTS.get(v, v)} | label-only{mark} | {bm:.2f} ± {bsd:.2f} | | "
                   f"{ci(*interval(over)) if not top else ''} | "
                   f"{signed(over) if not top else ''} | {ep:.1f} | {seconds[v]:,.0f} s |")
        for key in sorted(k for k in dist if k[0] == v):
            acc = dist[key]
            am, asd = mean_sd(list(acc.values()))
            own, top = paired(acc, base[v], seeds), paired(acc, base[best_base], seeds)
            i = [c["temperature"] == key[1] and round(c["lambda"], 4) == key[2]
                 for c in runs[v][seeds[0]]["grid"]].index(True)
            ep = sum(runs[v][s]["grid"][i]["epochs"] for s in seeds) / len(seeds)
            out.append(f"| {VARIANTS.get(v, v)} | distilled, hinton T {key[1]:g} α {key[2]:g} | "
                       f"{am:.2f} ± {asd:.2f} | {ci(*interval(own))} | {ci(*interval(top))} | "
                       f"{signed(top)} | {ep:.1f} | |")
    m, lo, hi = interval(gains)
    met = m >= 1.0 and lo > 0
    out += ["", f"**The best distilled student ({VARIANTS.get(best[0], best[0])}, T {best[1]:g}, "
            f"α {best[2]:g}) against the best label-only student ({recipe(best_base)}): "
            f"{ci(m, lo, hi).replace('**', '')} points"
            + (f" — the goal (≥ +1.0, interval above 0) is {'met' if met else 'not met'}"
               if name == "patient" else "")
            + ".** Both picked after the fact by their means."]
    # Ablations, paired per seed at the same T and α.
    pairs = [("mixup", "mixup-clean", "consistent (cached views) − inconsistent (clean-image targets)"),
             ("mixup-live", "mixup", "live teacher − cached views"),
             ("mixup", "jitter", "with mixup − without"),
             ("mixup-long", "mixup", "long schedule − short"),
             ("mixup-patient", "mixup", "patient (long, constant rate) − short"),
             ("jitter-patient", "jitter", "patient (long, constant rate) − short, jitter only"),
             ("plain-patient", "plain", "long at a constant rate − the study's schedule, no views"),
             ("shift-patient", "shift-clean-patient", "consistent (cached views) − inconsistent (clean-image targets), shift ≤ 1 px, patient"),
             ("shift-patient", "shift", "patient (long, constant rate) − short, shift ≤ 1 px"),
             ("shift-patient", "plain-patient", "views (shift ≤ 1 px, cached) − none, patient"),
             ("shift-live-patient", "shift-patient", "live teacher − cached views, shift ≤ 1 px, patient"),
             ("shift-live-patient", "shift-clean-patient", "live teacher (consistent) − inconsistent (clean-image targets), shift ≤ 1 px, patient"),
             ("shiftmix-patient", "shift-patient", "with mixup − without, shift ≤ 1 px, cached views, patient"),
             ("shiftmix-live-patient", "shiftmix-patient", "live teacher − cached views, shift ≤ 1 px + mixup, patient"),
             ("augteacher-plain", "plain", "the augmented teacher − the shipped one, no views, the study's schedule"),
             ("augteacher-shift-patient", "shift-patient", "the augmented teacher − the shipped one, shift ≤ 1 px, patient")]
    lines = []
    for a, b, what in pairs:
        for key in sorted(k for k in dist if k[0] == a):
            other = (b, key[1], key[2])
            if other in dist:
                d = paired(dist[key], dist[other], seeds)
                lines.append(f"- {what}, T {key[1]:g} α {key[2]:g}: {ci(*interval(d))} points "
                             f"({signed(d)}); one sweep {seconds[a]:,.0f} s against {seconds[b]:,.0f} s")
    if lines:
        out += ["", "Ablations (distilled students, paired per seed):", ""] + lines
    if against:
        out += compared(runs, seeds, *against)
    out += flattening(runs, seeds)
    out += by_epoch(runs, seeds)
    out += ["", f"From `docs/results/{name}.json`."]
    return "\n".join(out)


def compared(runs, seeds, ref_name, ref, window=10):
    """Each distilled student here against the same variant's in the results file `ref`, read at
    this run's last epoch (a longer constant-rate run read early is the shorter run), paired per
    seed: at that epoch and over the `window` epochs ending there. Both must keep their curves,
    and their label-only runs must be the same run, epoch by epoch."""
    ref_runs = group(ref["sweeps"])
    lines = []
    for v in sorted(runs, key=order):
        if v not in ref_runs or any(s not in ref_runs[v] for s in seeds):
            continue
        n = len(runs[v][seeds[0]]["baseline_curve"])
        if any(runs[v][s]["baseline_curve"] != ref_runs[v][s]["baseline_curve"][:n] for s in seeds):
            sys.exit(f"{v}: its label-only runs differ from docs/results/{ref_name}.json's")
        for i, c in enumerate(runs[v][seeds[0]]["grid"]):
            for j, o in enumerate(ref_runs[v][seeds[0]]["grid"]):
                a = {s: runs[v][s]["grid"][i]["curve"] for s in seeds}
                b = {s: ref_runs[v][s]["grid"][j]["curve"][:n] for s in seeds}
                end = [100 * (a[s][-1] - b[s][-1]) for s in seeds]
                win = [100 * (sum(a[s][-window:]) - sum(b[s][-window:])) / window for s in seeds]
                lines.append(f"- {VARIANTS.get(v, v)}: T {c['temperature']:g} α {c['lambda']:g} − "
                             f"T {o['temperature']:g} α {o['lambda']:g}: {ci(*interval(end))} "
                             f"points at epoch {n} ({signed(end)}); over the {window} epochs "
                             f"ending there {ci(*interval(win))} ({signed(win)})")
    if not lines:
        return []
    return ["", f"Against the same students of `docs/results/{ref_name}.json` read at the same epoch "
            "(the same label-only runs, paired per seed):", ""] + lines


def flattening(runs, seeds, window=10):
    """Whether the long runs' curves have flattened: over the seeds, the change in validation
    accuracy from the `window` epochs ending a quarter of the run before its end to its last
    `window` epochs (sweeps that kept their per-epoch curves only)."""
    def change(curves):
        d = []
        for c in curves:
            q = len(c) // 4
            if q < window:
                return None
            d.append(100 * (sum(c[-window:]) - sum(c[-q - window:-q])) / window)
        return d
    lines = []
    for v in sorted(runs, key=order):
        by_seed = [runs[v][s] for s in seeds]
        if not all("baseline_curve" in r for r in by_seed):
            continue
        base = change([r["baseline_curve"] for r in by_seed])
        dist = change([r["grid"][0]["curve"] for r in by_seed])
        if base is None or dist is None:
            continue
        n = len(by_seed[0]["baseline_curve"])
        lines.append(f"- {VARIANTS.get(v, v)}: label-only {ci(*interval(base))}, distilled "
                     f"{ci(*interval(dist))} points from epochs {n - n // 4 - window + 1}–{n - n // 4} "
                     f"to {n - window + 1}–{n} (means of {window} epochs)")
    if not lines:
        return []
    return ["", "Has the curve flattened? The change over the last quarter of the run:", ""] + lines


def by_epoch(runs, seeds, min_epochs=150, window=10):
    """For runs of at least `min_epochs` epochs at a constant rate that kept their curves: each
    student's accuracy and the distilled one's paired gain over its own baseline at every
    quarter of the run — the same run read at earlier epochs is the shorter schedule (at a
    constant rate and without early stopping the first N epochs do not depend on how many
    follow) — and the same gain over the `window` epochs ending there, which a single epoch's
    ups and downs at a constant rate do not move."""
    lines = []
    for v in sorted(runs, key=order):
        by_seed = [runs[v][s] for s in seeds]
        if not all("baseline_curve" in r for r in by_seed):
            continue
        n = min(len(r["baseline_curve"]) for r in by_seed)
        if n < min_epochs or any(len(r["grid"][0]["curve"]) != n for r in by_seed):
            continue
        if not lines:
            lines = ["", "The long runs read along the way (the same runs at earlier epochs; then "
                     f"the means of the {window} epochs ending there):", "",
                     "| variant | epochs | label-only % | distilled % | gain over its own baseline "
                     f"| label-only %, {window} epochs | distilled %, {window} epochs | gain, "
                     f"{window} epochs |",
                     "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for e in sorted({n // 4, n // 2, 3 * n // 4, n}):
            b = {s: 100 * runs[v][s]["baseline_curve"][e - 1] for s in seeds}
            d = {s: 100 * runs[v][s]["grid"][0]["curve"][e - 1] for s in seeds}
            mean = lambda c: 100 * sum(c[e - window:e]) / window  # noqa: E731
            bw = {s: mean(runs[v][s]["baseline_curve"]) for s in seeds}
            dw = {s: mean(runs[v][s]["grid"][0]["curve"]) for s in seeds}
            acc = lambda a: "{:.2f} ± {:.2f}".format(*mean_sd(list(a.values())))  # noqa: E731
            lines.append(f"| {VARIANTS.get(v, v)} | {e} | {acc(b)} | {acc(d)} | "
                         f"{ci(*interval(paired(d, b, seeds)))} | {acc(bw)} | {acc(dw)} | "
                         f"{ci(*interval(paired(dw, bw, seeds)))} |")
    return lines


def second_teacher(doc):
    """The line naming the augmented teacher (`AUG_TEACHER`), if the results file has one: the
    `augteacher-` variants learn from it."""
    t = doc.get("second_teacher")
    if not t:
        return []
    how = "a constant rate" if t.get("plateau") is False else "the plateau schedule"
    used = any(k.startswith("augteacher-") for k in doc["sweeps"])
    return ["", f"The augmented teacher: the same CNN trained on varied views (`--augment "
            f"{t.get('augment', '?')}`) for {t['epochs']} epochs at {how}, "
            f"{100 * t['val_acc']:.2f} % ({t['seconds']:,.0f} s of training)"
            + (f"; the rows marked `{AUGT[2:]}` learn from it." if used else
               f", against {100 * doc['teacher']['val_acc']:.2f} % for the teacher above: no "
               "stronger, so no row here learns from it.")]


def headline(doc, more=()):
    """The README's bullet; `more` adds, for each (words, results file) pair, the same comparison
    within that file (the longer schedule, the paper's objective)."""
    seeds, best_base, best, gains = summary(doc)
    m, lo, hi = interval(gains)
    line = (f"- A patient, consistent teacher (Beyer et al. 2022) on all 60,000 labels: the best "
            f"distilled student ({VARIANTS.get(best[0], best[0])}) against the best label-only one "
            f"({recipe(best_base)}): {ci(m, lo, hi).replace('**', '')} points, "
            f"{len(seeds)} seeds")
    for words, other in more:
        seeds, _, _, gains = summary(other)
        line += (f"; {words}, the best against the best: "
                 f"{ci(*interval(gains)).replace('**', '')} points ({len(seeds)} seeds"
                 + last_epochs(other) + ")")
    return line + "."


def last_epochs(doc, window=10):
    """`, over its last N epochs: GAIN` — the best distilled student's gain over the best
    label-only one, means of the last `window` epochs (one epoch moves by tenths at a constant
    rate) — where both kept their curves; else empty."""
    runs = group(doc["sweeps"])
    seeds, best_base, best, _ = summary(doc)
    cell = [(c["temperature"], round(c["lambda"], 4)) for c in runs[best[0]][seeds[0]]["grid"]]
    i = cell.index(best[1:])
    if not all("curve" in runs[best[0]][s]["grid"][i] and "baseline_curve" in runs[best_base][s]
               for s in seeds):
        return ""
    mean = lambda c: 100 * sum(c[-window:]) / window  # noqa: E731
    gains = [mean(runs[best[0]][s]["grid"][i]["curve"]) - mean(runs[best_base][s]["baseline_curve"])
             for s in seeds]
    return f"; over its last {window} epochs: {ci(*interval(gains)).replace('**', '')}"


if __name__ == "__main__":
    path = pathlib.Path(sys.argv[1])
    print(table(json.loads(path.read_text()), path.stem))

"""Table and curve for bench/few_labels.sh, generated from its results file
(docs/results/few-labels.json; bench/tables.py calls these): accuracy against the number of
labelled images N for the baseline and the distilled students (same N images; whole training set
as transfer set; the patient teacher on the whole set, with its own label-only student on the
same views and schedule), mean ± sd over seeds and the paired gain over the study's baseline
(same seed) with a 95 % interval; the curve as a self-contained SVG.
"""
import math
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from paired import ci, interval, mean_sd, pct, signed  # noqa: E402


def group(sweeps):
    """{(kind, n): {seed: sweep json}} from {"KIND-nN-seedS": sweep json}."""
    runs = {}
    for stem, line in sorted(sweeps.items()):
        m = re.fullmatch(r"(same|whole|patient)-n(\d+)-seed(\d+)", stem)
        runs.setdefault((m[1], int(m[2])), {})[int(m[3])] = line
    return runs


def series(runs):
    """[(label, kind, α, {n: [acc per seed]}, {n: [gain per seed]})] and the baselines.

    Gains are over the study's baseline of the same N and seed (the "same" and "whole" runs
    share it). A patient run brings its own label-only student (kind "patient-labels", α and T
    None) beside its distilled one; an N whose patient runs lack a seed the baseline has is left
    out of both (a run still under way)."""
    ns = sorted({n for _, n in runs})
    base_by_seed = {}
    for (kind, n), by_seed in sorted(runs.items()):
        if kind != "patient":
            for s, r in by_seed.items():
                base_by_seed.setdefault(n, {})[s] = 100 * r["baseline_val_acc"]
    base = {n: [b[s] for s in sorted(b)] for n, b in base_by_seed.items()}
    out = {}
    for (kind, n), by_seed in sorted(runs.items()):
        seeds = sorted(by_seed)
        if n not in base_by_seed or seeds != sorted(base_by_seed[n]):
            continue
        b = base[n]
        if kind == "patient":
            acc = [100 * by_seed[s]["baseline_val_acc"] for s in seeds]
            out.setdefault(("patient-labels", None, None), {})[n] = (acc, [a - x for a, x in zip(acc, b)])
        for i, cell in enumerate(by_seed[seeds[0]]["grid"]):
            acc = [100 * by_seed[s]["grid"][i]["val_acc"] for s in seeds]
            key = (kind, cell["lambda"], cell["temperature"])
            out.setdefault(key, {})[n] = (acc, [a - x for a, x in zip(acc, b)])
    order = ("same", "whole", "patient-labels", "patient")
    out = dict(sorted(out.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1] or 0, kv[0][2] or 0)))
    # With every image labelled, "whole set" is the "same N" run.
    for (kind, a, t), by_n in out.items():
        if kind == "whole" and ns[-1] not in by_n and ("same", a, t) in out:
            by_n[ns[-1]] = out[("same", a, t)].get(ns[-1], ([], []))
    return ns, base, out


def check_baselines(runs):
    """The baseline of a (N, seed) must be the same run in both kinds: determinism, checked."""
    diffs = []
    for (kind, n), by_seed in runs.items():
        other = runs.get(("same", n), {})
        for s, r in by_seed.items():
            if kind == "whole" and s in other and other[s]["baseline_val_acc"] != r["baseline_val_acc"]:
                diffs.append((n, s))
    return diffs


NAMES = {"same": "distilled, same N images", "whole": "distilled, all 60,000 images as transfer set",
         "patient-labels": "label-only, shifted ≤ 1 px, 100 epochs at a constant rate",
         "patient": "distilled, all 60,000 images shifted ≤ 1 px, clean-image targets, 100 epochs at a constant rate (patient)"}


def describe(kind, a, t):
    """A row's student: its kind, and the loss's T and α where it has one."""
    return NAMES[kind] + (f", hinton T {t:g} α {a:g}" if a is not None else "")


def table(doc):
    """The table's Markdown and the determinism check, from the results file."""
    runs = group(doc["sweeps"])
    ns, base, out = series(runs)
    seeds = sorted(next(iter(runs.values())))
    t = doc["teacher"]
    secs = sum(r["seconds"] for r in doc["sweeps"].values())
    rows = [
        f"Teacher CNN: {100 * t['val_acc']:.2f} % ({t['train_samples']:,} images, {t['epochs']} "
        f"epochs). Seeds {', '.join(map(str, seeds))}; {len(doc['sweeps'])} sweeps, "
        f"{secs:,.0f} s of sweeps.",
        "",
        "| labelled N | student | accuracy %, mean ± sd | paired gain (points), mean [95 % CI] | per seed |",
        "| ---: | --- | ---: | ---: | --- |",
    ]
    for n in ns:
        bm, bsd = mean_sd(base[n])
        rows.append(f"| {n:,} | baseline (labels only) | {bm:.2f} ± {bsd:.2f} | | {pct(base[n])} |")
        for (kind, a, t), by_n in out.items():
            if n not in by_n or not by_n[n][0] or (kind == "whole" and n == ns[-1]):
                continue
            acc, gains = by_n[n]
            am, asd = mean_sd(acc)
            rows.append(f"| {n:,} | {describe(kind, a, t)} | {am:.2f} ± {asd:.2f} | "
                        f"{ci(*interval(gains))} | {signed(gains)} |")
    diffs = check_baselines(runs)
    rows += ["", "Every baseline was trained once per kind of run (same N, seed): "
             + ("identical results in both." if not diffs else f"**they differed** for (N, seed) {diffs}.")]
    rows += patient_lines(out, doc)
    rows += ["", "From `docs/results/few-labels.json`."]
    return "\n".join(rows)


def patient_lines(out, doc):
    """The patient teacher against the study's schedule on the same whole set and α, paired per
    seed, for each N both have; and which teacher its runs learnt from."""
    lines = []
    for (kind, a, t), by_n in out.items():
        whole = out.get(("whole", a, t), {})
        if kind != "patient":
            continue
        for n, (acc, _) in sorted(by_n.items()):
            if n in whole and len(whole[n][0]) == len(acc):
                d = [x - y for x, y in zip(acc, whole[n][0])]
                lines.append(f"- N {n:,}, hinton T {t:g} α {a:g}: {ci(*interval(d))} points "
                             f"({signed(d)})")
    if not lines:
        return []
    st = doc.get("second_teacher")
    who = f" Its teacher is `{st['file']}`, the same teacher published in half precision ({100 * st['val_acc']:.2f} %)." if st and "file" in st else ""
    return ["", "The patient teacher on the whole set against the study's schedule on it (same N, T, α), "
            "paired per seed; only N whose five seeds are all run have patient rows." + who, ""] + lines


def svg(doc):
    """The curve (accuracy against N, log scale) as SVG text."""
    ns, base, out = series(group(doc["sweeps"]))
    w, h, left, right, top, bottom = 860, 420, 60, 330, 20, 50
    lo = math.floor(min(min(v) for v in base.values()) / 5) * 5
    hi = 100 if lo < 60 else 95
    hi = max(hi, math.ceil(max(max(a) for by_n in out.values() for a, _ in by_n.values() if a)))
    x = lambda n: left + (math.log(n) - math.log(ns[0])) / (math.log(ns[-1]) - math.log(ns[0])) * (w - left - right)
    y = lambda v: top + (hi - v) / (hi - lo) * (h - top - bottom)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>']
    for v in range(int(lo), int(hi) + 1, 5):
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    for n in ns:
        parts.append(f'<text x="{x(n):.1f}" y="{h - bottom + 18}" text-anchor="middle">{n:,}</text>')
    parts.append(f'<text x="{(left + w - right) / 2}" y="{h - 10}" text-anchor="middle">labelled training images N (log scale)</text>'
                 f'<text transform="translate(16 {(top + h - bottom) / 2}) rotate(-90)" text-anchor="middle">test accuracy %</text>')
    lines = [("baseline (labels only)", "#444", {n: (base[n], None) for n in ns})]
    colours = {("same", 0.5): "#9ecae1", ("same", 0.9): "#2171b5", ("whole", 0.5): "#fdae6b", ("whole", 0.9): "#d94801",
               ("patient", 0.5): "#238b45", ("patient-labels", None): "#999"}
    short = {"patient": "patient teacher, whole set", "patient-labels": "label-only, shifted, 100 epochs"}
    for (kind, a, t), by_n in out.items():
        label = short.get(kind, NAMES[kind].replace("distilled, ", "")) + (f", α {a:g}" if a is not None else "")
        lines.append((label, colours.get((kind, a if a is None else round(a, 2)), "#888"), by_n))
    for i, (label, colour, by_n) in enumerate(lines):
        pts = [(n, mean_sd(by_n[n][0])) for n in ns if n in by_n and by_n[n][0]]
        parts.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (
            colour, " ".join(f"{x(n):.1f},{y(m):.1f}" for n, (m, _) in pts)))
        for n, (m, sd) in pts:
            parts.append(f'<line x1="{x(n):.1f}" x2="{x(n):.1f}" y1="{y(m - sd):.1f}" y2="{y(m + sd):.1f}" stroke="{colour}"/>'
                         f'<circle cx="{x(n):.1f}" cy="{y(m):.1f}" r="3" fill="{colour}"/>')
        ly = top + 10 + 20 * i
        parts.append(f'<line x1="{w - right + 12}" x2="{w - right + 32}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2"/>'
                     f'<text x="{w - right + 38}" y="{ly + 4}">{label}</text>')
    parts.append(f'<text x="{w - right + 12}" y="{top + 20 * len(lines) + 20}">hinton form, T 4; mean ± sd over seeds</text></svg>')
    return "\n".join(parts) + "\n"

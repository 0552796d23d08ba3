"""Table and curve for bench/few_labels.sh, generated from its results file
(docs/results/few-labels.json; bench/tables.py calls these): accuracy against the number of
labelled images N for the baseline and the distilled students (same N images; whole training set
as transfer set), mean ± sd over seeds and the paired gain (same seed) with a 95 % interval; the
curve as a self-contained SVG.
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
        m = re.fullmatch(r"(same|whole)-n(\d+)-seed(\d+)", stem)
        runs.setdefault((m[1], int(m[2])), {})[int(m[3])] = line
    return runs


def series(runs):
    """[(label, kind, α, {n: [acc per seed]}, {n: [gain per seed]})] and the baselines."""
    ns = sorted({n for _, n in runs})
    base = {}
    out = {}
    for (kind, n), by_seed in sorted(runs.items()):
        seeds = sorted(by_seed)
        b = [100 * by_seed[s]["baseline_val_acc"] for s in seeds]
        base.setdefault(n, b)
        for i, cell in enumerate(by_seed[seeds[0]]["grid"]):
            acc = [100 * by_seed[s]["grid"][i]["val_acc"] for s in seeds]
            key = (kind, cell["lambda"], cell["temperature"])
            out.setdefault(key, {})[n] = (acc, [a - x for a, x in zip(acc, b)])
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


NAMES = {"same": "distilled, same N images", "whole": "distilled, all 60,000 images as transfer set"}


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
            rows.append(f"| {n:,} | {NAMES[kind]}, hinton T {t:g} α {a:g} | {am:.2f} ± {asd:.2f} | "
                        f"{ci(*interval(gains))} | {signed(gains)} |")
    diffs = check_baselines(runs)
    rows += ["", "Every baseline was trained once per kind of run (same N, seed): "
             + ("identical results in both." if not diffs else f"**they differed** for (N, seed) {diffs}.")
             + " From `docs/results/few-labels.json`."]
    return "\n".join(rows)


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
    colours = {("same", 0.5): "#9ecae1", ("same", 0.9): "#2171b5", ("whole", 0.5): "#fdae6b", ("whole", 0.9): "#d94801"}
    for (kind, a, t), by_n in out.items():
        lines.append((f"{NAMES[kind].replace('distilled, ', '')}, α {a:g}", colours.get((kind, round(a, 2)), "#888"), by_n))
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

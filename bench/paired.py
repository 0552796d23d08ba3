"""Paired statistics for the result scripts: mean ± sd over seeds and the paired gain
(distilled − baseline, same seed) with a two-sided 95 % Student-t interval; and the full-scale
table (bench/fashion_full.sh) generated from its results file (bench/tables.py calls it).
"""
import json
import pathlib
import statistics
import sys

# Two-sided 95 % quantiles of Student's t, by degrees of freedom (any statistics table).
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
       9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 19: 2.093,
       24: 2.064, 29: 2.045}


def t95(df):
    return T95.get(df) or T95[max(k for k in T95 if k <= df)]


def mean_sd(v):
    return statistics.mean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)


def interval(gains):
    """Mean paired gain and its 95 % interval (points)."""
    m, sd = mean_sd(gains)
    half = t95(len(gains) - 1) * sd / len(gains) ** 0.5 if len(gains) > 1 else float("nan")
    return m, m - half, m + half


def group(sweeps):
    """{loss: {seed: sweep json}} from {"LOSS-seedS": sweep json}."""
    runs = {}
    for stem, line in sorted(sweeps.items()):
        loss, seed = stem.split("-seed")
        runs.setdefault(loss, {})[int(seed)] = line
    return runs


def load(folder):
    """{loss: {seed: sweep json}} from the LOSS-seedS.json files a result script wrote."""
    sweeps = {}
    for f in sorted(pathlib.Path(folder).glob("*-seed*.json")):
        sweeps[f.stem] = json.loads([l for l in f.read_text().splitlines() if l.startswith("{")][-1])
    return group(sweeps)


def pct(v):
    return ", ".join(f"{x:.2f}" for x in v)


def zeroed(x):
    """`x`, with what rounds to 0.00 as +0.00 (not −0.00)."""
    return x if abs(x) >= 0.005 else 0.0


def signed(v):
    return ", ".join(f"{zeroed(x):+.2f}" for x in v).replace("-", "−")


def ci(m, lo, hi):
    m, lo, hi = zeroed(m), zeroed(lo), zeroed(hi)
    return f"**{m:+.2f}** [{lo:+.2f}, {hi:+.2f}]".replace("-", "−")


# The study's own setting (keras form, T 10, λ 0.5), marked in the table.
STUDY = ("keras", 10.0, 0.5)


def full_scale(doc):
    """bench/fashion_full.sh's table from docs/results/full-scale.json: the teacher, the baseline,
    every (loss, T, λ/α) cell's distilled accuracy and paired gain, the best cell and what the
    soft term's weight does."""
    runs = group(doc["sweeps"])
    t = doc["teacher"]
    losses = sorted(runs)
    seeds = sorted(runs[losses[0]])
    base = [100 * runs[losses[0]][s]["baseline_val_acc"] for s in seeds]
    bm, bsd = mean_sd(base)
    twice = all(runs[l][s]["baseline_val_acc"] == runs[losses[0]][s]["baseline_val_acc"]
                for l in losses for s in seeds)
    secs = sum(r["seconds"] for l in losses for r in runs[l].values())
    out = [
        f"Teacher CNN (seed 0): **{100 * t['val_acc']:.2f} %** after {t['epochs']} epochs"
        f"{' (early-stopped)' if t.get('early_stopped') else ''}, {t['seconds']:,.0f} s; right on "
        f"{100 * t['acc']:.2f} % of the training images in its last epoch (under dropout). "
        f"Baseline student: **{bm:.2f} % ± {bsd:.2f}** ({pct(base)}); each seed's baseline was "
        f"trained once per loss form's sweep and "
        + ("matched to the last digit." if twice else "**differed** between them (not deterministic).")
        + f" {len(seeds)} seeds, {sum(len(runs[l]) for l in losses)} sweeps, {secs:,.0f} s of sweeps.",
        "",
        "| loss | T | λ/α | distilled, mean ± sd | paired gain (points), mean [95 % CI] | per seed |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    best, by_weight = None, {}
    for loss in ("hinton", "keras"):
        if loss not in runs:
            continue
        for i, cell in enumerate(runs[loss][seeds[0]]["grid"]):
            acc = [100 * runs[loss][s]["grid"][i]["val_acc"] for s in seeds]
            gains = [a - b for a, b in zip(acc, base)]
            m, lo, hi = interval(gains)
            am, asd = mean_sd(acc)
            T, lam = cell["temperature"], round(cell["lambda"], 4)
            name = f"{loss} (the study's)" if (loss, T, lam) == STUDY else loss
            out.append(f"| {name} | {T:g} | {lam:g} | {am:.2f} ± {asd:.2f} | {ci(m, lo, hi)} | {signed(gains)} |")
            if best is None or m > best[0]:
                best = (m, lo, hi, loss, T, lam)
            by_weight.setdefault((loss, T), []).append((lam, m))
    m, lo, hi, loss, T, lam = best
    helps = lo > 0
    out += ["", f"**{'Distillation helps' if helps else 'No setting helps this student'}: the best "
               f"cell ({loss}, T {T:g}, λ/α {lam:g}, picked after the fact among "
               f"{sum(len(v) for v in by_weight.values())}) gains {ci(m, lo, hi).replace('**', '')} "
               f"points.**"]
    # The soft term's weight: α in hinton's form, 1 − λ in keras' (λ weights the hard term).
    worse = []
    for (l, T), cells in sorted(by_weight.items()):
        soft = sorted(cells, key=lambda c: c[0] if l == "hinton" else -c[0])
        worse.append(all(b[1] < a[1] for a, b in zip(soft, soft[1:])))
    out.append(f"More weight on the soft term lowers the gain at every step in {sum(worse)} of "
               f"{len(worse)} (loss, T) rows (α up in hinton's form, λ down in keras', where λ "
               f"weights the hard term). From `docs/results/full-scale.json`.")
    return "\n".join(out)

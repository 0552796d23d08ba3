"""Paired statistics for the Fashion-MNIST result scripts: mean ± sd over seeds and the paired
gain (distilled − baseline, same seed) with a two-sided 95 % Student-t interval.

Reads the JSON lines that `distill sweep` prints (one file per loss form and seed, named
LOSS-seedS.json in the folder given) and prints one table row per (loss, T, λ) cell.
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


def load(folder):
    """{loss: {seed: sweep json}} from LOSS-seedS.json files."""
    runs = {}
    for f in sorted(pathlib.Path(folder).glob("*-seed*.json")):
        loss, seed = f.stem.split("-seed")
        line = [l for l in f.read_text().splitlines() if l.startswith("{")][-1]
        runs.setdefault(loss, {})[int(seed)] = json.loads(line)
    return runs


def table(folder, label="distilled"):
    runs = load(folder)
    best = None
    print(f"| loss | T | λ/α | {label}, mean ± sd | baseline, mean ± sd | paired gain (points), mean [95 % CI] | per seed |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for loss, by_seed in runs.items():
        seeds = sorted(by_seed)
        base = [100 * by_seed[s]["baseline_val_acc"] for s in seeds]
        cells = by_seed[seeds[0]]["grid"]
        for i, cell in enumerate(cells):
            acc = [100 * by_seed[s]["grid"][i]["val_acc"] for s in seeds]
            gains = [a - b for a, b in zip(acc, base)]
            m, lo, hi = interval(gains)
            am, asd = mean_sd(acc)
            bm, bsd = mean_sd(base)
            print(f"| {loss} | {cell['temperature']:g} | {cell['lambda']:g} | {am:.2f} ± {asd:.2f} | "
                  f"{bm:.2f} ± {bsd:.2f} | **{m:+.2f}** [{lo:+.2f}, {hi:+.2f}] | "
                  f"{', '.join(f'{g:+.2f}' for g in gains)} |")
            if best is None or m > best[0]:
                best = (m, lo, hi, loss, cell["temperature"], cell["lambda"], len(seeds))
    if best:
        m, lo, hi, loss, t, l, n = best
        verdict = "excludes 0" if lo > 0 or hi < 0 else "includes 0"
        print(f"\nbest cell: {loss} T {t:g} λ/α {l:g}: {m:+.2f} points [{lo:+.2f}, {hi:+.2f}] over "
              f"{n} seeds (the interval {verdict}; picked after the fact among all cells, so read "
              f"it as the best of a grid)")


if __name__ == "__main__":
    table(sys.argv[1], *(sys.argv[2:3]))

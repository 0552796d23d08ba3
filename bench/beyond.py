"""Issue 17's table: reads the seedS.json lines `distill sweep --methods ...` printed (one per
seed, in the folder given) and prints, per method and setting, the student's accuracy (mean ±
sd) and its paired gain over the baseline of the same seed with a 95 % t-interval; then FitNets
against classic distillation at the same T and α, and DML's peers."""
import json
import pathlib
import sys

from paired import interval, mean_sd


def load(folder):
    runs = {}
    for f in sorted(pathlib.Path(folder).glob("seed*.json")):
        line = [l for l in f.read_text().splitlines() if l.startswith("{")][-1]
        runs[int(f.stem[4:])] = json.loads(line)
    return runs


def cells(run):
    """{(method, T, α): row} for one seed's sweep."""
    out = {}
    for row in run["grid"] + run["methods"]:
        key = (row["method"], row["temperature"], row["lambda"])
        out[key] = row
    return out


def fmt_gain(gains):
    m, lo, hi = interval(gains)
    return f"**{m:+.2f}** [{lo:+.2f}, {hi:+.2f}]"


def setting(method, t, a):
    if method in ("dml", "dml-cnn"):
        return f"T {t:g}" if t != 1 else "paper's (T 1)"
    return f"hinton T {t:g} α {a:g}"


LABELS = {
    "distill": "classic distillation",
    "fitnets": "FitNets hints, then distillation",
    "dml": "deep mutual learning, student + student",
    "dml-cnn": "deep mutual learning, student + CNN",
}


def main(folder):
    runs = load(folder)
    seeds = sorted(runs)
    by_seed = {s: cells(runs[s]) for s in seeds}
    base = [100 * runs[s]["baseline_val_acc"] for s in seeds]
    bm, bsd = mean_sd(base)
    print(f"{len(seeds)} seeds ({', '.join(map(str, seeds))}), {runs[seeds[0]]['transfer']} training images\n")
    print("| method | setting | student, mean ± sd | paired gain over baseline (points), mean [95 % CI] | per seed | epochs (mean) |")
    print("| --- | --- | ---: | ---: | --- | ---: |")
    print(f"| baseline (labels only) | | {bm:.2f} ± {bsd:.2f} | | {', '.join(f'{b:.2f}' for b in base)} | "
          f"{sum(runs[s]['baseline_epochs'] for s in seeds) / len(seeds):.1f} |")
    best = {}
    for key in by_seed[seeds[0]]:
        acc = [100 * by_seed[s][key]["val_acc"] for s in seeds]
        gains = [a - b for a, b in zip(acc, base)]
        am, asd = mean_sd(acc)
        ep = sum(by_seed[s][key]["epochs"] for s in seeds) / len(seeds)
        print(f"| {LABELS[key[0]]} | {setting(*key)} | {am:.2f} ± {asd:.2f} | {fmt_gain(gains)} | "
              f"{', '.join(f'{g:+.2f}' for g in gains)} | {ep:.1f} |")
        m = interval(gains)[0]
        if key[0] not in best or m > best[key[0]][0]:
            best[key[0]] = (m, key, gains)
    print("\nBest setting of each method (picked after the fact: read a grid's best as optimistic):")
    for method, (m, key, gains) in sorted(best.items(), key=lambda kv: -kv[1][0]):
        print(f"- {LABELS[method]} ({setting(*key)}): {fmt_gain(gains)} points")
    # FitNets against classic distillation with the same second stage: what the hints add.
    fit = [k for k in by_seed[seeds[0]] if k[0] == "fitnets"]
    if fit:
        print("\nFitNets − classic distillation, same T and α, paired per seed:")
        for k in fit:
            d = ("distill", k[1], k[2])
            gains = [100 * (by_seed[s][k]["val_acc"] - by_seed[s][d]["val_acc"]) for s in seeds]
            hl = [by_seed[s][k]["hint_loss"] for s in seeds]
            print(f"- {setting(*k)}: {fmt_gain(gains)} points (hint loss after stage 1: "
                  f"{sum(hl) / len(hl):.1f})")
    for method in ("dml", "dml-cnn"):
        keys = [k for k in by_seed[seeds[0]] if k[0] == method]
        for k in keys:
            peer = [100 * by_seed[s][k]["peer_val_acc"] for s in seeds]
            pm, psd = mean_sd(peer)
            print(f"\n{LABELS[method]}: the peer ({'CNN' if method == 'dml-cnn' else 'MLP'}) reached "
                  f"{pm:.2f} ± {psd:.2f} % ({', '.join(f'{p:.2f}' for p in peer)})")


if __name__ == "__main__":
    main(sys.argv[1])

"""Issue 17's tables (bench/beyond.sh, bench/beyond_strong.sh), generated from their results
files (docs/results/beyond.json, beyond-strong.json; bench/tables.py calls `table`): per method
and setting, the student's accuracy (mean ± sd) and its paired gain over the baseline of the same
seed with a 95 % t-interval; the best setting of each method; FitNets against classic
distillation at the same T and α; deep mutual learning's peers."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from paired import ci, interval, mean_sd, pct, signed  # noqa: E402


def cells(run):
    """{(method, T, α): row} for one seed's sweep."""
    out = {}
    for row in run["grid"] + run["methods"]:
        key = (row["method"], row["temperature"], row["lambda"])
        out[key] = row
    return out


def fmt_gain(gains):
    return ci(*interval(gains))


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


def table(doc, name):
    """The Markdown for one results file (`name` is its file stem, for the closing line)."""
    runs = {int(k[4:]): v for k, v in doc["sweeps"].items()}
    seeds = sorted(runs)
    by_seed = {s: cells(runs[s]) for s in seeds}
    base = [100 * runs[s]["baseline_val_acc"] for s in seeds]
    bm, bsd = mean_sd(base)
    t = doc["teacher"]
    secs = sum(r["seconds"] for r in runs.values())
    out = [
        f"Teacher CNN ({t['train_samples']:,} images): {100 * t['val_acc']:.2f} % after "
        f"{t['epochs']} epochs. {len(seeds)} seeds ({', '.join(map(str, seeds))}), "
        f"{runs[seeds[0]]['transfer']:,} labelled training images; {secs:,.0f} s of sweeps.",
        "",
        "| method | setting | student, mean ± sd | paired gain over baseline (points), mean [95 % CI] | per seed | epochs (mean) |",
        "| --- | --- | ---: | ---: | --- | ---: |",
        f"| baseline (labels only) | | {bm:.2f} ± {bsd:.2f} | | {pct(base)} | "
        f"{sum(runs[s]['baseline_epochs'] for s in seeds) / len(seeds):.1f} |",
    ]
    best = {}
    for key in by_seed[seeds[0]]:
        acc = [100 * by_seed[s][key]["val_acc"] for s in seeds]
        gains = [a - b for a, b in zip(acc, base)]
        am, asd = mean_sd(acc)
        ep = sum(by_seed[s][key]["epochs"] for s in seeds) / len(seeds)
        out.append(f"| {LABELS[key[0]]} | {setting(*key)} | {am:.2f} ± {asd:.2f} | {fmt_gain(gains)} | "
                   f"{signed(gains)} | {ep:.1f} |")
        m = interval(gains)[0]
        if key[0] not in best or m > best[key[0]][0]:
            best[key[0]] = (m, key, gains)
    out += ["", "Best setting of each method (picked after the fact: read a grid's best as optimistic):", ""]
    for method, (m, key, gains) in sorted(best.items(), key=lambda kv: -kv[1][0]):
        out.append(f"- {LABELS[method]} ({setting(*key)}): {fmt_gain(gains)} points")
    # FitNets against classic distillation with the same second stage: what the hints add.
    fit = [k for k in by_seed[seeds[0]] if k[0] == "fitnets"]
    if fit:
        out += ["", "FitNets − classic distillation, same T and α, paired per seed:", ""]
        for k in fit:
            d = ("distill", k[1], k[2])
            gains = [100 * (by_seed[s][k]["val_acc"] - by_seed[s][d]["val_acc"]) for s in seeds]
            hl = [by_seed[s][k]["hint_loss"] for s in seeds]
            out.append(f"- {setting(*k)}: {fmt_gain(gains)} points (hint loss after stage 1: "
                       f"{sum(hl) / len(hl):.1f})")
    peers = []
    for method in ("dml", "dml-cnn"):
        for k in [k for k in by_seed[seeds[0]] if k[0] == method]:
            peer = [100 * by_seed[s][k]["peer_val_acc"] for s in seeds]
            pm, psd = mean_sd(peer)
            peers.append(f"- {LABELS[method]}: the peer ({'CNN' if method == 'dml-cnn' else 'MLP'}) "
                         f"reached {pm:.2f} ± {psd:.2f} % ({pct(peer)})")
    if peers:
        out += ["", "Deep mutual learning's peers, trained in the cohort:", ""] + peers
    out += ["", f"From `docs/results/{name}.json`."]
    return "\n".join(out)

"""The table of bench/matmul_kernels.sh, generated from docs/results/matmul-kernels.json
(bench/tables.py calls it): each cubek matmul kernel's time on the student step's three
matmuls, per adapter, and its speed against the kernel burn runs (`auto`)."""


def table(doc):
    runs = doc["runs"]
    shapes = [s["shape"] for s in runs[0]["shapes"]]
    head = ["kernel"] + [f"{s} on {short(r['adapter'])}, ms" for r in runs for s in shapes]
    rows = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    kernels = [k["kernel"] for k in runs[0]["shapes"][0]["kernels"]]
    for name in kernels:
        cells = [name]
        for r in runs:
            for s in r["shapes"]:
                by = {k["kernel"]: k for k in s["kernels"]}
                k, auto = by.get(name, {}), by.get(kernels[0], {})
                if "ms" not in k:
                    cells.append("failed" if k else "—")
                elif name == kernels[0] or "ms" not in auto:
                    cells.append(f"{k['ms']:,.1f}")
                else:
                    cells.append(f"{k['ms']:,.1f} ({auto['ms'] / k['ms']:.2f}×)")
        rows.append("| " + " | ".join(cells) + " |")
    agree = all(len({round(k["checksum"] / max(abs(s["kernels"][0].get("checksum", 1)), 1), 5)
                     for k in s["kernels"] if "checksum" in k}) == 1
                for r in runs for s in r["shapes"])
    rows += ["", f"Mean of 3 launches after a first one (which compiles the kernel); in brackets the "
             f"speed-up over `auto`. Every kernel's output sums to the same value on each shape: "
             f"{'yes' if agree else '**no**'}. Measured {doc['date']} on {doc['machine']} with "
             f"`{doc['script']}` ({doc['seconds']} s). From `docs/results/matmul-kernels.json`."]
    return "\n".join(rows)


def short(adapter):
    """'SwiftShader Device (Subzero) (Vulkan, wgpu)' → 'SwiftShader'."""
    return adapter.split(" ")[0].split("(")[0]

"""docs/PERFORMANCE.md's log of one-off measurements (levers tried, bundle sizes, renders per
step, the CPU stand-ins' layers), from docs/results/perf-log.json. These are dated records of
experiments on code that has changed since: the file keeps them as they were measured, and
bench/tables.py renders them between their markers, so a hand edit of the page is caught like any
other table's. Today's figures are the generated tables from docs/results/bench.json.
"""


def table(doc, name):
    t = doc["tables"][name]
    lines = ["| " + " | ".join(t["columns"]) + " |", "| " + " | ".join(t["align"]) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in t["rows"]]
    return "\n".join(lines)


# The tables the file holds, by marker name.
TABLES = ["log-levers", "log-bundles", "log-renders", "log-layers"]

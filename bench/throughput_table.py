#!/usr/bin/python3
"""Summarises bench/throughput_vs_ddp.sh's runs as one Markdown table (the format of docs/benchmarks.md).

Input rows (tab-separated): per-rank batch, mixing (off|on), launch (bound|none|alone|pair), repetition, side
(strobe|ddp|strobe1|pair), images/s, test accuracy. A cell's images/s are medians over its repetitions; its ratio is
the median of the per-repetition Strobe/DDP ratios (each pair ran back to back), with their range.
"""
import statistics
import sys
from collections import defaultdict

LAUNCH_NAMES = {"bound": "mpirun default (1 core/rank)", "none": "mpirun --bind-to none"}


def main(path):
    runs = defaultdict(dict)  # (batch, mix, launch, side) -> {repetition: (img/s, accuracy)}
    for line in open(path):
        batch, mix, launch, rep, side, ips, acc = line.rstrip("\n").split("\t")
        runs[(int(batch), mix, launch, side)][int(rep)] = (float(ips), acc)
    batches = sorted({key[0] for key in runs})
    print("| per-rank batch | launch | mixing | Strobe img/s | DDP img/s | Strobe / DDP (range) | Strobe acc. |"
          " DDP acc. | Strobe 1 rank img/s | 2-rank efficiency | 2 independent processes' efficiency |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    misses = []
    for batch in batches:
        for launch in ("bound", "none"):
            for mix in ("off", "on"):
                strobe, ddp = runs[(batch, mix, launch, "strobe")], runs[(batch, mix, launch, "ddp")]
                alone, pair = runs[(batch, mix, "alone", "strobe1")], runs[(batch, mix, "pair", "pair")]
                ratios = [strobe[r][0] / ddp[r][0] for r in sorted(strobe) if r in ddp]
                s_ips = statistics.median(v[0] for v in strobe.values())
                d_ips = statistics.median(v[0] for v in ddp.values())
                one = statistics.median(v[0] for v in alone.values())
                two = statistics.median(v[0] for v in pair.values())
                ratio = statistics.median(ratios)
                efficiency = s_ips / (2 * one)
                cell = f"{batch}/rank, {LAUNCH_NAMES[launch]}, mixing {mix}"
                if ratio < 1.1:
                    misses.append(f"{cell}: ratio {ratio:.3f}x < 1.1x")
                if efficiency < 0.9:
                    misses.append(f"{cell}: 2-rank efficiency {efficiency:.3f} < 0.9 "
                                  f"(two independent processes: {two / (2 * one):.2f})")
                print(f"| {batch} | {LAUNCH_NAMES[launch]} | {mix} | {s_ips:.0f} | {d_ips:.0f} | "
                      f"{ratio:.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) | {strobe[min(strobe)][1]} | "
                      f"{ddp[min(ddp)][1]} | {one:.0f} | {efficiency:.2f} | {two / (2 * one):.2f} |")
    print()
    print("targets (ratio >= 1.1x, 2-rank efficiency >= 0.9): " + ("all met" if not misses else "missed in"))
    for miss in misses:
        print("  " + miss)


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""studies.py - tables and gnuplot plots for launch/compare and launch/scaling.

Reads bert-train's RUN_DIR/metrics.jsonl files (one JSON object per logged
step; evaluation lines carry eval_* keys) and writes Markdown tables, gnuplot
data files and scripts, and runs gnuplot (its exit status is checked).

  studies.py compare OUT_DIR NAME=RUN_DIR...      -> OUT_DIR/compare.md, compare.svg|png
  studies.py scaling OUT_DIR RESULTS.tsv...       -> OUT_DIR/scaling.md, scaling.svg|png
                                                     (several sweeps' results pool their runs)
  studies.py summary RUN_DIR                      -> one line: steps, losses, tokens/s, comm share

Options (after the subcommand): --format svg|png (default svg), --title TEXT,
--stat median|best (scaling: the median run or the fastest run per configuration).
Python 3 standard library only. Exit 1 on a runtime failure (no metrics,
gnuplot failed), 2 on bad usage.
"""
import json
import math
import os
import shutil
import subprocess
import sys


def fail(msg, code=1):
    sys.stderr.write("studies.py: error: %s\n" % msg)
    sys.exit(code)


# --------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------

def load_metrics(run_dir):
    """Return (train_rows, eval_rows) of RUN_DIR/metrics.jsonl. A resumed run
    may log a step twice; the last line for a step wins."""
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.isfile(path):
        fail("%s not found (did the run start?)" % path)
    train, evals = {}, {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                fail("%s:%d: not JSON (%s)" % (path, n, e))
            if "eval_mlm_loss" in row:
                evals[row["step"]] = row
            elif "loss" in row:
                train[row["step"]] = row
    if not train:
        fail("%s has no training lines" % path)
    return [train[k] for k in sorted(train)], [evals[k] for k in sorted(evals)]


def intervals(rows):
    """Per logged row: (steps in the interval, seconds in the interval).
    t_step is the mean step time over the interval since the previous line."""
    out, prev = [], None
    for r in rows:
        n = r["step"] - prev if prev is not None else r["step"]
        out.append((n, n * r.get("t_step", 0.0)))
        prev = r["step"]
    return out


def wall_times(rows):
    """Training wall time (s) at each logged row: bert-train's own 'elapsed'
    when present, else the sum of step times (evaluation time excluded)."""
    if all("elapsed" in r for r in rows):
        return [r["elapsed"] for r in rows]
    t, out = 0.0, []
    for _, dt in intervals(rows):
        t += dt
        out.append(t)
    return out


def steady(rows):
    """Throughput and timing over the logged intervals after the first one
    (the first holds one-off start-up costs: primitive creation, page faults).
    Returns dict tokens_per_s, t_step, t_comm_exposed, comm_share, steps."""
    use = rows[1:] if len(rows) > 1 else rows
    iv = intervals(rows)[len(rows) - len(use):]
    tot_t = sum(dt for _, dt in iv)
    tot_n = sum(n for n, _ in iv)
    if tot_t <= 0 or tot_n <= 0:
        fail("no timed steps in the metrics")
    toks = sum(r["tokens_per_s"] * dt for r, (_, dt) in zip(use, iv))
    comm = sum(r.get("t_comm_exposed", 0.0) * n for r, (n, _) in zip(use, iv))
    return {"tokens_per_s": toks / tot_t, "t_step": tot_t / tot_n,
            "t_comm_exposed": comm / tot_n, "comm_share": comm / tot_t, "steps": tot_n}


# --------------------------------------------------------------------------
# gnuplot
# --------------------------------------------------------------------------

def terminal(fmt, w, h):
    if fmt == "svg":
        return "set terminal svg size %d,%d dynamic enhanced font 'Helvetica,13' background rgb 'white'" % (w, h)
    return "set terminal pngcairo size %d,%d enhanced font 'Helvetica,11' background rgb 'white'" % (w, h)


def run_gnuplot(script_path, output):
    out_path = os.path.join(os.path.dirname(script_path), output)
    if os.path.exists(out_path):
        os.remove(out_path)   # a plot from an earlier run must not pass for this one
    gp = shutil.which("gnuplot")
    if gp is None:
        fail("gnuplot not found; hint: apt-get install gnuplot-nox (bash launch/install-deps.sh)")
    p = subprocess.run([gp, os.path.basename(script_path)], cwd=os.path.dirname(script_path),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        fail("gnuplot %s failed (exit %d): %s" % (script_path, p.returncode,
                                                  p.stderr.strip().splitlines()[-1:] or ""))
    # gnuplot reports some errors only as warnings on stderr: the plot must exist.
    if not os.path.isfile(out_path) or os.path.getsize(out_path) < 200:
        fail("gnuplot %s wrote no plot %s: %s" % (script_path, out_path, p.stderr.strip()[-300:]))


def gp_str(s):
    return "'" + str(s).replace("'", "''").replace("_", "\\_") + "'"


def fmt_num(x, nd=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return "%.*f" % (nd, x)


def fmt_int(x):
    return "{:,}".format(int(round(x)))


# --------------------------------------------------------------------------
# compare
# --------------------------------------------------------------------------

def read_info(run_dir):
    """launch/compare writes info.json next to each run: model, objective,
    optimizer, lr, parameters, wall_s."""
    p = os.path.join(run_dir, "info.json")
    if os.path.isfile(p):
        with open(p) as f:
            return json.load(f)
    return {}


def cmd_compare(out, pairs, fmt, title):
    runs = []
    for pair in pairs:
        if "=" not in pair:
            fail("expected NAME=RUN_DIR, got '%s'" % pair, 2)
        name, d = pair.split("=", 1)
        train, evals = load_metrics(d)
        runs.append((name, d, train, evals, read_info(d)))

    # table
    lines = [
        "| model | objective | tokenizer, masking | optimizer, lr | parameters | tokens/s | steps "
        "| final MLM loss | final MLM acc | eval MLM loss | eval MLM acc | eval NSP/SOP acc "
        "| wall time (s) |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, d, train, evals, info in runs:
        st = steady(train)
        last = train[-1]
        ev = evals[-1] if evals else {}
        sp = ev.get("eval_nsp_acc")
        wall = info.get("wall_s")
        lines.append("| %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (
            name, info.get("objective", "?"),
            "%s, %s" % (info.get("tokenizer", "?"), info.get("masking", "?")),
            "%s %s" % (info.get("optimizer", "?"), info.get("lr", "?")),
            fmt_int(info["parameters"]) if info.get("parameters") else "?",
            fmt_int(st["tokens_per_s"]), last["step"],
            fmt_num(last["mlm_loss"]), fmt_num(last["mlm_acc"]),
            fmt_num(ev.get("eval_mlm_loss")), fmt_num(ev.get("eval_mlm_acc")),
            fmt_num(sp) if sp is not None else "-",
            fmt_num(wall, 1) if wall is not None else fmt_num(wall_times(train)[-1], 1)))
    notes = [
        "",
        "tokens/s: training tokens per second over the logged intervals after the first "
        "(start-up excluded). final MLM loss/acc: the last logged step (one global batch). "
        "eval: the last held-out evaluation. wall time: the whole bert-train run "
        "(start-up, evaluation and training). NSP/SOP accuracy: BERT's next-sentence or "
        "ALBERT's sentence-order head; RoBERTa has neither. tokenizer: WordPiece (30,522 ids) "
        "or RoBERTa's byte-level BPE (50,265 ids) over the same text; MLM loss and accuracy "
        "over different vocabularies are not comparable token for token, and a token is a "
        "different amount of text in each.",
    ]
    md = os.path.join(out, "compare.md")
    with open(md, "w") as f:
        f.write("# %s\n\n" % title)
        f.write("\n".join(lines + notes) + "\n\n")
        f.write("![MLM loss against step and wall time](compare.%s)\n" % fmt)

    # data + plot
    plots_step, plots_time = [], []
    for i, (name, d, train, evals, info) in enumerate(runs):
        dat = "loss_%s.dat" % "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        with open(os.path.join(out, dat), "w") as f:
            f.write("# step wall_s mlm_loss loss\n")
            for r, t in zip(train, wall_times(train)):
                f.write("%d %.4f %.6f %.6f\n" % (r["step"], t, r["mlm_loss"], r["loss"]))
        plots_step.append("'%s' using 1:3 with linespoints ls %d title %s" % (dat, i + 1, gp_str(name)))
        plots_time.append("'%s' using 2:3 with linespoints ls %d title %s" % (dat, i + 1, gp_str(name)))
    gp = os.path.join(out, "compare.gp")
    with open(gp, "w") as f:
        f.write("# written by launch/lib/studies.py compare; run: gnuplot compare.gp\n")
        f.write(terminal(fmt, 1200, 480) + "\n")
        f.write("set output 'compare.%s'\n" % fmt)
        f.write(STYLES)
        f.write("set multiplot layout 1,2 title %s\n" % gp_str(title))
        f.write("set xlabel 'step'\nset ylabel 'MLM loss'\n")
        f.write("plot " + ", \\\n     ".join(plots_step) + "\n")
        f.write("set xlabel 'training wall time (s)'\n")
        f.write("plot " + ", \\\n     ".join(plots_time) + "\n")
        f.write("unset multiplot\n")
    run_gnuplot(gp, "compare.%s" % fmt)
    print("\n".join(lines))
    print("wrote %s and %s" % (md, os.path.join(out, "compare.%s" % fmt)))


STYLES = """set grid lc rgb '#dddddd'
set key top right
set style line 1 lc rgb '#1f77b4' lw 2 pt 7 ps 0.5
set style line 2 lc rgb '#d62728' lw 2 pt 5 ps 0.5
set style line 3 lc rgb '#2ca02c' lw 2 pt 9 ps 0.6
set style line 4 lc rgb '#9467bd' lw 2 pt 11 ps 0.6
set style line 5 lc rgb '#ff7f0e' lw 2 pt 13 ps 0.6
set style line 6 lc rgb '#8c564b' lw 2 pt 4 ps 0.6
set style line 9 lc rgb '#777777' lw 1 dt 2
"""


# --------------------------------------------------------------------------
# scaling
# --------------------------------------------------------------------------

def read_results(path):
    """RESULTS.tsv written by launch/scaling: header line, then
    mode ranks threads global_batch micro_batch repeat run_dir"""
    rows = []
    with open(path) as f:
        header = f.readline().split()
        for line in f:
            if line.strip():
                rows.append(dict(zip(header, line.split())))
    if not rows:
        fail("%s lists no runs" % path)
    return rows


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def cmd_scaling(out, results, fmt, title, stat="median"):
    rows = [r for path in results for r in read_results(path)]
    busy_limit = 0.3   # CPUs used by other processes above which a run is set aside
    groups = {}
    for r in rows:
        key = (r["mode"], int(r["ranks"]), int(r["threads"]))
        train, _ = load_metrics(r["run_dir"])
        st = steady(train)
        g = groups.setdefault(key, {"gb": int(r["global_batch"]), "mb": int(r["micro_batch"]),
                                    "runs": [], "busy": [], "all": 0})
        g["all"] += 1
        try:
            busy = float(r.get("others_busy", "-"))
        except ValueError:
            busy = None
        g["runs"].append((st, busy))
    # Runs that shared the machine with other work are set aside when the same
    # configuration has runs that did not.
    for g in groups.values():
        clean = [(s, b) for s, b in g["runs"] if b is None or b <= busy_limit]
        use = clean if clean else g["runs"]
        g["runs"] = [s for s, _ in use]
        g["busy"] = [b for _, b in use if b is not None]
    md_lines = ["# %s" % title, ""]
    summary = {}
    plot_cmds = {}
    for mode in ("strong", "weak"):
        keys = sorted(k for k in groups if k[0] == mode)
        if not keys:
            continue
        base_key = min(keys, key=lambda k: (k[1] * k[2], k[1]))
        table = []
        for k in keys:
            g = groups[k]
            runs = g["runs"]
            if stat == "best":   # the fastest run: interference only ever slows a run down
                b = max(runs, key=lambda s: s["tokens_per_s"])
                tps, comm, tstep = b["tokens_per_s"], b["comm_share"], b["t_step"]
            else:
                tps = median([s["tokens_per_s"] for s in runs])
                comm = median([s["comm_share"] for s in runs])
                tstep = median([s["t_step"] for s in runs])
            spread = (max(s["tokens_per_s"] for s in runs) - min(s["tokens_per_s"] for s in runs)) / tps
            busy = max(g["busy"]) if g["busy"] else None
            table.append([k[1], k[2], k[1] * k[2], g["gb"], g["mb"], tps, tstep, comm, len(runs), spread,
                          busy])
        base = [t for t in table if (t[0], t[1]) == (base_key[1], base_key[2])][0]
        for t in table:
            speedup = t[5] / base[5]
            eff = speedup / (t[2] / base[2])
            t.extend([speedup, eff])   # t[11], t[12]
        md_lines += [
            "## %s scaling" % mode.capitalize(), "",
            ("Fixed global batch (%d sequences): more cores share the same work." % table[0][3])
            if mode == "strong" else
            ("Fixed work per core (%d sequences per core per step): the global batch grows "
             "with the cores." % (table[0][3] // table[0][2])),
            "",
            "| ranks | threads | cores | global batch | micro-batch/rank | tokens/s | step (s) "
            "| speedup | efficiency | exposed comm | runs (spread) | other load |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
        for t in table:
            md_lines.append("| %d | %d | %d | %d | %d | %s | %.3f | %.2fx | %.1f%% | %.1f%% | %s (%.0f%%) | %s |" % (
                t[0], t[1], t[2], t[3], t[4], fmt_int(t[5]), t[6], t[11], 100 * t[12], 100 * t[7],
                "%d" % t[8] if t[8] == groups[(mode, t[0], t[1])]["all"] else
                "%d of %d" % (t[8], groups[(mode, t[0], t[1])]["all"]),
                100 * t[9], "-" if t[10] is None else "%.2f" % t[10]))
        md_lines.append("")
        # the headline figure: efficiency at the largest rank count (threads 1 if present)
        max_r = max(t[0] for t in table)
        cand = sorted([t for t in table if t[0] == max_r], key=lambda t: t[1])
        summary[mode] = (cand[0][0], cand[0][1], cand[0][12])
        dat = "scaling_%s.dat" % mode
        with open(os.path.join(out, dat), "w") as f:
            f.write("# ranks threads cores tokens_per_s speedup efficiency comm_share\n")
            for t in sorted(table, key=lambda t: (t[1], t[0])):
                f.write("%d %d %d %.3f %.5f %.5f %.5f\n" % (t[0], t[1], t[2], t[5], t[11], t[12], t[7]))
            f.write("\n\n")
        plot_cmds[mode] = (dat, sorted(set(t[1] for t in table)), max(t[2] for t in table), base[5] / base[2])
    if not summary:
        fail("no strong or weak runs in %s" % results)
    busiest = max([b for g in groups.values() for b in g["busy"]] or [0.0])
    if busiest > 0.3:
        md_lines += ["> **Warning:** other processes kept up to %.2f CPUs busy during this sweep; "
                     "runs that share cores with other work understate multi-core throughput. "
                     "Rerun on an idle machine (or with --repeat) before drawing conclusions." % busiest, ""]
    md_lines.append("## Headline")
    md_lines.append("")
    for mode, (r, th, eff) in summary.items():
        md_lines.append("- %s-scaling efficiency at the largest rank count (%d ranks x %d thread%s): **%.1f%%**"
                        % (mode, r, th, "s" if th > 1 else "", 100 * eff))
    md_lines += ["", "Speedup and efficiency are relative to the smallest configuration of the same "
                 "mode (fewest cores); efficiency = speedup / (cores / baseline cores). tokens/s, step "
                 "time and exposed communication (time the step waits for the gradient all-reduce, "
                 "as a share of the step) are %s, measured after the first logged "
                 "interval. spread = (max - min) / median of tokens/s over the runs. other load: "
                 "CPUs kept busy by other processes just before or during the run (the larger; "
                 "highest over the runs used; measured by launch/scaling from /proc/stat minus the "
                 "run's own CPU time, local runs only). Runs with other "
                 "load above %.1f CPUs are set aside when the same configuration has runs "
                 "without (\"1 of 3\": one run used)." % (
                     "those of the fastest run (best of the runs: interference only slows runs down)"
                     if stat == "best" else "medians over the runs", busy_limit), "",
                 "![tokens/s and efficiency against cores](scaling.%s)" % fmt, ""]
    md = os.path.join(out, "scaling.md")
    with open(md, "w") as f:
        f.write("\n".join(md_lines))

    # plot: tokens/s vs cores (left), efficiency vs cores (right); one line per mode x threads
    gp = os.path.join(out, "scaling.gp")
    left, right, ls = [], [], 0
    maxc = max(v[2] for v in plot_cmds.values())
    for mode, (dat, threads, _, per_core) in sorted(plot_cmds.items()):
        for th in threads:
            ls += 1
            sel = "($2==%d?$3:1/0)" % th
            left.append("'%s' using %s:4 with linespoints ls %d title '%s, %d thread%s/rank'" % (
                dat, sel, ls, mode, th, "s" if th > 1 else ""))
            right.append("'%s' using %s:($6*100) with linespoints ls %d title '%s, %d thread%s/rank'" % (
                dat, sel, ls, mode, th, "s" if th > 1 else ""))
        left.append("%g*x with lines ls 9 title 'ideal (%s)'" % (per_core, mode))
    with open(gp, "w") as f:
        f.write("# written by launch/lib/studies.py scaling; run: gnuplot scaling.gp\n")
        f.write(terminal(fmt, 1200, 480) + "\n")
        f.write("set output 'scaling.%s'\n" % fmt)
        f.write(STYLES)
        f.write("set style line 7 lc rgb '#e377c2' lw 2 pt 6 ps 0.8\nset style line 8 lc rgb '#17becf' lw 2 pt 8 ps 0.8\n")
        f.write("set multiplot layout 1,2 title %s\n" % gp_str(title))
        f.write("set key top left\nset xrange [0:%g]\nset xtics 1\nset yrange [0:*]\n" % (maxc + 0.5))
        f.write("set xlabel 'cores (ranks x threads)'\nset ylabel 'tokens/s'\n")
        f.write("plot " + ", \\\n     ".join(left) + "\n")
        f.write("set key bottom left\nset yrange [0:110]\nset ylabel 'efficiency (%)'\n")
        f.write("plot " + ", \\\n     ".join(right) + ", 100 with lines ls 9 notitle\n")
        f.write("unset multiplot\n")
    run_gnuplot(gp, "scaling.%s" % fmt)
    print("\n".join(md_lines))
    print("wrote %s and %s" % (md, os.path.join(out, "scaling.%s" % fmt)))


# --------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------

def cmd_summary(run_dir):
    train, evals = load_metrics(run_dir)
    st = steady(train)
    first, last = train[0], train[-1]
    s = ("steps %d-%d loss %.4f -> %.4f mlm %.4f -> %.4f tokens/s %.0f step %.3fs comm %.1f%%"
         % (first["step"], last["step"], first["loss"], last["loss"], first["mlm_loss"],
            last["mlm_loss"], st["tokens_per_s"], st["t_step"], 100 * st["comm_share"]))
    if evals:
        s += " eval_mlm_loss %.4f eval_mlm_acc %.4f" % (evals[-1]["eval_mlm_loss"], evals[-1]["eval_mlm_acc"])
    print(s)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if len(argv) >= 2 else 2
    cmd, rest = argv[1], argv[2:]
    fmt, title, stat, pos = "svg", None, "median", []
    i = 0
    while i < len(rest):
        if rest[i] == "--format" and i + 1 < len(rest):
            fmt = rest[i + 1]
            i += 2
        elif rest[i] == "--stat" and i + 1 < len(rest):
            stat = rest[i + 1]
            i += 2
        elif rest[i] == "--title" and i + 1 < len(rest):
            title = rest[i + 1]
            i += 2
        else:
            pos.append(rest[i])
            i += 1
    if fmt not in ("svg", "png"):
        fail("--format '%s': expected svg or png" % fmt, 2)
    if stat not in ("median", "best"):
        fail("--stat '%s': expected median or best" % stat, 2)
    if cmd == "compare" and len(pos) >= 2:
        os.makedirs(pos[0], exist_ok=True)
        cmd_compare(pos[0], pos[1:], fmt, title or "BERT vs RoBERTa vs ALBERT")
    elif cmd == "scaling" and len(pos) >= 2:
        os.makedirs(pos[0], exist_ok=True)
        cmd_scaling(pos[0], pos[1:], fmt, title or "Scaling of bert-train", stat)
    elif cmd == "summary" and len(pos) == 1:
        cmd_summary(pos[0])
    else:
        fail("bad arguments; see studies.py --help", 2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

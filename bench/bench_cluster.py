"""Pockets: pamgeo's ``risk_dbscan`` against scikit-learn's DBSCAN on 820,000 synthetic TPS.

The points are ``make_dense_points`` of ``bench/bench.py``: TPS at four times Tangsel's density,
eps 300 m, min_samples 6. Every case runs in a fresh Python process, the cases in turn (round
robin, so that the shared machine's noise falls on all alike), ``--repeat`` rounds; printed are
the medians of the in-process time of the call, the process's peak RSS and the RSS growth during
the call (peak RSS minus the RSS just before it: data and imports are in the peak, not in the
growth), the number of clusters, then the ratios and whether the labels are identical (label
numbers too, not only the partitions).

Cases: pamgeo plain / with class weights / with risk term and weights; scikit-learn plain and
with weights (``metric="haversine", algorithm="ball_tree"``), and its like-for-like job for a
graph: ``DBSCAN(metric="precomputed")`` with weights on pamgeo's neighbourhood graph (int32
CSR) without and with the risk term. The graphs are built once beforehand, saved, and only
loaded in the measured processes: their building is neither timed nor in the peak.

``--memory-model`` instead measures what :data:`pamgeo.analysis.pockets.BYTES_PER_POINT` and
``BYTES_PER_PAIR`` stand for: the peak-RSS growth of ``risk_dbscan`` over points and over the
pairs found in its largest slab, on parts of the same points, eps 150-1000 m, 1-31 slabs.

    .venv/bin/python bench/bench_cluster.py [--repeat 3] [--memory-model]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EPS_M, MIN_SAMPLES, TOLERANCE = 300, 6, 0.25

COMMON = (
    "import os, time, numpy as np\n"
    "z = np.load({synth!r}); X = z['X']; risk = z['risk']; w = z['w']; del z\n"
    "def rss():\n"
    "    return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')\n"
)
PAMGEO = ("from pamgeo.analysis.pockets import risk_dbscan\n",
          f"risk_dbscan(X, eps_m={EPS_M}, min_samples={MIN_SAMPLES}, metric='haversine'{{kw}})")
SKLEARN = ("from sklearn.cluster import DBSCAN\nEARTH_RADIUS_M = 6_371_008.8\n",
           f"DBSCAN(eps={EPS_M} / EARTH_RADIUS_M, min_samples={MIN_SAMPLES}, metric='haversine', "
           "algorithm='ball_tree').fit(X{kw}).labels_")
PRECOMPUTED = ("from sklearn.cluster import DBSCAN\nfrom scipy import sparse\n"
               "g = np.load({graph!r}); n = len(X)\n"
               "graph = sparse.csr_matrix((np.zeros(len(g['indices']), dtype=bool), g['indices'], g['indptr']),"
               " shape=(n, n)); del g\n",
               f"DBSCAN(eps={EPS_M}, min_samples={MIN_SAMPLES}, metric='precomputed').fit(graph{{kw}}).labels_")
WEIGHTS, RISK = ", sample_weight=w", f", risk=risk, risk_tolerance={TOLERANCE}"
CASES = {  # name: (setup, call, keyword arguments, graph with the risk term or not)
    "pamgeo plain": (*PAMGEO, "", None),
    "pamgeo weights": (*PAMGEO, WEIGHTS, None),
    "pamgeo risk+weights": (*PAMGEO, RISK + WEIGHTS, None),
    "sklearn plain": (*SKLEARN, "", None),
    "sklearn weights": (*SKLEARN, ", sample_weight=w", None),
    "sklearn precomputed graph+weights": (*PRECOMPUTED, ", sample_weight=w", False),
    "sklearn precomputed risk-graph+weights": (*PRECOMPUTED, ", sample_weight=w", True),
}
RATIOS = [  # pamgeo case, scikit-learn case, what the scikit-learn case is to pamgeo's
    ("pamgeo plain", "sklearn plain", "the same job"),
    ("pamgeo weights", "sklearn weights", "the same job"),
    ("pamgeo weights", "sklearn precomputed graph+weights", "its graph job, graph given"),
    ("pamgeo risk+weights", "sklearn precomputed risk-graph+weights", "its graph job, graph given"),
    ("pamgeo risk+weights", "sklearn weights", "no risk term there"),
]


def dense_points() -> Path:
    """The 820,000 points of ``bench/bench.py`` (made once, kept in its work folder)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench import WORK, make_dense_points  # here, not at top: bench.py may import this file

    synth = WORK / "dense_820k.npz"
    if not synth.exists():
        synth.parent.mkdir(parents=True, exist_ok=True)
        make_dense_points(820_000, synth)
    return synth


def save_graphs(synth: Path) -> dict[bool, Path]:
    """pamgeo's neighbourhood graphs (without and with the risk term), saved for scikit-learn's cases."""
    paths = {False: synth.with_name(f"graph_{EPS_M}m.npz"), True: synth.with_name(f"graph_{EPS_M}m_risk.npz")}
    code = (COMMON.format(synth=str(synth)) +
            "from pamgeo.analysis.pockets import neighbourhood_graph\n"
            f"for path, kw in (({str(paths[False])!r}, {{}}), ({str(paths[True])!r}, "
            f"dict(risk=risk, risk_tolerance={TOLERANCE}))):\n"
            f"    g = neighbourhood_graph(X, {EPS_M}, 'haversine', chunks=16, **kw)\n"
            "    np.savez(path, indices=g.indices, indptr=g.indptr)\n")
    if not all(p.exists() for p in paths.values()):
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return paths


def case_code(name: str, synth: Path, graphs: dict[bool, Path], labels: Path) -> str:
    """The program of one case: it saves its labels and prints ``seconds rss_before``."""
    setup, call, kw, risk_graph = CASES[name]
    if risk_graph is not None:
        setup = setup.format(graph=str(graphs[risk_graph]))
    return (COMMON.format(synth=str(synth)) + setup +
            f"base = rss(); t = time.perf_counter(); lab = {call.format(kw=kw)}; dt = time.perf_counter() - t\n"
            f"np.save({str(labels / (name.replace(' ', '_') + '.npy'))!r}, lab)\n"
            "print(dt, base)\n")


def run_once(code: str) -> tuple[float, int, int]:
    """Run ``code`` in a fresh interpreter: in-process seconds, peak RSS and its growth in the call (bytes)."""
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark task failed:\n{code}")
    seconds, base = out.split()[-2:]
    peak = usage.ru_maxrss * 1024
    return float(seconds), peak, peak - int(base)


def bench_clustering(repeat: int) -> None:
    """Print the cases (medians over ``repeat`` fresh processes, round robin), then the ratios."""
    import numpy as np

    synth = dense_points()
    graphs = save_graphs(synth)
    labels = synth.parent / "labels"
    labels.mkdir(exist_ok=True)
    codes = {name: case_code(name, synth, graphs, labels) for name in CASES}
    runs: dict[str, list[tuple[float, int, int]]] = {name: [] for name in CASES}
    for _ in range(repeat):
        for name, code in codes.items():
            runs[name].append(run_once(code))
    print(f"820,000 TPS at 4x Tangsel density, eps {EPS_M} m, min_samples {MIN_SAMPLES}, risk tolerance "
          f"{TOLERANCE}: medians of {repeat} fresh processes per case, round robin", flush=True)
    med = {}
    for name, vals in runs.items():
        t, peak, growth = (statistics.median(v[i] for v in vals) for i in range(3))
        med[name] = t, peak, growth
        lab = np.load(labels / (name.replace(" ", "_") + ".npy"))
        print(f"  {name:<40} {t:6.2f} s (range {min(v[0] for v in vals):.2f}-{max(v[0] for v in vals):.2f})  "
              f"peak RSS {peak / 2**20:5.0f} MiB  growth in the call {growth / 2**20:5.0f} MiB  "
              f"{int(lab.max()) + 1} clusters", flush=True)
    for ours, theirs, what in RATIOS:
        same = np.array_equal(np.load(labels / (ours.replace(" ", "_") + ".npy")),
                              np.load(labels / (theirs.replace(" ", "_") + ".npy")))
        (to, po, go), (tt, pt, gt) = med[ours], med[theirs]
        print(f"  ratio {ours} / {theirs} ({what}): {to / tt:.2f}x time, {po / pt:.2f}x peak RSS, "
              f"{go / gt:.2f}x RSS growth in the call  ({'identical labels' if same else 'different labels'}"
              f"{', as they should be' if what == 'no risk term there' and not same else ''})", flush=True)


MODEL_RUN = (
    "import json, os, resource, sys, numpy as np\n"
    "import pamgeo.analysis.pockets as P\n"
    "n, eps, max_pairs, variant = {n}, {eps}, {max_pairs}, {variant!r}\n"
    "z = np.load({synth!r}); X = z['X'][:n].copy(); risk = z['risk'][:n].copy(); w = z['w'][:n].copy(); del z\n"
    "kw = dict(sample_weight=w, risk=risk, risk_tolerance=0.25) if variant == 'risk+weights' else {{}}\n"
    "found = []\n"
    "slab_pairs = P._slab_pairs\n"
    "def spy(data, idx, r, risk, tol, tree=None):  # pairs besides self each slab finds, before the risk term\n"
    "    t = tree if tree is not None else P.cKDTree(data[idx])\n"
    "    found.append(int(t.count_neighbors(t, r)) - len(idx))\n"
    "    del t\n"
    "    return slab_pairs(data, idx, r, risk, tol, tree)\n"
    "P._slab_pairs = spy\n"
    "plan = P.check_graph_size(X, eps, 'haversine', max_pairs)\n"
    "base = int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')\n"
    "P.risk_dbscan(X, eps_m=eps, min_samples=6, max_pairs=max_pairs, **kw)\n"
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
    "print(json.dumps(dict(n=n, eps=eps, chunks=plan.chunks, planned=plan.bytes, slab=max(found), growth=peak - base)))\n"
)
MODEL_CASES = [(50_000, 300, 50_000_000), (100_000, 300, 50_000_000), (200_000, 300, 50_000_000),
               (410_000, 300, 50_000_000), (820_000, 300, 50_000_000), (820_000, 150, 50_000_000),
               (820_000, 600, 50_000_000), (410_000, 600, 50_000_000), (200_000, 1000, 50_000_000),
               (100_000, 1000, 50_000_000), (820_000, 300, 1_000_000)]


def memory_model() -> None:
    """Peak-RSS growth of ``risk_dbscan`` against points and the pairs of its largest slab, and the guard's plan."""
    import numpy as np

    synth = dense_points()
    rows = []
    for n, eps, max_pairs in MODEL_CASES:
        for variant in ("plain", "risk+weights"):
            code = MODEL_RUN.format(n=n, eps=eps, max_pairs=max_pairs, variant=variant, synth=str(synth))
            row = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                                            capture_output=True, text=True).stdout.split("\n")[-2])
            rows.append(row)
            print(f"  {n:>7,} points, eps {eps:>4} m, {variant:<12} {row['chunks']:>3} slabs, largest finds "
                  f"{row['slab'] / 1e6:5.2f} M pairs: growth {row['growth'] / 1e6:6.1f} MB, "
                  f"guard's estimate {row['planned'] / 1e6:6.1f} MB", flush=True)
    per_point = 60.0  # (the n-dependent arrays: unit vectors, order, keys, masks, labels, forest)
    per_pair = max((r["growth"] - per_point * r["n"]) / r["slab"] for r in rows)
    fit, *_ = np.linalg.lstsq(np.array([[r["n"], r["slab"]] for r in rows], float),
                              np.array([r["growth"] for r in rows], float), rcond=None)
    print(f"  least squares: {fit[0]:.0f} B/point + {fit[1]:.1f} B/pair; at {per_point:.0f} B/point, "
          f"at most {per_pair:.1f} B/pair; estimates under growth: "
          f"{sum(r['planned'] < r['growth'] for r in rows)} of {len(rows)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory-model", action="store_true", help="measure BYTES_PER_POINT / BYTES_PER_PAIR instead")
    args = ap.parse_args()
    print(f"pamgeo clustering benchmark (python {sys.version.split()[0]}, {os.cpu_count()} cores)", flush=True)
    if args.memory_model:
        memory_model()
    else:
        bench_clustering(args.repeat)


if __name__ == "__main__":
    main()

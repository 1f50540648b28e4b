"""Recommendation quality of every model and baseline on the real MPD sample.

Usage::

    .venv/bin/python tests/benchmarks/bench_quality.py            # full run, writes the table
    .venv/bin/python tests/benchmarks/bench_quality.py --quick    # 3 epochs, no option rows

Two protocols (see :mod:`assistant.ml.split`):

* link: the study's 70/15/15 edge split of the 5-core of the sample (the study's 30-core
  is empty at 1,000 playlists); Recall@20/50/300 on validation and, separately, on test.
* challenge: RecSys 2018 style, 100 validation + 200 test playlists held out whole, seeds
  by category; R-precision, NDCG, clicks (500 predictions) and Recall@50 on test.

Every row is fitted on the split's training graph only; early stopping (GNNs) and tuning
(EASE's λ; iALS's factors, regularisation and confidence α) use the validation cases only, never test.
Each row runs in its own process so its peak RSS is its own (it includes the ~300 MB of
an imported torch). Writes ``bench-results/quality.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT.parent / "shared" / "data" / "mpd-sample" / "mpd.slice.sample-1000.json"
OUT = ROOT / "bench-results" / "quality.md"
LINK_KCORE = 5
N_VAL, N_TEST = 100, 200
GNNS = ("hgat", "lightgcn", "gat", "gat-mlp", "gcn", "sage")
BASELINES = ("popularity", "cooccurrence", "ease", "ials")
# Extra rows measuring the options of the default model (challenge protocol only); a
# "model" key trains another architecture with that option.
BPR_HARD = {"loss": "bpr", "negatives": "hard", "lr": 5e-3, "model": "gat-mlp"}
GAT_MLP = {"model": "gat-mlp", "loss": "softmax"}  # the default before hgat
OPTIONS = (
    ("gat-mlp sampled softmax", {"model": "gat-mlp", "loss": "sampled"}),
    ("gat-mlp +positional", {**GAT_MLP, "positional": True}),
    ("gat-mlp −cosine", {**GAT_MLP, "cosine": False}),
    ("gat-mlp fixed alpha", {**GAT_MLP, "learnable_alpha": False}),
    ("gat-mlp fold-in steps", {**GAT_MLP, "fold_in": True}),
    ("gat-mlp BPR hard negatives", BPR_HARD),
    ("gat-mlp BPR random negatives", {**BPR_HARD, "negatives": "random"}),
    ("lightgcn BPR hard negatives", {**BPR_HARD, "model": "lightgcn"}),
)


# -- the work of one row (runs in a child process) -------------------------------------


def load_split(protocol: str) -> Any:
    from assistant.ml.graph import Interactions
    from assistant.ml.split import challenge_split, link_split
    from assistant.sources.mpd import read_slice

    sample = read_slice(SAMPLE)
    data = Interactions.from_lists(
        [p.track_uris for p in sample.playlists],
        [int(p.source_ref) for p in sample.playlists],
        names=[p.name for p in sample.playlists],
    ).with_content(  # rows of (uri, name, artist_uri, artist_name, album_uri, ...)
        {t[0]: t[2] for t in sample.tracks}, {t[0]: t[4] for t in sample.tracks}
    )
    if protocol == "link":
        return link_split(data.kcore(LINK_KCORE), seed=0)
    return challenge_split(data, n_val=N_VAL, n_test=N_TEST, seed=0)


def hgat_retrieval_recall(scorer: Any, cases: list) -> float:
    """Mean recall of the exhaustive attention top-500 in the retrieved 1,000 (validation
    cases with seeds)."""
    import numpy as np

    from assistant.ml.hetero import encode_tokens
    from assistant.ml.inference import retrieval_recall

    index = {w: i for i, w in enumerate(scorer.metadata.get("tokens", []))}
    values = []
    for case in cases:
        query = scorer.inference.prepare(case.seeds, encode_tokens(case.name, index))
        if query.informative:
            values.append(retrieval_recall(scorer.inference, query, 500))
    return float(np.mean(values)) if values else 1.0


def run_row(spec: dict[str, Any]) -> dict[str, Any]:
    """Fits one model/baseline on one protocol and evaluates it."""
    from assistant.ml.evaluate import evaluate, evaluate_by_category, make_validator

    split = load_split(spec["protocol"])
    validate = make_validator(split.val)
    extra: dict[str, Any] = {}
    start = time.perf_counter()
    if spec["kind"] == "gnn":
        from assistant.ml.train import TrainConfig, train

        options = {k: v for k, v in spec.get("options", {}).items() if k != "model"}
        if spec["model"] != "hgat":
            options.setdefault("loss", "softmax")  # the track-only models' own default
        config = TrainConfig(model=spec["model"], epochs=spec["epochs"], device="cpu", **options)
        result = train(split.train, config, validator=validate)
        scorer = result.model
        seconds = [h["seconds"] for h in result.history]
        extra.update(
            epochs=len(result.history),
            best_epoch=result.best_epoch,
            sec_per_epoch=sum(seconds) / max(len(seconds), 1),
        )
        val = result.metrics
        if spec["model"] == "hgat":
            extra["retrieval_recall@500"] = hgat_retrieval_recall(scorer, split.val)
    else:
        name = spec["model"]
        if name == "ials":
            from assistant.ml.baselines import tune_ials

            scorer, history = tune_ials(split.train, validate)
            extra["tuned"] = {k: round(v["ndcg"], 4) for k, v in history.items()}
            extra["params"] = scorer.params
        elif name == "ease":
            from assistant.ml.baselines import tune_ease

            scorer, history = tune_ease(split.train, validate)
            extra["tuned"] = {f"lambda={k:g}": round(v["ndcg"], 4) for k, v in history.items()}
            extra["lambda"] = scorer.lam
        else:
            from assistant.ml.baselines import fit_baseline

            scorer = fit_baseline(name, split.train)
        val = validate(scorer)
    fit_s = time.perf_counter() - start
    test = evaluate(scorer, split.test)
    by_cat = {
        k: {"ndcg": v["ndcg"], "r_precision": v["r_precision"], "cases": v["cases"]}
        for k, v in evaluate_by_category(scorer, split.test).items()
    }
    if spec["protocol"] == "challenge":
        from assistant.ml.split import title_only

        # Every test playlist asked by its name alone (the "title" category has 26).
        extra["title_only"] = evaluate(scorer, title_only(split.test))
        extra["title_only_val"] = evaluate(scorer, title_only(split.val))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        **spec,
        "val": val,
        "test": test,
        "by_category": by_cat,
        "fit_s": fit_s,
        "peak_mib": peak,
        **extra,
    }


# -- the driver --------------------------------------------------------------------------


def rows_to_run(quick: bool, epochs: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for protocol in ("challenge", "link"):
        for name in BASELINES:
            rows.append({"label": name, "kind": "baseline", "model": name, "protocol": protocol})
        for name in GNNS:
            rows.append(
                {
                    "label": name,
                    "kind": "gnn",
                    "model": name,
                    "protocol": protocol,
                    "epochs": epochs,
                }
            )
    if not quick:
        for label, options in OPTIONS:
            rows.append(
                {
                    "label": label,
                    "kind": "gnn",
                    "model": options.get("model", default_model()),
                    "protocol": "challenge",
                    "epochs": epochs,
                    "options": options,
                }
            )
    return rows


def seed_rows(rows: list[dict[str, Any]], seeds: list[int]) -> list[dict[str, Any]]:
    """Each challenge-protocol GNN row of ``rows`` again with each training seed, labelled
    "<label> seed=N" (the seed spread of a model or an option)."""
    return [
        {**r, "label": f"{r['label']} seed={s}", "options": {**r.get("options", {}), "seed": s}}
        for r in rows
        if r["kind"] == "gnn" and r["protocol"] == "challenge"
        for s in seeds
    ]


def default_hyper() -> str:
    from assistant.ml.train import TrainConfig

    c = TrainConfig()
    return f"loss {c.loss}, lr {c.lr:g}, dim {c.dim}, layers {c.layers}, batch {c.batch_size}"


def default_epochs() -> int:
    from assistant.ml.train import TrainConfig

    return TrainConfig().epochs


def default_model() -> str:
    from assistant.ml.train import TrainConfig

    return TrainConfig().model


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--row", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-3:]
        return {**spec, "skipped": f"failed: {' | '.join(tail)}"}
    return json.loads(lines[-1])


def fmt(x: Any, digits: int = 4) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def render(results: list[dict[str, Any]], args: argparse.Namespace, wall: float) -> str:
    from assistant.ml.train import TrainConfig

    default = TrainConfig().model
    out = [
        "# Recommendation quality on the MPD sample",
        "",
        f"Data: `{SAMPLE.name}` (1,000 real MPD playlists). Command: "
        f"`.venv/bin/python tests/benchmarks/bench_quality.py{' --quick' if args.quick else ''}"
        f"{f' --epochs {args.epochs}' if args.epochs_given else ''}` "
        f"({wall / 60:.1f} min wall, CPU, {os.cpu_count()} cores, load average "
        f"{args.load_before:.1f} before / {os.getloadavg()[0]:.1f} after). GNN epochs ≤ {args.epochs} "
        "with early stopping on validation NDCG, other hyper-parameters TrainConfig's defaults "
        f"({default_hyper()}); baselines tuned on validation only.",
        "",
        f"## Challenge protocol ({N_VAL} validation / {N_TEST} test playlists held out whole)",
        "",
        "| model | val NDCG | test R-prec | test NDCG | test clicks | test R@50 | s/epoch | "
        "epochs (best) | fit s | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r["protocol"] != "challenge":
            continue
        if "skipped" in r:
            out.append(f"| {r['label']} | {r['skipped']} |||||||||")
            continue
        t = r["test"]
        epochs = f"{r['epochs']} ({r['best_epoch']})" if "epochs" in r else "–"
        out.append(
            f"| {r['label']} | {fmt(r['val'].get('ndcg'))} | {fmt(t['r_precision'])} | "
            f"{fmt(t['ndcg'])} | {fmt(t['clicks'], 2)} | {fmt(t['recall@50'])} | "
            f"{fmt(r.get('sec_per_epoch'), 2)} | {epochs} | {r['fit_s']:.1f} | {r['peak_mib']:.0f} |"
        )
    out += [
        "",
        f"## Link protocol (70/15/15 of each playlist's edges, {LINK_KCORE}-core)",
        "",
        "| model | val R@50 | test R@20 | test R@50 | test R@300 | test NDCG | s/epoch | "
        "epochs (best) | fit s | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r["protocol"] != "link":
            continue
        if "skipped" in r:
            out.append(f"| {r['label']} | {r['skipped']} |||||||||")
            continue
        t = r["test"]
        epochs = f"{r['epochs']} ({r['best_epoch']})" if "epochs" in r else "–"
        out.append(
            f"| {r['label']} | {fmt(r['val'].get('recall@50'))} | {fmt(t['recall@20'])} | "
            f"{fmt(t['recall@50'])} | {fmt(t['recall@300'])} | {fmt(t['ndcg'])} | "
            f"{fmt(r.get('sec_per_epoch'), 2)} | {epochs} | {r['fit_s']:.1f} | {r['peak_mib']:.0f} |"
        )
    chal = [r for r in results if r["protocol"] == "challenge" and "skipped" not in r]
    cats = sorted({c for r in chal for c in r["by_category"] if c != "all"})
    if chal:
        out += [
            "",
            "## Challenge protocol: test NDCG per category",
            "",
            "| model | "
            + " | ".join(f"{c} ({int(chal[0]['by_category'][c]['cases'])})" for c in cats)
            + " |",
            "|---|" + "---|" * len(cats),
        ]
        for r in chal:
            cells = [fmt(r["by_category"].get(c, {}).get("ndcg")) for c in cats]
            out.append(f"| {r['label']} | " + " | ".join(cells) + " |")
    titled = [r for r in chal if "title_only" in r]
    if titled:
        t0 = titled[0]["title_only"]
        out += [
            "",
            f"## Title only: every held-out playlist asked by its name alone "
            f"({int(titled[0]['title_only_val']['cases'])} validation / "
            f"{int(t0['cases'])} test playlists)",
            "",
            "| model | val NDCG | test NDCG | test R-prec | test R@50 |",
            "|---|---|---|---|---|",
        ]
        for r in titled:
            t = r["title_only"]
            out.append(
                f"| {r['label']} | {fmt(r['title_only_val']['ndcg'])} | {fmt(t['ndcg'])} | "
                f"{fmt(t['r_precision'])} | {fmt(t['recall@50'])} |"
            )
    out += ["", "## Verdict", "", verdict(results, default)]
    recall = [r for r in results if "retrieval_recall@500" in r]
    if recall:
        out += [
            "",
            "Two-stage retrieval (hgat): recall of the exhaustive top-500 within the "
            "retrieved 1,000, validation cases: "
            + ", ".join(
                f"{r['label']} ({r['protocol']}) {r['retrieval_recall@500']:.3f}" for r in recall
            ),
        ]
    tuned = [r for r in results if "tuned" in r and "skipped" not in r]
    if tuned:
        out += ["", "Validation NDCG of the tuning grids (test never consulted):", ""]
        for r in tuned:
            grid = r["tuned"]
            if len(grid) <= 8:
                out.append(f"- {r['label']} ({r['protocol']}): {grid}")
                continue
            best = max(grid, key=grid.get)
            out.append(
                f"- {r['label']} ({r['protocol']}): best {best} ({grid[best]}) of "
                f"{len(grid)} points, which range from {min(grid.values())} to "
                f"{max(grid.values())}"
            )
    return "\n".join(out) + "\n"


def verdict(results: list[dict[str, Any]], default: str) -> str:
    chal = {r["label"]: r for r in results if r["protocol"] == "challenge" and "skipped" not in r}
    base = [chal[b] for b in BASELINES if b in chal]
    if default not in chal or not base:
        return "Not enough rows to compare the default model with the baselines."
    gnn = chal[default]["test"]
    best_r = max(base, key=lambda r: r["test"]["r_precision"])
    best_n = max(base, key=lambda r: r["test"]["ndcg"])
    wins = (
        gnn["r_precision"] > best_r["test"]["r_precision"] and gnn["ndcg"] > best_n["test"]["ndcg"]
    )
    head = "beats" if wins else "does NOT beat"
    return (
        f"The default model ({default}) {head} the best baseline under the challenge protocol: "
        f"test R-precision {gnn['r_precision']:.4f} vs {best_r['test']['r_precision']:.4f} "
        f"({best_r['label']}), test NDCG {gnn['ndcg']:.4f} vs {best_n['test']['ndcg']:.4f} "
        f"({best_n['label']})."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 epochs, no option rows")
    parser.add_argument(
        "--epochs", type=int, default=None, help="max GNN epochs (default: TrainConfig's)"
    )
    parser.add_argument("--only", default="", help="comma-separated row labels to run")
    parser.add_argument(
        "--train-seeds",
        default="",
        help="extra rows with these training seeds (e.g. 1,2): of the default model, or "
        "with --only of every GNN row it names (challenge protocol)",
    )
    parser.add_argument(
        "--protocols", default="challenge,link", help="which protocols to run (default both)"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--row", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.row:
        print(json.dumps(run_row(json.loads(args.row))))
        return 0
    if not SAMPLE.exists():
        print(
            f"The MPD sample is not at {SAMPLE}; this benchmark needs ../shared/data/mpd-sample.",
            file=sys.stderr,
        )
        return 2
    args.epochs_given = args.epochs is not None
    args.epochs = args.epochs or (3 if args.quick else default_epochs())
    seeds = [int(x) for x in args.train_seeds.split(",") if x]
    rows = rows_to_run(args.quick, args.epochs)
    if args.only:
        wanted = set(args.only.split(","))
        rows = [r for r in rows if r["label"] in wanted]
        rows += seed_rows(rows, seeds)
    else:
        rows += seed_rows([r for r in rows if r["label"] == default_model()], seeds)
    rows = [r for r in rows if r["protocol"] in args.protocols.split(",")]
    args.load_before = os.getloadavg()[0]
    start = time.perf_counter()
    results = []
    for spec in rows:
        t0 = time.perf_counter()
        result = run_child(spec)
        results.append(result)
        status = result.get("skipped") or (
            f"test ndcg {result['test']['ndcg']:.4f} r@50 {result['test']['recall@50']:.4f}"
        )
        print(
            f"{spec['protocol']:>9} {spec['label']:<20} {time.perf_counter() - t0:6.1f} s  {status}",
            flush=True,
        )
    text = render(results, args, time.perf_counter() - start)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    (args.out.with_suffix(".json")).write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

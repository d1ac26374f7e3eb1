"""PNG plots of a benchmark run (matplotlib, no display): latency distributions and time
against corpus size."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_plots(results: dict[str, Any], folder: Path) -> list[Path]:
    """Write the plots this run has data for; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    latency = _latency_plot(results, folder / "latency.png")
    if latency:
        written.append(latency)
    scaling = _scaling_plot(results, folder / "scaling.png")
    if scaling:
        written.append(scaling)
    return written


def _latency_plot(results: dict[str, Any], path: Path) -> Path | None:
    import matplotlib.pyplot as plt

    runs = results.get("main", {}).get("server", {}).get("latencies", [])
    if not runs:
        return None
    series = {
        "hover": [s for r in runs for s in r.get("hover_samples", [])],
        "definition": [s for r in runs for s in r.get("definition_samples", [])],
        "definition, index only": [
            s for r in runs for s in r.get("definition_index_only_samples", [])
        ],
        "workspace/symbol": [s for r in runs for s in r.get("symbol_samples", [])],
        "edit → updated hover": [s for r in runs for s in r.get("edit", {}).get("samples", [])],
    }
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, samples in series.items():
        if not samples:
            continue
        ordered = sorted(s * 1000 for s in samples)
        n = len(ordered)
        ax.step(ordered, [(i + 1) / n for i in range(n)], where="post", label=f"{label} (n={n})")
    for limit, height in ((5, 0.02), (20, 0.08), (30, 0.14)):
        ax.axvline(limit, color="grey", linestyle=":", linewidth=1)
        ax.text(limit, height, f" {limit} ms", color="grey", fontsize=8)
    ax.axhline(0.99, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("latency, ms (client round trip over stdio, log scale)")
    ax.set_ylabel("fraction of requests ≤ x")
    corpus = results.get("corpus", {})
    ax.set_title(
        f"kwdocs server latencies, warm, {corpus.get('name')} ({corpus.get('files')} files)"
    )
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _scaling_plot(results: dict[str, Any], path: Path) -> Path | None:
    import matplotlib.pyplot as plt

    points = [p for p in results.get("scaling", []) if p.get("name", "").startswith("torch")]
    if len(points) < 2:
        return None
    points.sort(key=lambda p: p["lines"])
    lines = [p["lines"] / 1000 for p in points]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for key, label, style in (
        ("ast_floor", "ast.parse floor (pool of all cores)", "o--"),
        ("cold_index", "kwdocs index, cold (no cache)", "o-"),
        ("warm_index", "kwdocs index, warm (cache)", "s-"),
        ("ctags", "universal-ctags", "^:"),
        ("export_cold", "kwdocs export, cold", "d-"),
    ):
        values = [p.get(key) for p in points]
        if any(v is None for v in values):
            continue
        ax.plot(lines, values, style, label=label)
    stdlib = next((p for p in results.get("scaling", []) if p.get("name") == "stdlib"), None)
    if stdlib and stdlib.get("cold_index") is not None:
        ax.plot(
            [stdlib["lines"] / 1000],
            [stdlib["cold_index"]],
            "k*",
            markersize=10,
            label="kwdocs index, cold: standard library",
        )
    ax.set_xlabel("corpus size, thousand lines (torch 1/8, 1/4, 1/2, all)")
    ax.set_ylabel("seconds")
    ax.set_title("time against corpus size")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

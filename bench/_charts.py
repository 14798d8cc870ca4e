"""The matplotlib boilerplate of the serving benchmarks' charts: backend, bar labels, axes, saving."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (no display needed); imported only when a chart is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def label_bar(axis: Any, value: float, limit: float, index: int, text: str, **font: Any) -> None:
    """``text`` just right of the bar ``index`` of length ``value``, on a white background."""
    axis.text(
        value + limit * 0.01,
        index,
        text,
        va="center",
        **font,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8},
    )


def style_panel(axis: Any) -> None:
    """Small x tick labels and a light vertical grid."""
    axis.tick_params(axis="x", labelsize=7)
    axis.grid(axis="x", alpha=0.3)


def save(figure: Any, axes: Any, xlabel: str, title: str, path: Path) -> None:
    """Label the x axes of the bottom row, title the figure, write it to ``path`` as PNG and close it."""
    for axis in axes[-1]:
        axis.set_xlabel(xlabel, fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    pyplot().close(figure)
    print(f"# chart written to {path}")

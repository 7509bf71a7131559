"""Pictures for TensorBoard, drawn from arrays: functions returning a matplotlib ``Figure``,
``to_image`` rendering one with Agg, ``ConfusionMatrixPlot`` redrawing one picture cheaply, and
``png_summary`` packing a picture for the Images tab.

Figures are built without pyplot (no global figure state, no GUI backend); nothing here knows
about training.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg, get_hinting_flag
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from tensorboard.compat.proto.summary_pb2 import Summary

SIZE = (4.8, 3.6)  # inches; at DPI a 480x360 picture
DPI = 100
COUNT_SIZE = 7  # points: the counts in a confusion matrix
CLASS_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def new_figure(size: tuple[float, float] = SIZE) -> Figure:
    # fixed margins: a layout engine would double the drawing time, and the training waits
    fig = Figure(figsize=size, dpi=DPI)
    fig.subplots_adjust(left=0.14, right=0.96, bottom=0.14, top=0.9)
    FigureCanvasAgg(fig)
    return fig


def to_image(fig: Figure) -> np.ndarray:
    """The figure rendered with Agg: an ``(H, W, 3)`` uint8 array (``add_image(…, "HWC")``)."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def activation_figure(x: np.ndarray, f: np.ndarray, df: np.ndarray, title: str) -> Figure:
    """The activation ``f`` and its derivative ``f′`` over ``x`` (lines 0 and 1 of the axes)."""
    fig = new_figure()
    ax = fig.add_subplot()
    ax.plot(x, f, color="C0", lw=2, label="f(x)  (forward)")
    ax.plot(x, df, color="C3", lw=1.5, ls="--", label="f′(x)  (backward)")
    ax.axhline(0, color="0.7", lw=0.8, zorder=0)
    ax.axvline(0, color="0.7", lw=0.8, zorder=0)
    ax.set_xlabel("x")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig


def confusion_matrix_figure(matrix: np.ndarray, labels: Sequence[str], title: str) -> Figure:
    """Counts of true (rows) against predicted (columns) classes; non-zero cells annotated
    (up to 20 classes)."""
    n = len(matrix)
    side = min(max(3.6, 0.3 * n + 1.4), 9.0)
    fig = new_figure((side, side))
    ax = fig.add_subplot()
    ax.imshow(matrix, cmap="Blues", interpolation="nearest", vmin=0)
    ticks = np.arange(n)
    ax.set_xticks(ticks, labels=labels, fontsize=7, rotation=90 if n > 10 else 0)
    ax.set_yticks(ticks, labels=labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    _annotate(ax, matrix)
    return fig


def _annotate(ax: Any, matrix: np.ndarray, animated: bool = False) -> list[Any]:
    if len(matrix) > 20:
        return []
    high = matrix.max() / 2 if matrix.size else 0
    return [
        ax.text(
            j,
            i,
            str(int(matrix[i, j])),
            ha="center",
            va="center",
            fontsize=COUNT_SIZE,
            color="white" if matrix[i, j] > high else "black",
            animated=animated,
        )
        for i, j in zip(*np.nonzero(matrix), strict=True)
    ]


class ConfusionMatrixPlot:
    """The ``confusion_matrix_figure`` of one set of classes and one title, redrawn for new
    counts several times faster than a new figure (it runs after every validation, while
    training waits).

    The axes, ticks, labels and title are drawn once. Each ``image`` blits the cells over that
    background and stamps the counts, each number rendered once by FreeType and then kept as an
    alpha mask (drawing Text artists would cost more than all the rest).
    """

    def __init__(self, labels: Sequence[str], title: str) -> None:
        n = len(labels)
        self.figure = confusion_matrix_figure(np.zeros((n, n), dtype=np.int64), labels, title)
        self.axes = ax = self.figure.axes[0]
        self.cells = ax.images[0]
        self.cells.set_animated(True)
        canvas = self.figure.canvas
        canvas.draw()
        self.background = canvas.copy_from_bbox(self.figure.bbox)
        height = canvas.get_width_height()[1]
        x, y = ax.transData.transform(np.indices((n, n))[::-1].reshape(2, -1).T).T
        self.centres = np.stack([height - y, x], 1).reshape(n, n, 2)  # (row, column) pixels
        self.masks: dict[str, np.ndarray] = {}

    def image(self, matrix: np.ndarray) -> np.ndarray:
        """The picture of ``matrix`` as ``to_image`` returns it."""
        canvas, ax = self.figure.canvas, self.axes
        canvas.restore_region(self.background)
        self.cells.set_data(matrix)
        self.cells.set_clim(0, matrix.max())
        ax.draw_artist(self.cells)
        for spine in ax.spines.values():
            ax.draw_artist(spine)
        image = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        if len(matrix) <= 20:
            high = matrix.max() / 2
            for i, j in zip(*np.nonzero(matrix), strict=True):
                ink = 255.0 if matrix[i, j] > high else 0.0  # white on dark cells, else black
                self._stamp(image, str(int(matrix[i, j])), self.centres[i, j], ink)
        return image

    def _stamp(self, image: np.ndarray, text: str, centre: np.ndarray, ink: float) -> None:
        mask = self._mask(text)
        h, w = mask.shape
        r, c = (max(0, round(float(x) - size / 2)) for x, size in zip(centre, (h, w), strict=True))
        region = image[r : r + h, c : c + w]
        alpha = mask[: region.shape[0], : region.shape[1], None]
        region[...] = (region * (1 - alpha) + ink * alpha).astype(np.uint8)

    def _mask(self, text: str) -> np.ndarray:
        """The text as FreeType renders it for the figure (as Agg would): alpha in [0, 1]."""
        if text not in self.masks:
            font = get_font(findfont(FontProperties()))
            font.clear()
            font.set_size(COUNT_SIZE, self.figure.dpi)
            font.set_text(text, 0.0, flags=get_hinting_flag())
            font.draw_glyphs_to_bitmap(antialiased=True)
            self.masks[text] = np.asarray(font.get_image(), dtype=np.float32) / 255
        return self.masks[text]


def png_bytes(image: np.ndarray, colours: int = 0) -> bytes:
    """An ``(H, W, 3)`` uint8 picture as PNG; ``colours`` > 0: reduced to that many colours (a
    palette PNG: a big picture encodes in half the time, in a third of the bytes)."""
    out = io.BytesIO()
    picture = PIL.Image.fromarray(image)
    if colours:
        picture = picture.quantize(colours, method=PIL.Image.Quantize.FASTOCTREE)
        picture.save(out, format="PNG", compress_level=1)
    else:
        picture.save(out, format="PNG")
    return out.getvalue()


def png_summary(tag: str, image: np.ndarray, colours: int = 0) -> Summary:
    """An ``(H, W, 3)`` uint8 picture as a TensorBoard image summary (what ``add_image`` writes,
    without its float round trip); ``colours``: see ``png_bytes``."""
    height, width, channels = image.shape
    picture = Summary.Image(
        height=height,
        width=width,
        colorspace=channels,
        encoded_image_string=png_bytes(image, colours),
    )
    return Summary(value=[Summary.Value(tag=tag, image=picture)])


def decision_boundary_figure(
    xx: np.ndarray,
    yy: np.ndarray,
    zz: np.ndarray,
    points: np.ndarray,
    targets: np.ndarray,
    title: str,
    num_classes: int = 0,
) -> Figure:
    """The model's answer ``zz`` over the grid ``(xx, yy)`` with the data on top.

    Classification (``num_classes > 0``): ``zz`` holds predicted classes, drawn as regions with
    their boundaries; regression: ``zz`` holds the prediction, drawn as filled contours.
    """
    fig = new_figure()
    ax = fig.add_subplot()
    if num_classes:
        colors = ListedColormap(CLASS_COLORS[: max(num_classes, 2)])
        norm = BoundaryNorm(np.arange(-0.5, max(num_classes, 2)), colors.N)
        levels = np.arange(-0.5, max(num_classes, 2))
        ax.contourf(xx, yy, zz, levels=levels, cmap=colors, norm=norm, alpha=0.3)
        ax.contour(xx, yy, zz, levels=levels, colors="k", linewidths=0.6)
        ax.scatter(
            points[:, 0], points[:, 1], c=targets, cmap=colors, norm=norm, s=14,
            edgecolors="k", linewidths=0.4,
        )  # fmt: skip
    else:
        filled = ax.contourf(xx, yy, zz, levels=20, cmap="viridis", alpha=0.8)
        fig.colorbar(filled, ax=ax, shrink=0.8, label="prediction")
        ax.scatter(
            points[:, 0], points[:, 1], c=targets, cmap="viridis", norm=filled.norm, s=14,
            edgecolors="k", linewidths=0.4,
        )  # fmt: skip
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_title(title, fontsize=10)
    return fig


def fitted_curve_figure(
    x: np.ndarray, prediction: np.ndarray, points: np.ndarray, targets: np.ndarray, title: str
) -> Figure:
    """The model's prediction over ``x`` (line 0) and the data (a scatter)."""
    fig = new_figure()
    ax = fig.add_subplot()
    ax.plot(x, prediction, color="C3", lw=2, label="model")
    ax.scatter(points, targets, s=8, color="C0", alpha=0.6, label="data")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig

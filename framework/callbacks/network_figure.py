"""The network picture, drawn from arrays: the layers as columns of neurons, each neuron showing
what it puts out, joined by one line per weight; for two input features the model's answer over
the plane with the data beside it.

``NetworkPicture`` lays one figure out for a network's column sizes and redraws it for each
``Snapshot`` (new pixels, colours and widths on the same artists: no new figure per picture).
Nothing here knows about models or training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import Normalize, to_rgba_array
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle

from framework.callbacks.figures import CLASS_COLORS, DPI

SHOWN = 12  # neurons drawn per layer at most
SIZE = (11.0, 6.2)  # inches; at DPI a 1100x620 picture
TEXT = 8.5  # points: 12 px at DPI (no text is smaller)
VALUES_OF_DATA = colormaps["viridis"]  # regression: the prediction over the plane and the data
VALUES = colormaps["RdBu"]  # what a neuron puts out: red below 0, white at 0, blue above
POSITIVE, NEGATIVE = "#2166ac", "#b2182b"  # a weight's sign, the two ends of VALUES
PANEL = 330  # pixels on the right for the model's answer over the plane
LEGEND = (
    "neuron: its output (red < 0 < blue, one scale per layer), ring: its bias; "
    "synapse: blue w > 0, red w < 0, thicker and darker for larger |w| (per layer); ✕ dead"
)


@dataclass
class Layer:
    """One column: what its neurons put out, and which of them are drawn."""

    title: str
    names: Sequence[str]  # a label per neuron ("" for none)
    values: np.ndarray  # (neurons, H, W): the output over the plane; or (neurons,): a mean
    shown: np.ndarray  # indices of the neurons drawn (at most SHOWN), ascending
    bias: np.ndarray | None = None  # (neurons,); None for the inputs
    dead: np.ndarray | None = None  # bool (neurons,): zero output everywhere


@dataclass
class Snapshot:
    """The network at one moment: ``weights[k]`` joins layer ``k`` to layer ``k + 1`` (shaped
    ``(neurons of k + 1, neurons of k)``); ``answer`` is, for two input features, the predicted
    class (or the prediction) over the plane, ``(H, W)``."""

    layers: list[Layer]
    weights: list[np.ndarray]
    caption: str
    answer: np.ndarray | None = None


@dataclass
class Plane:
    """Two input features: where the grid lies and the data drawn over the model's answer."""

    extent: tuple[float, float, float, float]  # x min, x max, y min, y max
    points: np.ndarray  # (n, 2)
    targets: np.ndarray  # (n,): classes, or regression values
    num_classes: int  # 0: regression
    names: tuple[str, str]


def synapse_style(w: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """RGBA colours and line widths for weights ``w``: blue for ``w >= 0``, red below; opacity
    and width grow with ``|w| / scale`` (``scale``: the layer's largest ``|w|``)."""
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    strength = np.clip(np.abs(w) / scale, 0.0, 1.0) if scale > 0 else np.zeros_like(w)
    rgba = np.where((w >= 0)[:, None], to_rgba_array(POSITIVE), to_rgba_array(NEGATIVE))
    rgba[:, 3] = 0.1 + 0.9 * strength
    return rgba, 0.3 + 3.5 * strength


def class_regions(classes: np.ndarray, num_classes: int) -> np.ndarray:
    """Predicted classes ``(H, W)`` as pale class colours with the boundaries in dark grey:
    an ``(H, W, 3)`` float picture."""
    colours = to_rgba_array(CLASS_COLORS[: max(num_classes, 2)])[:, :3]
    picture = 1 - 0.35 * (1 - colours[classes.astype(np.int64) % len(colours)])
    edge = np.zeros(classes.shape, dtype=bool)
    edge[1:] |= classes[1:] != classes[:-1]
    edge[:, 1:] |= classes[:, 1:] != classes[:, :-1]
    picture[edge] = 0.25
    return picture


def _largest(a: np.ndarray) -> float:
    top = float(np.abs(a).max()) if a.size else 0.0
    return top if np.isfinite(top) and top > 0 else 1.0


def value_scale(values: np.ndarray) -> float:
    """A layer's colour scale: the 95th percentile of ``|values|`` (a ReLU's ramp peaks in one
    corner of the plane; its largest value would leave the rest of the picture pale)."""
    sample = np.abs(values[:, ::3, ::3] if values.ndim == 3 else values).reshape(-1)
    top = float(np.percentile(sample, 95)) if sample.size else 0.0
    return top if np.isfinite(top) and top > 0 else 1.0


class NetworkPicture:
    """One figure for one network: laid out from the first snapshot's columns (their titles,
    sizes and how many neurons are drawn), redrawn by ``image`` for each snapshot.

    It runs while training waits, so it redraws only what changes: the titles, names, legend and
    axes are rendered once and kept as a background; each ``image`` restores it, draws the
    synapses, rings, caption and the model's answer over it, and pastes each neuron's heatmap
    into its box as pixels (a colour-mapped sample of the grid, one per pixel, not an image
    artist resampled by Agg).
    """

    def __init__(self, layers: Sequence[Layer], plane: Plane | None = None) -> None:
        self.plane = plane
        self.figure = fig = Figure(figsize=SIZE, dpi=DPI)
        canvas = FigureCanvasAgg(fig)
        width, height = SIZE[0] * DPI, SIZE[1] * DPI
        self.height = height
        net = width - PANEL if plane is not None else width
        ax = self.axes = fig.add_axes((0, 0, net / width, 1))  # data units are pixels
        ax.set_axis_off()
        self.over_plane = layers[0].values.ndim == 3
        # room for the input names on the left (about 0.6 em a character), output names right
        left = min(260.0, 50 + 0.62 * TEXT * DPI / 72 * max(len(str(n)) for n in layers[0].names))
        right = min(200.0, 50 + 0.62 * TEXT * DPI / 72 * max(len(str(n)) for n in layers[-1].names))
        left, right = max(left, 90.0), max(right, 90.0)
        xs = left + (net - left - right) * np.arange(len(layers)) / max(len(layers) - 1, 1)
        top, bottom = height - 62, 90
        counts = [len(layer.shown) for layer in layers]
        pitch = (top - bottom) / max(counts)
        self.size = size = int(min(64.0, 0.74 * pitch))
        pitch = min(pitch, 1.8 * size)
        self.slots: list[list[tuple[float, float]]] = []
        for x, k in zip(xs, counts, strict=True):
            ys = (top + bottom) / 2 + pitch * ((k - 1) / 2 - np.arange(k))
            self.slots.append([(float(round(x)), float(round(y))) for y in ys])
        self.dynamic: list[Any] = []
        self._neurons()
        self._synapses()
        self._texts(layers, top)
        ax.set_xlim(0, net)
        ax.set_ylim(0, height)
        if plane is not None:
            self._panel(plane, width, height)
        for artist in self.dynamic:
            artist.set_animated(True)
        canvas.draw()
        self.background = canvas.copy_from_bbox(fig.bbox)

    def _neurons(self) -> None:
        half, pad = self.size / 2, 1 + 1.5  # a ring's line centred just outside the box
        patches = []
        for slots in self.slots:
            for x, y in slots:
                if self.over_plane:
                    patches.append(Rectangle((x - half - pad, y - half - pad), self.size + 2 * pad,
                                             self.size + 2 * pad))  # fmt: skip
                else:
                    patches.append(Circle((x, y), half))
        self.rings = PatchCollection(patches, lw=3.0, zorder=3)
        if self.over_plane:
            self.rings.set_facecolor("none")
        self.axes.add_collection(self.rings)
        self.dead_marks = self.axes.add_collection(LineCollection([], colors="k", lw=1.6, zorder=5))
        self.dynamic += [self.rings, self.dead_marks]

    def _synapses(self) -> None:
        half = self.size / 2 + 4
        self.synapses = []
        for left, right in zip(self.slots, self.slots[1:], strict=False):
            segments = [
                ((x0 + half, y0), (x1 - half, y1)) for x1, y1 in right for x0, y0 in left
            ]  # target-major: the order of weights[rows, columns].reshape(-1)
            self.synapses.append(self.axes.add_collection(LineCollection(segments, zorder=1)))
        self.dynamic[:0] = self.synapses  # under the rings

    def _texts(self, layers: Sequence[Layer], top: float) -> None:
        ax, half = self.axes, self.size / 2
        self.more = []
        for slots, layer in zip(self.slots, layers, strict=True):
            x = slots[0][0]
            ax.text(x, top + 28, layer.title, ha="center", va="bottom", fontsize=10)
            more = len(layer.names) - len(layer.shown)
            self.more.append(
                ax.text(
                    x,
                    slots[-1][1] - half - 7,
                    f"+{more} more",
                    ha="center",
                    va="top",
                    fontsize=TEXT,
                    color="0.3",
                )
                if more > 0
                else None
            )
        self.names = []
        for k, side in ((0, -1), (len(layers) - 1, 1)):
            layer = layers[k]
            texts = [
                ax.text(x + side * (half + 10), y, str(layer.names[i]), fontsize=TEXT,
                        ha="right" if side < 0 else "left", va="center")
                for (x, y), i in zip(self.slots[k], layer.shown, strict=True)
            ]  # fmt: skip
            if len(layer.names) > len(layer.shown):  # which neurons are drawn may change
                self.names.append((k, texts))
                self.dynamic += texts
        self.caption = self.figure.text(0.008, 0.045, "", fontsize=10.5, va="bottom")
        self.figure.text(0.008, 0.012, LEGEND, fontsize=TEXT, va="bottom", color="0.3")
        self.dynamic.append(self.caption)

    def _panel(self, plane: Plane, width: float, height: float) -> None:
        side = PANEL - 75
        box = ((width - PANEL + 45) / width, (height - side) / 2 / height, side / width,
               side / height)  # fmt: skip
        ax = self.panel = self.figure.add_axes(box)
        # regression: one fixed scale, the targets', for the prediction and the data
        low, high = float(plane.targets.min()), float(plane.targets.max())
        self.answer = ax.imshow(
            np.zeros((2, 2)), extent=plane.extent, origin="lower", aspect="auto", zorder=0,
            cmap="viridis", interpolation="nearest", vmin=low, vmax=high,
        )  # fmt: skip
        ax.set_xlim(plane.extent[:2])
        ax.set_ylim(plane.extent[2:])
        ax.set_xlabel(plane.names[0], fontsize=TEXT)
        ax.set_ylabel(plane.names[1], fontsize=TEXT)
        ax.tick_params(labelsize=TEXT)
        title = "decision boundary" if plane.num_classes else "prediction"
        ax.set_title(f"{title} and the data", fontsize=10)
        self.dynamic += [self.answer, *ax.spines.values()]
        self.points = self._points(plane, low, high)

    def _points(self, plane: Plane, low: float, high: float) -> tuple[Any, ...]:
        """The data as a picture of its own, drawn once on a transparent figure the size of the
        panel: where it goes in the big picture, its colours and its opacity."""
        bbox = self.panel.bbox
        x0, y0, x1, y1 = (round(v) for v in (bbox.x0, bbox.y0, bbox.x1, bbox.y1))
        fig = Figure(figsize=((x1 - x0) / DPI, (y1 - y0) / DPI), dpi=DPI)
        fig.patch.set_alpha(0)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        if plane.num_classes:
            colours = to_rgba_array(CLASS_COLORS[: max(plane.num_classes, 2)])
            faces: Any = colours[plane.targets.astype(np.int64) % len(colours)]
        else:
            faces = VALUES_OF_DATA(Normalize(low, high)(plane.targets))
        ax.scatter(*plane.points.T, c=faces, s=9, edgecolors="k", linewidths=0.3)
        ax.set_xlim(plane.extent[:2])
        ax.set_ylim(plane.extent[2:])
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba()).astype(np.float32) / 255
        top = int(self.height) - y1
        rows = slice(top, top + rgba.shape[0])
        return rows, slice(x0, x0 + rgba.shape[1]), rgba[..., :3] * 255, rgba[..., 3:]

    def image(self, snapshot: Snapshot) -> np.ndarray:
        """The picture of ``snapshot``: ``(H, W, 3)`` uint8, as ``figures.to_image`` renders."""
        layers = snapshot.layers
        faces, edges, crosses = [], [], []
        norms = [
            Normalize(-value_scale(layer.values), value_scale(layer.values)) for layer in layers
        ]
        for k, layer in enumerate(layers):
            if not self.over_plane:
                faces.append(VALUES(norms[k](layer.values[layer.shown])))
            if layer.bias is None:
                edges.append(np.tile(to_rgba_array("0.6"), (len(layer.shown), 1)))
            else:
                scale = _largest(layer.bias)
                edges.append(VALUES(Normalize(-scale, scale)(layer.bias[layer.shown])))
            if layer.dead is not None and not self.over_plane:
                h = self.size / 2
                for slot in np.flatnonzero(layer.dead[layer.shown]):
                    x, y = self.slots[k][slot]
                    crosses += [((x - h, y - h), (x + h, y + h)), ((x - h, y + h), (x + h, y - h))]
        self.rings.set_edgecolor(np.concatenate(edges))
        if faces:
            self.rings.set_facecolor(np.concatenate(faces))
        self.dead_marks.set_segments(crosses)
        for k, (lines, w) in enumerate(zip(self.synapses, snapshot.weights, strict=False)):
            shown = w[np.ix_(layers[k + 1].shown, layers[k].shown)]
            colours, widths = synapse_style(shown, _largest(w))
            lines.set_color(colours)
            lines.set_linewidth(widths)
        for k, texts in self.names:
            for text, i in zip(texts, layers[k].shown, strict=True):
                text.set_text(str(layers[k].names[i]))
        self.caption.set_text(snapshot.caption)
        if self.plane is not None and snapshot.answer is not None:
            self._answer(snapshot.answer)
        canvas = self.figure.canvas
        canvas.restore_region(self.background)
        for artist in self.dynamic:
            (artist.axes or self.figure).draw_artist(artist)
        image = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        if self.over_plane:
            self._paste(image, layers, norms)
        if self.plane is not None:
            rows, cols, colours, alpha = self.points
            under = image[rows, cols]
            image[rows, cols] = (under * (1 - alpha) + colours * alpha).astype(np.uint8)
        return image

    def _paste(self, image: np.ndarray, layers: Sequence[Layer], norms: list[Normalize]) -> None:
        """Each drawn neuron's heatmap into its box: the grid sampled once per pixel, upside down
        (the grid's rows go up, the picture's down); a dead neuron crossed out."""
        n = self.size
        for k, layer in enumerate(layers):
            rows = (np.arange(n) * layer.values.shape[1] / n).astype(np.int64)[::-1]
            cols = (np.arange(n) * layer.values.shape[2] / n).astype(np.int64)
            sampled = layer.values[layer.shown][:, rows][:, :, cols]
            heatmaps = VALUES(norms[k](sampled), bytes=True)[..., :3]
            for (x, y), i, pixels in zip(self.slots[k], layer.shown, heatmaps, strict=True):
                r, c = int(self.height - y - n / 2), int(x - n / 2)
                if layer.dead is not None and layer.dead[i]:
                    diagonal = np.arange(n)
                    for d in (0, 1):
                        pixels[diagonal, np.clip(diagonal + d, 0, n - 1)] = 0
                        pixels[diagonal, np.clip(n - 1 - diagonal + d, 0, n - 1)] = 0
                image[r : r + n, c : c + n] = pixels

    def _answer(self, answer: np.ndarray) -> None:
        assert self.plane is not None
        if self.plane.num_classes:
            # twice as fine, so that a boundary is a thin line between the cells
            fine = answer.repeat(2, axis=0).repeat(2, axis=1)
            self.answer.set_data(class_regions(fine, self.plane.num_classes))
            return
        self.answer.set_data(answer)

"""Deterministic synthetic X-ray pictures of wire loops, for tests and demos.

The real data set is tiny (86 wires, 172 pictures), so development, tests and
scaling experiments need pictures we can make in any number. They imitate the
reference pictures (``samples/legacy``): 1004x1004 grey stored as RGB, one wire
loop per picture, a box around the loop, ``{wire_id}_{VIEW}.png`` pairs.

The defect classes differ only along the physical axes measured on the real
pictures (TOP: largest sideways bend relative to the span; SIDE: loop height
near the stitch end relative to the span), plus one subtle second shape axis
per view. Each class draws its values from an overlapping distribution, and
everything a model could cheat on (contrast, noise, blur, position, wire
thickness, orientation) is random per picture and independent of the class.

Every picture is a pure function of ``(seed, wire index, view, defect)``, so
chunks of a large set can be generated in parallel and reproduced exactly
(byte-identical on the same platform and library versions).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from core.labels import DEFECTS, VIEWS

#: Picture side of the reference camera; every length below is in these pixels.
REFERENCE_SIZE = 1004

#: Pictures per view and class in the reference data (86 wires).
REFERENCE_COUNTS: dict[str, int] = {"PASS": 3, "SWEEP": 20, "WOBBLE": 29, "TOUCH": 34}

#: Class means of the physical measures on the real pictures (DOMAIN.md).
TOP_BEND_MEAN: dict[str, float] = {"PASS": 0.09, "SWEEP": 0.23, "WOBBLE": 0.11, "TOUCH": 0.18}
SIDE_STITCH_HEIGHT_MEAN: dict[str, float] = {
    "PASS": 0.17,
    "SWEEP": 0.105,
    "WOBBLE": 0.18,
    "TOUCH": 0.073,
}
#: Second, subtler axes, so that PASS and WOBBLE (nearly equal on the main
#: axes) stay separable when both views are combined. TOP: share of an S-shaped
#: wiggle in the sideways bend; SIDE: where along the span the loop peaks.
TOP_WIGGLE_MEAN: dict[str, float] = {"PASS": 0.12, "SWEEP": 0.15, "WOBBLE": 0.38, "TOUCH": 0.25}
SIDE_PEAK_POSITION_MEAN: dict[str, float] = {
    "PASS": 0.86,
    "SWEEP": 0.84,
    "WOBBLE": 0.77,
    "TOUCH": 0.82,
}
#: Spread of the main axes: wide enough that neighbouring classes overlap.
MAIN_AXIS_SD = 0.03
#: Spread of the second axes.
TOP_WIGGLE_SD = 0.14
SIDE_PEAK_POSITION_SD = 0.045

#: Where the SIDE measure is taken, as a fraction of the span from the stitch.
SIDE_MEASURE_AT = 0.25

_BOX_MARGIN = 6.0


@dataclass(frozen=True)
class Plan:
    """The defect class of each wire; wire ``i`` is named ``wire_id(i)``."""

    defects: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.defects)

    @property
    def counts(self) -> dict[str, int]:
        return {d: self.defects.count(d) for d in DEFECTS}


@dataclass(frozen=True)
class SyntheticSample:
    """One generated picture and its ground truth."""

    filename: str
    path: Path
    wire_id: str
    view: str
    defect: str
    box: tuple[int, int, int, int]  # x, y, w, h in pixels, top-left corner
    size: tuple[int, int]  # picture width, height
    measure: float  # the physical measure of its view (bend or stitch height)


@dataclass(frozen=True)
class LoopShape:
    """The class-dependent shape of one loop, in units of its span.

    ``measure`` is the physical measure of the view (TOP: largest sideways
    bend; SIDE: height above the stitch at ``SIDE_MEASURE_AT``); ``second`` is
    the view's second axis (TOP: wiggle share; SIDE: peak position);
    ``nuisance`` shapes the loop without depending on the class (TOP: where the
    bow peaks; SIDE: peak height).
    """

    view: str
    measure: float
    second: float
    nuisance: float


def wire_id(index: int) -> str:
    """``w00001`` for index 0: ids sort like the wires were planned."""
    return f"w{index + 1:05d}"


def plan_for_counts(counts: Mapping[str, int]) -> Plan:
    """A plan with ``counts[defect]`` wires per class, classes interleaved.

    Interleaving (rather than grouping) keeps every chunk of a large plan
    close to the overall class mix.
    """
    unknown = set(counts) - set(DEFECTS)
    if unknown:
        raise ValueError(f"Unknown defect classes {sorted(unknown)}; expected {DEFECTS}.")
    if any(n < 0 for n in counts.values()):
        raise ValueError("Counts must not be negative.")
    keyed = [((k + 0.5) / n, DEFECTS.index(d), d) for d in DEFECTS for n in [counts.get(d, 0)] for k in range(n)]
    return Plan(defects=tuple(d for _, _, d in sorted(keyed)))


def reference_plan() -> Plan:
    """The reference distribution: 86 wires, PASS 3, SWEEP 20, WOBBLE 29, TOUCH 34."""
    return plan_for_counts(REFERENCE_COUNTS)


def scaled_plan(n_wires: int) -> Plan:
    """``n_wires`` wires in the reference proportions, at least one per class."""
    if n_wires < len(DEFECTS):
        raise ValueError(f"Need at least {len(DEFECTS)} wires, one per class.")
    total = sum(REFERENCE_COUNTS.values())
    spare = n_wires - len(DEFECTS)
    exact = {d: spare * REFERENCE_COUNTS[d] / total for d in DEFECTS}
    counts = {d: 1 + int(exact[d]) for d in DEFECTS}
    # Largest remainder, so the counts add up exactly.
    by_remainder = sorted(DEFECTS, key=lambda d: (int(exact[d]) - exact[d], DEFECTS.index(d)))
    for d in by_remainder[: n_wires - sum(counts.values())]:
        counts[d] += 1
    return plan_for_counts(counts)


def _rng(seed: int, wire_index: int, view: str) -> np.random.Generator:
    """An independent stream per picture, so no picture depends on another."""
    return np.random.default_rng([seed, wire_index, VIEWS.index(view)])


def sample_shape(view: str, defect: str, rng: np.random.Generator) -> LoopShape:
    """Draw the loop shape of one picture from its class distribution."""
    if view == "TOP":
        bend = float(np.clip(rng.normal(TOP_BEND_MEAN[defect], MAIN_AXIS_SD), 0.02, 0.4))
        wiggle = float(np.clip(rng.normal(TOP_WIGGLE_MEAN[defect], TOP_WIGGLE_SD), 0.0, 0.8))
        return LoopShape(view, bend, wiggle, float(rng.uniform(-0.45, 0.45)))
    height = float(np.clip(rng.normal(SIDE_STITCH_HEIGHT_MEAN[defect], MAIN_AXIS_SD), 0.02, 0.3))
    peak_at = float(np.clip(rng.normal(SIDE_PEAK_POSITION_MEAN[defect], SIDE_PEAK_POSITION_SD), 0.62, 0.95))
    return LoopShape(view, height, peak_at, float(rng.uniform(0.3, 0.38)))


def shape_ceiling(n_wires: int = 20000, seed: int = 0) -> dict[str, float]:
    """The best balanced accuracy and PASS recall any model can reach on these pictures, by simulation.

    The classes overlap by design, so even the generator's own true shape
    values do not separate them. This draws ``n_wires`` wires (classes equally
    likely) with :func:`sample_shape` and classifies each picture, and each
    wire from both pictures, by the largest likelihood under the class
    distributions (Gaussian, ignoring the clipping at the extremes): the Bayes
    rule for balanced accuracy. A trained model scoring near these numbers has
    nothing left to learn from shape.
    """
    from core.evaluation.metrics import evaluate

    rng = np.random.default_rng(seed)
    truth = rng.integers(0, len(DEFECTS), n_wires)
    spreads = {"TOP": (MAIN_AXIS_SD, TOP_WIGGLE_SD), "SIDE": (MAIN_AXIS_SD, SIDE_PEAK_POSITION_SD)}
    means = {
        "TOP": np.array([[TOP_BEND_MEAN[d], TOP_WIGGLE_MEAN[d]] for d in DEFECTS]),
        "SIDE": np.array([[SIDE_STITCH_HEIGHT_MEAN[d], SIDE_PEAK_POSITION_MEAN[d]] for d in DEFECTS]),
    }
    scores: dict[str, float] = {}
    total = np.zeros((n_wires, len(DEFECTS)))
    for view in VIEWS:
        values = np.array([(shape.measure, shape.second) for shape in (sample_shape(view, DEFECTS[k], rng) for k in truth)])
        log_likelihood = -0.5 * (((values[:, None, :] - means[view][None]) / np.array(spreads[view])) ** 2).sum(axis=2)
        total += log_likelihood
        result = evaluate(truth, log_likelihood.argmax(axis=1), list(DEFECTS))
        scores[f"{view.lower()}_balanced_accuracy"] = result.balanced_accuracy
        scores[f"{view.lower()}_pass_recall"] = result.recall_of("PASS")
    result = evaluate(truth, total.argmax(axis=1), list(DEFECTS))
    scores["picture_balanced_accuracy"] = (scores["top_balanced_accuracy"] + scores["side_balanced_accuracy"]) / 2
    scores["picture_pass_recall"] = (scores["top_pass_recall"] + scores["side_pass_recall"]) / 2
    scores["wire_balanced_accuracy"] = result.balanced_accuracy
    scores["wire_pass_recall"] = result.recall_of("PASS")
    return scores


def loop_profile(shape: LoopShape, ball_height: float = 0.25, n: int = 97) -> np.ndarray:
    """The loop's centre line as ``(u, v)`` rows, in units of the span.

    TOP: ``u`` runs along the chord from ball (0) to stitch (1), ``v`` is the
    sideways offset. SIDE: ``u`` runs from stitch (0) to ball (1), ``v`` is
    the height above the stitch; the ball sits on the die at ``ball_height``.
    """
    u = np.linspace(0.0, 1.0, n)
    if shape.view == "TOP":
        # Skewing u moves the bow's apex off-centre without changing its size.
        warped = u ** (2.0**shape.nuisance)
        v = (1 - shape.second) * np.sin(np.pi * warped) + shape.second * np.sin(2 * np.pi * warped)
        v *= shape.measure / np.abs(v).max()
        return np.stack([u, v], axis=1)
    peak_at = shape.second
    peak = max(shape.nuisance, ball_height + 0.06, shape.measure + 0.08)
    # A power law through the stitch-end height: a convex (high) loop for
    # PASS/WOBBLE, a sagging one for SWEEP/TOUCH.
    gamma = math.log(shape.measure / peak) / math.log(SIDE_MEASURE_AT / peak_at)
    knots_u = [0.0, SIDE_MEASURE_AT, 0.55, peak_at, 0.5 * (peak_at + 1) + 0.02, 0.985, 1.0]
    knots_v = [
        0.0,
        shape.measure,
        peak * (0.55 / peak_at) ** gamma if peak_at > 0.55 else peak,
        peak,
        peak - 0.25 * (peak - ball_height),
        ball_height + 0.5 * (peak - ball_height),
        ball_height,
    ]
    return _catmull_rom(np.array(knots_u), np.array(knots_v), n)


def _catmull_rom(xs: np.ndarray, ys: np.ndarray, n: int) -> np.ndarray:
    """A smooth curve through every knot (so the measure point is exact)."""
    pts = np.stack([xs, ys], axis=1)
    padded = np.concatenate([2 * pts[:1] - pts[1:2], pts, 2 * pts[-1:] - pts[-2:-1]])
    per_segment = max(2, n // (len(pts) - 1))
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[:, None]
    pieces = []
    for i in range(len(pts) - 1):
        p0, p1, p2, p3 = padded[i : i + 4]
        pieces.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (3 * p1 - p0 - 3 * p2 + p3) * t**3))
    pieces.append(pts[-1:])
    return np.concatenate(pieces)


def physical_measure(view: str, profile: np.ndarray) -> float:
    """Measure a centre line the way the real pictures were measured."""
    if view == "TOP":
        return float(np.abs(profile[:, 1]).max())
    return float(np.interp(SIDE_MEASURE_AT, profile[:, 0], profile[:, 1]))


class _Scene:
    """Attenuation layers drawn in reference pixels, placed by one transform.

    Pictures are built like X-rays: each material adds attenuation ``mu`` where
    it lies, and the picture is ``level * exp(-total)``, so a wire over a pad
    is darker than over the gap, as on the real pictures.
    """

    def __init__(self, size: int, origin: tuple[float, float], angle: float, mirror: bool):
        self.size = size
        self.scale = size / REFERENCE_SIZE
        self.attenuation = np.zeros((size, size), np.float32)
        c, s = math.cos(angle), math.sin(angle)
        flip = -1.0 if mirror else 1.0
        self._matrix = self.scale * np.array([[c * flip, -s], [s * flip, c]])
        self._offset = np.array(origin) * self.scale

    def place(self, points: np.ndarray) -> np.ndarray:
        """Scene coordinates (reference pixels, package frame) to picture pixels."""
        return np.asarray(points, float) @ self._matrix.T + self._offset

    def _stamp(self, points: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray, tuple[slice, slice]]:
        """A mask only as large as the shape, so small parts cost little.

        Returns the mask, the points in its fixed-point (4 fraction bits)
        coordinates, and where the mask lies in the picture.
        """
        placed = self.place(points)
        lo = np.floor(placed.min(axis=0) - reach).astype(int).clip(0, self.size)
        hi = np.ceil(placed.max(axis=0) + reach + 1).astype(int).clip(0, self.size)
        mask = np.zeros((max(hi[1] - lo[1], 0), max(hi[0] - lo[0], 0)), np.uint8)
        fixed = np.round((placed - lo) * 16).astype(np.int32)
        return mask, fixed, (slice(lo[1], hi[1]), slice(lo[0], hi[0]))

    def _add(self, mask: np.ndarray, where: tuple[slice, slice], mu: float) -> None:
        if mask.size:
            self.attenuation[where] += mask.astype(np.float32) * np.float32(mu / 255.0)

    def polygon(self, points: np.ndarray, mu: float) -> None:
        mask, fixed, where = self._stamp(points, 2)
        cv2.fillPoly(mask, [fixed], 255, cv2.LINE_AA, 4)
        self._add(mask, where, mu)

    def polyline(self, points: np.ndarray, width: float, mu: float) -> None:
        thickness = max(1, round(width * self.scale))
        mask, fixed, where = self._stamp(points, thickness / 2 + 2)
        cv2.polylines(mask, [fixed], False, 255, thickness, cv2.LINE_AA, 4)
        self._add(mask, where, mu)

    def ellipse(self, centre: tuple[float, float], axes: tuple[float, float], mu: float) -> None:
        t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        ring = np.stack([centre[0] + axes[0] * np.cos(t), centre[1] + axes[1] * np.sin(t)], 1)
        self.polygon(ring, mu)

    def soft_polygon(self, points: np.ndarray, mu: float, blur: float) -> None:
        """A blurred shape (mould body, haze), drawn small because blur is costly."""
        small = max(8, self.size // 4)
        mask = np.zeros((small, small), np.float32)
        fixed = np.round(self.place(points) * small / self.size * 16).astype(np.int32)
        cv2.fillPoly(mask, [fixed], 1.0, cv2.LINE_AA, 4)
        blurred = cv2.GaussianBlur(mask, (0, 0), max(0.5, blur * self.scale * small / self.size))
        self.attenuation += np.float32(mu) * cv2.resize(blurred, (self.size, self.size), interpolation=cv2.INTER_LINEAR)


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> np.ndarray:
    corners = [(x1 - r, y1 - r, 0.0), (x0 + r, y1 - r, 90.0), (x0 + r, y0 + r, 180.0), (x1 - r, y0 + r, 270.0)]
    t = np.radians(np.linspace(0, 90, 6))
    arcs = [np.stack([cx + r * np.cos(t + math.radians(a)), cy + r * np.sin(t + math.radians(a))], 1) for cx, cy, a in corners]
    return np.concatenate(arcs)


def _rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], float)


def _top_scene(scene: _Scene, shape: LoopShape, rng: np.random.Generator, wire_width: float) -> tuple[np.ndarray, np.ndarray]:
    """Pads, leads and die seen from above; returns the wire's centre line and bond extents."""
    span = rng.uniform(130, 195)
    gap_at = span * rng.uniform(0.52, 0.66)  # gap centre, from the ball
    gap = rng.uniform(12, 22)
    big_w, small_w = rng.uniform(225, 265), rng.uniform(115, 150)
    ball_x = -gap_at
    left, right = -gap / 2 - big_w, gap / 2 + small_w
    half_h = rng.uniform(125, 145)
    top, bottom = -half_h + rng.uniform(-15, 15), half_h + rng.uniform(-15, 15)
    neck_h, lead_len, lead_w = rng.uniform(60, 72), rng.uniform(60, 90), rng.uniform(85, 110)

    body = _rounded_rect(left - 40, top - 40, right + 40, bottom + 40, 60)
    scene.soft_polygon(body, rng.uniform(0.04, 0.12), 18)
    pad_mu, lead_mu = rng.uniform(1.05, 1.35), rng.uniform(1.5, 2.0)
    scene.polygon(_rounded_rect(left, top, -gap / 2, bottom, 16), pad_mu)
    scene.polygon(_rounded_rect(gap / 2, top, right, bottom, 16), pad_mu)
    for side, edge in ((-1, left), (1, right)):
        neck_end = edge + side * lead_len
        scene.polygon(_rect(min(edge, neck_end), -neck_h, max(edge, neck_end), neck_h), pad_mu * 0.95)
        outer = neck_end + side * lead_w
        scene.polygon(_rect(min(neck_end, outer), -neck_h - 6, max(neck_end, outer), neck_h + 6), lead_mu)
        # The neighbouring package's lead, cut by the picture edge or not.
        far = outer + side * rng.uniform(40, 120)
        scene.polygon(_rect(min(far, far + side * 110), -neck_h - 6, max(far, far + side * 110), neck_h + 6), lead_mu)
    die = rng.uniform(100, 130)
    die_x, die_y = ball_x + rng.uniform(-25, 25), rng.uniform(-20, 20)
    scene.polygon(_rect(die_x - die / 2, die_y - die / 2, die_x + die / 2, die_y + die / 2), 0.2)

    tilt = rng.uniform(-0.08, 0.08)
    along = np.array([math.cos(tilt), math.sin(tilt)])
    normal = np.array([-along[1], along[0]]) * rng.choice([-1.0, 1.0])
    profile = loop_profile(shape)
    ball = np.array([ball_x, rng.uniform(-12, 12)])
    line = ball + span * (profile[:, :1] * along + profile[:, 1:] * normal)
    scene.polyline(line, wire_width, rng.uniform(0.6, 0.8))
    scene.ellipse((ball[0], ball[1]), (wire_width + 3, wire_width + 3), 1.3)
    stitch = line[-1] + along * 4
    scene.ellipse((stitch[0], stitch[1]), (8, 7), 0.35)
    return line, np.array([ball - wire_width - 3, ball + wire_width + 3, stitch + 8, stitch - 8])


def _side_scene(scene: _Scene, shape: LoopShape, rng: np.random.Generator, wire_width: float) -> tuple[np.ndarray, np.ndarray]:
    """The package in profile on its base; returns the wire's centre line and bond extents."""
    span = rng.uniform(150, 215)
    die_h = rng.uniform(36, 52)
    ball_height = die_h / span
    lead_top, band = 0.0, rng.uniform(26, 34)
    base_y = lead_top + band + rng.uniform(35, 55)
    stitch_x, ball_x = span / 2, -span / 2  # package frame: the wire's middle at the origin
    gap_x = ball_x + span * rng.uniform(0.6, 0.72)
    gap = rng.uniform(10, 20)
    reach = rng.uniform(190, 240)  # lead length from the gap to the bend
    left_bend, right_bend = gap_x - gap / 2 - reach, gap_x + gap / 2 + reach

    scene.attenuation += np.float32(rng.uniform(0.05, 0.15))  # haze around the bright mould
    mould_top = lead_top - rng.uniform(210, 260)
    slant = rng.uniform(15, 35)
    mould = np.array([(left_bend - 10, base_y), (left_bend + slant, mould_top), (right_bend - slant, mould_top), (right_bend + 10, base_y)])
    scene.soft_polygon(mould, -0.1, 8)
    mid = lead_top + band / 2
    foot = base_y - band / 2
    lead_mu = rng.uniform(2.8, 3.6)
    for side, inner, bend in ((-1, gap_x - gap / 2 - band / 2, left_bend), (1, gap_x + gap / 2 + band / 2, right_bend)):
        drop = bend + side * (foot - mid) * rng.uniform(0.8, 1.2)
        toe = drop + side * rng.uniform(70, 110)
        scene.polyline(np.array([(inner, mid), (bend, mid), (drop, foot), (toe, foot)]), band, lead_mu)
        neighbour = toe + side * rng.uniform(60, 110)
        scene.polyline(np.array([(neighbour, foot), (neighbour + side * 180, foot)]), band, lead_mu)
    base = _rect(-3000, base_y, 3000, base_y + 3000)
    scene.polygon(base, rng.uniform(1.7, 2.2))
    scene.soft_polygon(_rect(-3000, base_y + 250, 3000, base_y + 3000), rng.uniform(0.2, 0.5), 120)

    die_w = rng.uniform(55, 85)
    die_x = ball_x + rng.uniform(-10, 10)
    scene.polygon(_rect(die_x - die_w / 2, lead_top - die_h, die_x + die_w / 2, lead_top + 2), rng.uniform(0.15, 0.3))
    profile = loop_profile(shape, ball_height)
    line = np.stack([stitch_x - span * profile[:, 0], lead_top - span * profile[:, 1]], 1)
    scene.polyline(line, wire_width, rng.uniform(0.4, 0.6))
    ball = line[-1]
    scene.ellipse((ball[0], ball[1] - 2), (wire_width + 2, 5), 1.0)
    return line, np.array([ball + (0, -7)])


def _develop(scene: _Scene, rng: np.random.Generator) -> np.ndarray:
    """Turn attenuation into a camera picture: exposure, blur, edge halo, noise."""
    size, scale = scene.size, scene.scale
    level = rng.uniform(180, 285)
    ramp = np.linspace(-1, 1, size, dtype=np.float32)[:, None] * np.float32(rng.uniform(-0.06, 0.06))
    picture: np.ndarray = np.float32(level) * np.exp(-scene.attenuation) * (1 + ramp)
    picture = cv2.GaussianBlur(picture, (0, 0), rng.uniform(0.6, 1.4) * max(scale, 0.35))
    # The detector's edge enhancement gives the bright outlines seen around
    # pads and leads on the real pictures.
    halo = cv2.GaussianBlur(picture, (0, 0), rng.uniform(2.5, 4.5) * scale)
    picture = picture + np.float32(rng.uniform(0.5, 1.1)) * (picture - halo)
    noise = rng.standard_normal((size, size), dtype=np.float32)
    picture += np.float32(rng.uniform(2.0, 5.0)) * np.sqrt(np.clip(picture, 0, None) / level) * noise
    grey = np.clip(picture + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def _box(points: np.ndarray, size: int, scale: float, wire_width: float) -> tuple[int, int, int, int]:
    pad = (wire_width / 2 + _BOX_MARGIN) * scale
    x0, y0 = np.floor(points.min(axis=0) - pad).clip(0, size - 1)
    x1, y1 = np.ceil(points.max(axis=0) + pad).clip(1, size)
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


@dataclass(frozen=True)
class RenderedPicture:
    """A picture with everything known about it, for ``generate`` and tests."""

    picture: np.ndarray  # uint8, H x W x 3, R = G = B
    box: tuple[int, int, int, int]  # x, y, w, h in pixels, top-left corner
    shape: LoopShape
    centre_line: np.ndarray  # the wire's centre line, (x, y) picture pixels


def render_with_truth(wire_index: int, view: str, defect: str, seed: int = 0, image_size: int = REFERENCE_SIZE) -> RenderedPicture:
    """One picture and its ground truth, a pure function of its arguments."""
    if view not in VIEWS or defect not in DEFECTS:
        raise ValueError(f"Unknown view {view!r} or defect {defect!r}.")
    rng = _rng(seed, wire_index, view)
    shape = sample_shape(view, defect, rng)
    centre = REFERENCE_SIZE / 2
    origin = (centre + rng.uniform(-110, 110), centre + rng.uniform(-110, 110))
    mirror = bool(rng.random() < 0.5)
    scene = _Scene(image_size, origin, rng.uniform(-0.05, 0.05), mirror)
    wire_width = rng.uniform(4.0, 8.0)
    draw = _top_scene if view == "TOP" else _side_scene
    line, bonds = draw(scene, shape, rng, wire_width)
    centre_line = scene.place(line)
    box = _box(np.concatenate([centre_line, scene.place(bonds)]), image_size, scene.scale, wire_width)
    return RenderedPicture(_develop(scene, rng), box, shape, centre_line)


def render(
    wire_index: int, view: str, defect: str, seed: int = 0, image_size: int = REFERENCE_SIZE
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """One picture in memory: ``(uint8 HxWx3 grey array, box x, y, w, h)``."""
    rendered = render_with_truth(wire_index, view, defect, seed, image_size)
    return rendered.picture, rendered.box


def generate(
    out_dir: str | Path,
    counts_or_plan: Mapping[str, int] | Plan | None = None,
    seed: int = 0,
    views: Iterable[str] = VIEWS,
    image_size: int = REFERENCE_SIZE,
    wire_indices: Iterable[int] | None = None,
) -> list[SyntheticSample]:
    """Write the pictures of a plan as PNG pairs plus ``manifest.json``.

    ``counts_or_plan`` defaults to the reference distribution. ``wire_indices``
    restricts the run to some wires of the plan, for generating a large set in
    chunks; each chunk's manifest lists only its own pictures.
    """
    from PIL import Image

    if counts_or_plan is None:
        plan = reference_plan()
    elif isinstance(counts_or_plan, Plan):
        plan = counts_or_plan
    else:
        plan = plan_for_counts(counts_or_plan)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    views = tuple(views)
    samples = []
    for index in range(len(plan)) if wire_indices is None else wire_indices:
        defect = plan.defects[index]
        for view in views:
            rendered = render_with_truth(index, view, defect, seed, image_size)
            filename = f"{wire_id(index)}_{view}.png"
            # Low compression: the noise barely compresses and speed matters.
            Image.fromarray(rendered.picture, "RGB").save(out / filename, compress_level=1)
            samples.append(
                SyntheticSample(
                    filename=filename,
                    path=out / filename,
                    wire_id=wire_id(index),
                    view=view,
                    defect=defect,
                    box=rendered.box,
                    size=(image_size, image_size),
                    measure=rendered.shape.measure,
                )
            )
    manifest = {
        "seed": seed,
        "image_size": image_size,
        "counts": plan.counts,
        "views": list(views),
        "samples": [{**asdict(s), "path": s.filename} for s in samples],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return samples

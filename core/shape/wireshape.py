"""Trace a wire loop's centre line in a box crop and describe its shape with a few numbers.

On a small data set a CNN trained from scratch does not learn the subtle shape
differences between the defect classes (../shared/DOMAIN.md); the physical
measures do: in TOP view the largest sideways bend relative to the span, in
SIDE view the loop's height near the stitch end. This module measures them.

Tracing: the wire is a thin dark line, so a black-hat filter at a few times
the wire's thickness (estimated from the crop's size, because boxes frame one
loop) keeps it and drops pads, leads, mould and gradients; then dynamic
programming picks one row per column with the most ridge response and bounded
jumps (a Viterbi path), which bridges faint stretches where the wire crosses
a dark pad. The path's weak ends (no wire, only margin, weak against the
crop's background) are cut off, and so is an end where it climbs steeply onto
an edge across it, or where the ridge fades near an end before something
strong (a die edge, a lead) takes over. In TOP view each
end is then followed along the ridge in 2-D (a wire turning steeply into its
ball is beyond a column-wise path) and moved to the ball's centre when a blob
clearly darker than the wire sits there. In SIDE view the lower end is
followed along the lead frame's edge to the stitch, and the upper end down the
neck (in 2-D) and then to the ball's centre. The crop is traced along its longer side, so a loop
running top-down works the same.

Measures use the traced end points only (no picture axis): TOP measures are
taken against the chord from end to end; SIDE heights are taken above the
lower (stitch) end, along the horizontal from stitch to ball, both divided by
the span. Tracing quality (contrast, continuity) is part of the descriptor,
so a model can discount a bad trace.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Bumped whenever a feature changes meaning; checkpoints store it.
DESCRIPTOR_VERSION = 4

SIDE_FRACTIONS = (0.1, 0.25, 0.4, 0.55, 0.7)

FEATURES: tuple[str, ...] = (
    "top_bend",  # largest sideways offset from the chord / span
    "top_two_sided",  # smaller side's offset / larger side's (0: one bow, 1: a full S)
    "top_wiggle",  # |S coefficient| / (|bow| + |S|), projections on sin(pi u) and sin(2 pi u)
    "top_apex_offset",  # |where the bend peaks - 0.5| along the chord
    "curvature_mean",  # mean |d2v/du2| of the chord offset (smoothed)
    "curvature_max",
    *(f"side_height_{round(f * 100)}" for f in SIDE_FRACTIONS),  # height above the stitch / span at that fraction
    "side_peak_position",  # where the loop is highest, from the stitch (0) to the ball (1)
    "side_peak_height",
    "side_ball_height",  # height of the ball end above the stitch / span
    "trace_contrast",  # ridge response on the path / response of the background
    "trace_continuity",  # share of the traced span with a clear ridge
    "trace_span",  # traced span / crop length
    "trace_roughness",  # mean |row jump| per column / wire thickness
)

#: The crop's longer side is resized to this many pixels before tracing.
WORK_LENGTH = 192
#: Expected wire thickness as a share of the crop's longer side (wire 4-8 px in crops of ~200-300 px).
THICKNESS_SHARE = 0.025
#: Largest row change per column of the path (a steep wire near the bonds still fits).
MAX_JUMP = 3
#: Cost per row of jump, in units of the median ridge response (keeps the path smooth).
JUMP_PENALTY = 0.15
#: SIDE: how far from the trace's upper end the ball is looked for, in wire thicknesses.
BALL_REACH = 3
#: TOP: the largest turn per step when following an end in 2-D, in degrees.
TURN_LIMIT = 40.0
#: A weak stretch this many wire thicknesses long near an end means the path has left the wire there.
GAP_THICKNESSES = 1.5
#: TOP: how far an end may be followed, as a share of the work length.
FOLLOW_REACH = 0.25
#: TOP: a ball bond is at least this many times as dark (against the background) as the wire.
BLOB_DEPTH = 1.4


@dataclass(frozen=True)
class Trace:
    """The traced centre line in crop pixels, ``(x, y)`` rows, ordered along the longer side."""

    points: np.ndarray
    contrast: float
    continuity: float
    span_share: float
    roughness: float


def _grey(crop: np.ndarray) -> np.ndarray:
    picture = crop.astype(np.float32)
    return picture.mean(axis=2) if picture.ndim == 3 else picture


def ridge_map(grey: np.ndarray, thickness: float) -> np.ndarray:
    """Thin dark structures around ``thickness`` pixels wide: black-hat, lightly smoothed, scaled to ~[0, 1]."""
    size = int(round(3 * thickness)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    response = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, kernel)
    response = cv2.GaussianBlur(response, (0, 0), max(0.7, thickness / 3))
    scale = float(np.percentile(response, 99.5))
    return response / scale if scale > 0 else response


def viterbi_rows(ridge: np.ndarray, max_jump: int = MAX_JUMP, penalty: float = JUMP_PENALTY) -> np.ndarray:
    """One row per column maximising the summed ridge response minus ``penalty`` per row of jump.

    Each column's step looks at all ``2 * max_jump + 1`` jumps at once (rows of one array); ties
    go to the most negative jump, the first row of that array.
    """
    rows, cols = ridge.shape
    unit = float(np.median(ridge[ridge > 0])) if np.any(ridge > 0) else 1.0
    jumps = np.arange(-max_jump, max_jump + 1)
    cost = (penalty * unit * np.abs(jumps))[:, None]
    # source[k, r]: the row a jump of jumps[k] into row r comes from (clipped; out-of-range ones never win)
    source = np.clip(np.arange(rows)[None, :] + jumps[:, None], 0, rows - 1)
    outside = (np.arange(rows)[None, :] + jumps[:, None] < 0) | (np.arange(rows)[None, :] + jumps[:, None] >= rows)
    score = ridge[:, 0].astype(np.float64)
    back = np.zeros((rows, cols), np.int32)
    columns = ridge.astype(np.float64)
    for col in range(1, cols):
        candidates = score[source] - cost
        candidates[outside] = -np.inf
        choice = candidates.argmax(axis=0)
        back[:, col] = source[choice, np.arange(rows)]
        score = candidates[choice, np.arange(rows)] + columns[:, col]
    path = np.zeros(cols, np.int32)
    path[-1] = int(score.argmax())
    for col in range(cols - 1, 0, -1):
        path[col - 1] = back[path[col], col]
    return path


def _to_stitch(work: np.ndarray, points: np.ndarray, thickness: float) -> np.ndarray:
    """SIDE: continue the lower end along the lead frame to the stitch.

    Where the wire meets the dark lead frame it lies on the frame's top edge,
    so its ridge fades and the trace stops short of the stitch (the sagging
    loops by a tenth of the span). The wire still darkens the few rows just
    above the edge; following the edge outwards, the stitch is where that
    darkening ends (compared with the clean edge at the crop's end).
    """
    lower_first = points[0, 1] >= points[-1, 1]
    ordered = points if lower_first else points[::-1]
    end, outward = ordered[0], 1 if ordered[0, 0] >= ordered[-1, 0] else -1
    columns = np.arange(int(round(end[0])), work.shape[1] if outward > 0 else -1, outward)
    reach = int(np.ceil(2 * thickness))
    top = int(end[1])
    if len(columns) < 6 or work.shape[0] - top < reach:
        return points
    window = work[top:, columns]
    bright, dark = float(np.percentile(work, 90)), float(window.min())
    if bright - dark < 20:
        return points
    below = window < 0.5 * (bright + dark)
    if not below.any(axis=0).all():
        return points
    edges = top + below.argmax(axis=0)
    offsets = np.arange(1, reach + 1)
    rows = np.clip(edges[None, :] - offsets[:, None], 0, None)
    strip = work[rows, columns[None, :]]
    reference = np.median(strip[:, -4:], axis=1, keepdims=True)
    darkening = np.clip(reference - strip, 0, None).mean(axis=0)
    clear = np.convolve(darkening < 0.3 * max(float(darkening[:3].max()), 1e-6), np.ones(3), mode="same") >= 3
    stop = int(np.argmax(clear)) if clear.any() else len(columns) - 1
    if stop == 0:
        return points
    stitch = np.array([float(columns[stop - 1]), float(edges[stop - 1])])
    extra = end + np.linspace(0.0, 1.0, max(2, stop))[1:, None] * (stitch - end)
    extended = np.concatenate([extra[::-1], ordered])
    return extended if lower_first else extended[::-1]


def _darkest_near(blurred: np.ndarray, end: np.ndarray, reach: int) -> tuple[np.ndarray, np.ndarray]:
    """The darkest point within ``reach`` pixels of ``end`` (x, y), and the window it was found in."""
    y0, x0 = max(0, int(end[1]) - reach), max(0, int(end[0]) - reach)
    window = blurred[y0 : int(end[1]) + reach + 1, x0 : int(end[0]) + reach + 1]
    row, col = np.unravel_index(int(window.argmin()), window.shape)
    return np.array([x0 + col, y0 + row], np.float32), window


def _to_ball(work: np.ndarray, points: np.ndarray, thickness: float) -> np.ndarray:
    """SIDE: end the upper end at the ball, the darkest blob near where the trace stops.

    The path either runs on through the ball or stops where the neck drops
    steeply into it, so its end wanders by the ball's size; the ball's centre
    fixes the span and with it every position along it.
    """
    upper_last = points[-1, 1] <= points[0, 1]
    ordered = points if upper_last else points[::-1]
    end = ordered[-1]
    ball, _ = _darkest_near(cv2.GaussianBlur(work, (0, 0), 0.5 * thickness), end, int(round(BALL_REACH * thickness)))
    towards = np.sign(ordered[-1, 0] - ordered[0, 0])
    kept = ordered[(ordered[:, 0] - ball[0]) * towards < 0]
    if len(kept) < 4:
        return points
    extended = np.concatenate([kept, ball[None]])
    return extended if upper_last else extended[::-1]


def _sample(ridge: np.ndarray, point: np.ndarray) -> float:
    """The ridge response at a sub-pixel point (0 outside the map)."""
    x, y = float(point[0]), float(point[1])
    if not (0 <= x <= ridge.shape[1] - 1 and 0 <= y <= ridge.shape[0] - 1):
        return 0.0
    return float(cv2.getRectSubPix(ridge, (1, 1), (x, y))[0, 0])


def _follow(ridge: np.ndarray, points: np.ndarray, thickness: float, threshold: float) -> np.ndarray:
    """Extend the trace's last end along the ridge in 2-D, where one row per column cannot go.

    A column-wise path cannot follow a wire that turns steeply (into the ball,
    say) and is cut where it tries. From the end, step half a wire thickness at
    a time in the direction the ridge is strongest, within ``TURN_LIMIT`` of
    the current heading (a wire curves smoothly; an edge crossing it turns
    abruptly), while the response stays above ``threshold``.
    """
    look_back = min(len(points) - 1, int(round(2 * thickness)))
    if look_back < 2:
        return points
    heading = points[-1] - points[-1 - look_back]
    norm = float(np.hypot(*heading))
    if norm < 1e-6:
        return points
    heading = heading / norm
    step = 0.5 * thickness
    angles = np.deg2rad(np.linspace(-TURN_LIMIT, TURN_LIMIT, 9))
    current, added = points[-1].astype(np.float64), []
    for _ in range(int(FOLLOW_REACH * max(ridge.shape) / step)):
        best, best_direction = -1.0, heading
        for angle in angles:
            cos, sin = np.cos(angle), np.sin(angle)
            direction = np.array([cos * heading[0] - sin * heading[1], sin * heading[0] + cos * heading[1]])
            response = _sample(ridge, current + step * direction) * np.cos(angle) ** 2
            if response > best:
                best, best_direction = response, direction
        if best < threshold:
            break
        current = current + step * best_direction
        added.append(current.copy())
        heading = best_direction + heading
        heading /= np.hypot(*heading)
    if not added:
        return points
    return np.concatenate([points, np.array(added, np.float32)])


def _to_blob(work: np.ndarray, points: np.ndarray, thickness: float) -> np.ndarray:
    """TOP: end the trace's last end at the ball bond when one is there.

    The ball is a round blob clearly darker than the wire beside it; the trace
    stops at its rim, but the wire's end (and so its span and chord) is the
    ball's centre. An end without such a blob (the stitch) is left alone.
    """
    blurred = cv2.GaussianBlur(work, (0, 0), 0.7 * thickness)
    ball, window = _darkest_near(blurred, points[-1], int(round(BALL_REACH * thickness)))
    # Compare with the wire a few thicknesses back from the end, against the window's background.
    back = points[max(0, len(points) - 1 - int(round(3 * thickness)))]
    background = float(np.percentile(window, 75))
    wire_depth = background - float(blurred[int(round(back[1])), int(round(back[0]))])
    if background - float(window.min()) < BLOB_DEPTH * max(wire_depth, 1.0):
        return points
    heading = points[-1] - back
    kept = points[(points - ball) @ heading < 0]
    if len(kept) < 4:
        return points
    return np.concatenate([kept, ball[None]])


def _cut_at_gaps(clear: np.ndarray, start: int, end: int, gap: int) -> tuple[int, int]:
    """Cut an end where, in the outer quarter, the ridge fades for ``gap`` columns before turning strong again.

    A wire is continuous; a path that loses it near an end and then picks up
    something strong (a die edge, a lead) has left the wire at the gap.
    """
    quarter = (end - start) // 4
    if gap < 1 or quarter <= gap:
        return start, end
    weak = ~clear[start : end + 1]
    # runs[i]: the columns start + i ... start + i + gap - 1 are all weak.
    runs = np.flatnonzero(np.convolve(weak, np.ones(gap), mode="valid") >= gap)
    first = end - quarter - start
    head, tail = runs[runs < quarter], runs[runs >= first]
    new_start = start + int(head[-1]) + gap if len(head) else start
    new_end = start + int(tail[0]) - 1 if len(tail) else end
    return new_start, new_end


def trace(crop: np.ndarray, view: str = "TOP") -> Trace:
    """The wire's centre line in ``crop`` (8-bit grey or RGB), in the crop's pixels."""
    grey = _grey(crop)
    transposed = grey.shape[0] > grey.shape[1]
    if transposed:
        grey = grey.T
    scale = WORK_LENGTH / grey.shape[1]
    work = cv2.resize(grey, (WORK_LENGTH, max(8, round(grey.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    thickness = THICKNESS_SHARE * WORK_LENGTH
    ridge = ridge_map(work, thickness)
    path = viterbi_rows(ridge)
    columns = np.arange(WORK_LENGTH)
    along = ridge[path, columns]
    # The ends of the path run through margin without a wire: keep the part with a clear ridge.
    middle = along[WORK_LENGTH // 4 : 3 * WORK_LENGTH // 4]
    # Weak against the wire's own middle, and not clearly above the crop's background: noise, not wire.
    background, typical = float(np.median(ridge)), float(np.median(middle))
    threshold = max(0.35 * typical, background + 0.4 * (typical - background))
    smooth = np.convolve(along, np.ones(5) / 5, mode="same")
    strong = np.flatnonzero(smooth > threshold)
    start, end = (int(strong[0]), int(strong[-1])) if len(strong) >= 8 else (0, WORK_LENGTH - 1)
    start, end = _cut_at_gaps(smooth > threshold, start, end, int(round(GAP_THICKNESSES * thickness)))
    # A path climbing steeply near an end has left the wire for an edge across it: cut there.
    steep = np.flatnonzero(np.convolve(np.abs(np.diff(path)), np.ones(5) / 5, mode="same") >= 2)
    quarter = (end - start) // 4
    head, tail = steep[(steep >= start) & (steep < start + quarter)], steep[(steep > end - quarter) & (steep < end)]
    start, end = (int(head[-1]) + 3 if len(head) else start), (int(tail[0]) - 2 if len(tail) else end)
    kept = slice(start, end + 1)
    continuity = float(np.mean(along[kept] > threshold))
    roughness = float(np.mean(np.abs(np.diff(path[kept])))) / thickness if end > start else 0.0
    rows = cv2.GaussianBlur(path[kept].astype(np.float32)[None, :], (0, 0), 1.5)[0] if end > start else path[kept].astype(np.float32)
    points = np.stack([columns[kept].astype(np.float32), rows], axis=1)
    if view == "SIDE" and len(points) > 4:
        points = _to_stitch(work, points, thickness)
        # The neck climbs steeply out of the ball: follow the upper end along the ridge first.
        upper_last = points[-1, 1] <= points[0, 1]
        points = _follow(ridge, points if upper_last else points[::-1], thickness, threshold)
        points = _to_ball(work, points if upper_last else points[::-1], thickness)
    elif len(points) > 4:
        points = _follow(ridge, _follow(ridge, points, thickness, threshold)[::-1], thickness, threshold)[::-1]
        points = _to_blob(work, _to_blob(work, points, thickness)[::-1], thickness)[::-1]
    points = points / scale
    if transposed:
        points = points[:, ::-1]
    return Trace(points, float(np.median(along[kept])) / (background + 1e-3), continuity, (end - start) / WORK_LENGTH, roughness)


def _chord_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``u`` along the chord (0..1) and ``v`` across it, both in units of the span."""
    chord = points[-1] - points[0]
    span = float(np.hypot(*chord))
    if span < 1e-6:
        return np.zeros(len(points)), np.zeros(len(points)), 0.0
    along = chord / span
    normal = np.array([-along[1], along[0]])
    relative = points - points[0]
    return relative @ along / span, relative @ normal / span, span


def _uniform(u: np.ndarray, v: np.ndarray, n: int = 65) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(u, kind="stable")
    grid = np.linspace(0.0, 1.0, n)
    return grid, np.interp(grid, u[order], v[order])


def top_measures(points: np.ndarray) -> dict[str, float]:
    """Bend, two-sidedness, S-wiggle share, apex offset and curvature against the end-to-end chord."""
    u, v, span = _chord_frame(points)
    if span == 0:
        return {
            "top_bend": 0.0,
            "top_two_sided": 0.0,
            "top_wiggle": 0.0,
            "top_apex_offset": 0.0,
            "curvature_mean": 0.0,
            "curvature_max": 0.0,
        }
    grid, values = _uniform(u, v)
    positive, negative = max(float(values.max()), 0.0), max(float(-values.min()), 0.0)
    bow = 2 * float(np.mean(values * np.sin(np.pi * grid)))
    wiggle = 2 * float(np.mean(values * np.sin(2 * np.pi * grid)))
    curvature = np.abs(np.gradient(np.gradient(values, grid), grid))[3:-3]
    return {
        "top_bend": max(positive, negative),
        "top_two_sided": min(positive, negative) / max(positive, negative, 1e-6),
        "top_wiggle": abs(wiggle) / (abs(bow) + abs(wiggle) + 1e-6),
        "top_apex_offset": abs(float(grid[int(np.abs(values).argmax())]) - 0.5),
        "curvature_mean": float(curvature.mean()) if len(curvature) else 0.0,
        "curvature_max": float(curvature.max()) if len(curvature) else 0.0,
    }


def side_measures(points: np.ndarray) -> dict[str, float]:
    """Heights above the lower (stitch) end along the horizontal from stitch to ball, over the span."""
    stitch, ball = (points[0], points[-1]) if points[0, 1] >= points[-1, 1] else (points[-1], points[0])
    span = float(abs(ball[0] - stitch[0]))
    names = [f"side_height_{round(f * 100)}" for f in SIDE_FRACTIONS]
    if span < 1e-6:
        return dict.fromkeys([*names, "side_peak_position", "side_peak_height", "side_ball_height"], 0.0)
    u = (points[:, 0] - stitch[0]) / (ball[0] - stitch[0])
    v = (stitch[1] - points[:, 1]) / span
    grid, values = _uniform(u, v)
    peak = int(values.argmax())
    result = {name: float(np.interp(f, grid, values)) for name, f in zip(names, SIDE_FRACTIONS, strict=True)}
    result.update({"side_peak_position": float(grid[peak]), "side_peak_height": float(values[peak]), "side_ball_height": float(values[-1])})
    return result


def describe(crop: np.ndarray, view: str) -> np.ndarray:
    """The fixed-length descriptor of one crop of a ``view`` picture, in ``FEATURES`` order (always finite)."""
    traced = trace(crop, view)
    values = {**top_measures(traced.points), **side_measures(traced.points)}
    values.update(
        {
            "trace_contrast": np.log1p(traced.contrast),
            "trace_continuity": traced.continuity,
            "trace_span": traced.span_share,
            "trace_roughness": traced.roughness,
        }
    )
    vector = np.array([values[name] for name in FEATURES], dtype=np.float32)
    return np.nan_to_num(np.clip(vector, -10.0, 10.0), nan=0.0)

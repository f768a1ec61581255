"""Server-side SVG charts, hand-written and pure: no CDN, no JavaScript, no plotting
library. Each chart carries <title> and <desc> (named by aria-labelledby), axis
labels, a legend, and per-mark <title> tooltips; colours are Okabe-Ito, which stay
distinct under the common colour-vision deficiencies. A mark may link somewhere
(the inbox filtered to that point)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

# Okabe & Ito (2008), a colour-blind-safe qualitative palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")
OVERLAY = "#000000"  # the comparison line drawn over bars
TONE_COLOURS = {"negative": "#D55E00", "neutral": "#999999", "positive": "#0072B2"}

W, H = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 58
MAX_X_LABELS = 12

Series = tuple[str, Sequence[float | None]]
Scale = Callable[[float], float]  # a value to its y coordinate


def colour(name: str, index: int) -> str:
    return TONE_COLOURS.get(name, PALETTE[index % len(PALETTE)])


def nice_ticks(top: float, low: float = 0.0, count: int = 5) -> list[float]:
    """Round tick values covering [low, top]."""
    span = max(top - low, 1e-9)
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while value < top + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _fmt(value: float) -> str:
    """An axis or tooltip number people read: 12,400, not 12400."""
    if abs(value) >= 1e6:
        return f"{value:.3g}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def _frame(chart_id: str, title: str, desc: str, body: list[str], legend: list[str],
           x_label: str, y_label: str) -> str:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
            f'viewBox="0 0 {W} {H}" width="100%" role="img" '
            f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
            f'font-family="system-ui, sans-serif" font-size="13">'
            f'<title id="{escape(chart_id)}-t">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>')
    axes = (f'<text x="{LEFT + (W - LEFT - RIGHT) / 2}" y="{H - 6}" text-anchor="middle" '
            f'fill="#333">{escape(x_label)}</text>'
            f'<text transform="translate(14 {TOP + (H - TOP - BOTTOM) / 2}) rotate(-90)" '
            f'text-anchor="middle" fill="#333">{escape(y_label)}</text>')
    return head + "".join(body) + axes + "".join(legend) + "</svg>"


def _legend(series: Sequence[Series], overlay: Series | None = None) -> list[str]:
    entries = [(name, colour(name, i)) for i, (name, _) in enumerate(series)]
    entries += [(overlay[0], OVERLAY)] if overlay else []
    out, x = [], LEFT
    for name, fill in entries:
        out.append(f'<g class="legend"><rect x="{x}" y="{H - 30}" width="10" height="10" '
                   f'fill="{fill}"/><text x="{x + 14}" y="{H - 21}" '
                   f'fill="#333">{escape(name)}</text></g>')
        x += 24 + 7 * len(name)
    return out


def _y_axis(ticks: list[float], scale: Scale, percent: bool = False) -> list[str]:
    out = []
    for t in ticks:
        y = scale(t)
        label = f"{t:.0%}" if percent else _fmt(t)
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{"#999" if t == 0 else "#e3e3e3"}"/>'
                   f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                   f'fill="#555">{label}</text>')
    return out


def _x_labels(labels: Sequence[str], centre: Callable[[int], float]) -> list[str]:
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    return [f'<text x="{centre(i):.1f}" y="{H - BOTTOM + 14}" text-anchor="middle" '
            f'fill="#555">{escape(label)}</text>'
            for i, label in enumerate(labels) if i % every == 0]


def _empty(chart_id: str, title: str, x_label: str, y_label: str) -> str:
    note = (f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="#777">'
            "No data in this range</text>")
    return _frame(chart_id, title, "No data in this range.", [note], [], x_label, y_label)


def _overlay(overlay: Series, xs: Sequence[float], scale: Scale, labels: Sequence[str],
             ) -> list[str]:
    """A dashed line over the bars (e.g. the previous period), with titled points."""
    name, vals = overlay
    known = [(x, v, label) for x, v, label in zip(xs, vals, labels, strict=True)
             if v is not None]
    out = [f'<polyline points="{" ".join(f"{x:.1f},{scale(v):.1f}" for x, v, _ in known)}" '
           f'fill="none" stroke="{OVERLAY}" stroke-width="1.5" stroke-dasharray="5 3"/>']
    out += [f'<circle cx="{x:.1f}" cy="{scale(v):.1f}" r="2.5" fill="{OVERLAY}"><title>'
            f"{escape(label)} · {escape(name)}: {_fmt(v)}</title></circle>"
            for x, v, label in known]
    return out


def bars(chart_id: str, title: str, desc: str, labels: Sequence[str], series: list[Series],
         *, x_label: str, y_label: str, links: Sequence[str | None] | None = None,
         part_links: Sequence[Sequence[str | None]] | None = None,
         stacked: bool = True, overlay: Series | None = None) -> str:
    """Vertical bars, one group per label; stacked (parts of a whole) or side by side;
    ``overlay`` draws one more series as a dashed line (a comparison). ``links`` go
    from a whole group, ``part_links`` (per series, per label) from each bar instead."""
    if not labels or not any(v for _, vals in series for v in vals):
        return _empty(chart_id, title, x_label, y_label)
    per_label = [[v or 0 for v in vals] for _, vals in series]
    top = max((sum(col) if stacked else max(col)) for col in zip(*per_label, strict=True))
    if overlay:
        top = max(top, *(v or 0 for v in overlay[1]))
    ticks = nice_ticks(top)
    plot_h, plot_w = H - TOP - BOTTOM, W - LEFT - RIGHT
    scale = lambda v: TOP + plot_h * (1 - v / ticks[-1])  # noqa: E731
    slot = plot_w / len(labels)
    width = slot * 0.8 / (1 if stacked else len(series))
    body = _y_axis(ticks, scale)
    for i, label in enumerate(labels):
        base = 0.0
        link = links[i] if links else None
        marks = []
        for s, (name, _) in enumerate(series):
            value = per_label[s][i]
            x = LEFT + slot * i + slot * 0.1 + (0 if stacked else s * width)
            low, high = (base, base + value) if stacked else (0, value)
            if value:
                rect = (f'<rect x="{x:.1f}" y="{scale(high):.1f}" width="{max(width, 1):.1f}" '
                        f'height="{scale(low) - scale(high):.1f}" fill="{colour(name, s)}">'
                        f"<title>{escape(label)} · {escape(name)}: {_fmt(value)}</title></rect>")
                part = part_links[s][i] if part_links else None
                marks.append(f'<a href="{escape(part)}">{rect}</a>' if part else rect)
            base += value if stacked else 0
        group = "".join(marks)
        body.append(f'<a href="{escape(link)}">{group}</a>' if link and not part_links
                    else group)
    centre = [LEFT + slot * (i + 0.5) for i in range(len(labels))]
    if overlay:
        body += _overlay(overlay, centre, scale, labels)
    body += _x_labels(labels, lambda i: centre[i])
    return _frame(chart_id, title, desc, body, _legend(series, overlay), x_label, y_label)


def lines(chart_id: str, title: str, desc: str, labels: Sequence[str], series: list[Series],
          *, x_label: str, y_label: str, low: float | None = None, high: float | None = None,
          percent: bool = False, links: Sequence[str | None] | None = None) -> str:
    """Lines with a marker per point; gaps where a value is None (no data)."""
    known = [v for _, vals in series for v in vals if v is not None]
    if not labels or not known:
        return _empty(chart_id, title, x_label, y_label)
    lo = min(known) if low is None else low
    hi = max(known) if high is None else high
    ticks = nice_ticks(hi, lo) if hi > lo else [lo, lo + 1]
    plot_h, plot_w = H - TOP - BOTTOM, W - LEFT - RIGHT
    scale = lambda v: TOP + plot_h * (1 - (v - ticks[0]) / (ticks[-1] - ticks[0]))  # noqa: E731
    slot = plot_w / len(labels)
    xs = [LEFT + slot * (i + 0.5) for i in range(len(labels))]
    body = _y_axis(ticks, scale, percent)
    for s, (name, vals) in enumerate(series):
        segments: list[list[str]] = [[]]
        for i, v in enumerate(vals):
            if v is None:
                segments.append([])
            else:
                segments[-1].append(f"{xs[i]:.1f},{scale(v):.1f}")
        for seg in segments:
            if len(seg) > 1:
                body.append(f'<polyline points="{" ".join(seg)}" fill="none" '
                            f'stroke="{colour(name, s)}" stroke-width="2"/>')
        for i, v in enumerate(vals):
            if v is None:
                continue
            shown = f"{v:.1%}" if percent else _fmt(v)
            dot = (f'<circle cx="{xs[i]:.1f}" cy="{scale(v):.1f}" r="3.5" '
                   f'fill="{colour(name, s)}"><title>{escape(labels[i])} · {escape(name)}: '
                   f"{shown}</title></circle>")
            link = links[i] if links else None
            body.append(f'<a href="{escape(link)}">{dot}</a>' if link else dot)
    body += _x_labels(labels, lambda i: xs[i])
    return _frame(chart_id, title, desc, body, _legend(series), x_label, y_label)


ROW_H = 24  # one horizontal bar's row
LABEL_W = 170  # room for a handle on the left of horizontal bars


def hbars(chart_id: str, title: str, desc: str, labels: Sequence[str], values: Sequence[float],
          *, x_label: str, name: str, links: Sequence[str | None] | None = None) -> str:
    """Horizontal bars, one row per label, the label on its left and the value at the
    bar's end: long names (authors' handles) never overlap, however many rows or
    however narrow the screen, since each has a row of its own."""
    if not labels or not any(values):
        return _empty(chart_id, title, x_label, name)
    height = TOP + ROW_H * len(labels) + 40
    ticks = nice_ticks(max(values))
    plot_w = W - LABEL_W - RIGHT - 56  # room for the value after the longest bar
    scale = lambda v: LABEL_W + plot_w * v / ticks[-1]  # noqa: E731
    body = []
    for t in ticks:
        x = scale(t)
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" '
                    f'y2="{TOP + ROW_H * len(labels)}" stroke="#e3e3e3"/>'
                    f'<text x="{x:.1f}" y="{TOP + ROW_H * len(labels) + 14}" '
                    f'text-anchor="middle" fill="#555">{_fmt_count(t)}</text>')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + ROW_H * i
        shown = label if len(label) <= 22 else label[:21] + "…"
        bar = (f'<text x="{LABEL_W - 8}" y="{y + 16}" text-anchor="end" fill="#222">'
               f"{escape(shown)}</text>"
               f'<rect x="{LABEL_W}" y="{y + 4}" width="{max(scale(value) - LABEL_W, 1):.1f}" '
               f'height="{ROW_H - 8}" fill="{PALETTE[0]}"><title>{escape(label)} · '
               f"{escape(name)}: {_fmt_count(value)}</title></rect>"
               f'<text x="{scale(value) + 6:.1f}" y="{y + 16}" fill="#333">'
               f"{_fmt_count(value)}</text>")
        link = links[i] if links else None
        body.append(f'<a href="{escape(link)}">{bar}</a>' if link else bar)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart hbars" '
           f'id="{escape(chart_id)}" viewBox="0 0 {W} {height}" width="100%" role="img" '
           f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
           f'font-family="system-ui, sans-serif" font-size="13">'
           f'<title id="{escape(chart_id)}-t">{escape(title)}</title>'
           f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>'
           + "".join(body)
           + f'<text x="{LABEL_W + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
             f'fill="#333">{escape(x_label)}</text></svg>')
    return svg


def _fmt_count(value: float) -> str:
    """12,400 rather than 12400; 1.2M past a million (an axis has no room for more)."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f}M"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"

"""SVG charts for the summary report, drawn by the project so PDFs need nothing from outside.

Charts are built with ElementTree, so every label is escaped, and each carries a <title> and a
<desc> that says in words what the chart shows. Sizes are fixed: a chart looks the same in
every report. Embed one in a PDF as `<img src="{{ chart_uri }}" alt="...">` with svg_data_uri().
"""

import base64
import math
from datetime import date, timedelta
from itertools import accumulate
from xml.etree import ElementTree as ET

FONT_FAMILY = "Letter Sans, Liberation Sans, Arial, sans-serif"
TEXT_COLOUR = "#0b0c0c"
SECONDARY_COLOUR = "#505a5f"
LINE_COLOUR = "#1d70b8"
GRID_COLOUR = "#b1b4b6"
WIDTH = 600  # CSS pixels: fits an A4 page's text width


def svg_data_uri(svg: str) -> str:
    """A data: URI for an SVG image, which the PDF's URL fetcher accepts as an image."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def replies_over_time_svg(
    points: list[tuple[date, int]], *, due_on: date | None = None, expected: int | None = None
) -> str:
    """A step chart of replies received so far, by date.

    `points` are (date, replies received that day), in any order; the chart adds them up.
    `due_on` draws the reply-by date as a dashed line; `expected` (e.g. the number of letters)
    sets the top of the scale, so a chart of a round half answered looks half full.
    """
    height = 300
    left, right, top, bottom = 56, 24, 28, 52
    plot_width, plot_height = WIDTH - left - right, height - top - bottom

    per_day: dict[date, int] = {}
    for day, count in points:
        per_day[day] = per_day.get(day, 0) + count
    days = sorted(per_day)
    totals = list(accumulate(per_day[day] for day in days))
    received = totals[-1] if totals else 0

    summary = (
        f"{_plural(received, 'reply', 'replies')} received"
        + (f" by {_long_date(days[-1])}." if days else ".")
        + (f" {expected} expected." if expected else "")
    )
    if due_on:
        by_due = max(
            (total for day, total in zip(days, totals, strict=True) if day <= due_on), default=0
        )
        summary += f" {_plural(by_due, 'reply', 'replies')} by the due date, {_long_date(due_on)}."
    svg = _svg_root("replies-chart", height, "Replies received over time", summary)

    span = [*days, *([due_on] if due_on else [])]
    first, last = (min(span), max(span)) if span else (None, None)
    if first == last and first is not None:
        last = first + timedelta(days=1)
    top_value = max(expected or 0, received, 1)

    def x(day: date) -> float:
        return left + plot_width * (day - first).days / (last - first).days

    def y(value: int) -> float:
        return top + plot_height * (1 - value / top_value)

    # Scale: horizontal grid lines at round numbers, labelled on the left.
    step = _nice_step(top_value)
    for value in range(0, top_value + 1, step):
        _line(svg, left, y(value), left + plot_width, y(value), GRID_COLOUR)
        _text(svg, left - 8, y(value) + 4, str(value), anchor="end")
    middle = top + plot_height / 2
    _text(svg, 14, middle, "Replies", anchor="middle", transform=f"rotate(-90 14 {middle})")
    _line(svg, left, top + plot_height, left + plot_width, top + plot_height, TEXT_COLOUR)

    # Dates along the bottom: up to six ticks, the first and last always.
    if first is not None:
        total_days = (last - first).days
        tick_count = min(5, total_days)
        ticks = sorted(
            {
                first + timedelta(days=round(total_days * i / tick_count))
                for i in range(tick_count + 1)
            }
        )
        for day in ticks:
            _line(svg, x(day), top + plot_height, x(day), top + plot_height + 5, TEXT_COLOUR)
            _text(svg, x(day), top + plot_height + 20, f"{day.day} {day:%b}", anchor="middle")
        years = "–".join(str(year) for year in sorted({first.year, last.year}))
        _text(
            svg,
            left + plot_width / 2,
            height - 8,
            f"Date ({years})",
            anchor="middle",
            fill=SECONDARY_COLOUR,
        )

    if due_on:
        _line(svg, x(due_on), top, x(due_on), top + plot_height, TEXT_COLOUR, dash="5 4")
        # Keep the label inside the chart when the due date is at either end.
        due_x = x(due_on)
        anchor = "end" if due_x > WIDTH - 40 else "start" if due_x < left + 40 else "middle"
        _text(svg, due_x, top - 8, f"Due {due_on.day} {due_on:%b}", anchor=anchor)

    if days:
        path = [f"M{x(days[0]):.1f},{y(0):.1f}"]
        for day, total in zip(days, totals, strict=True):
            path.append(f"H{x(day):.1f}V{y(total):.1f}")
        ET.SubElement(
            svg, "path", d="".join(path), fill="none", stroke=LINE_COLOUR, **{"stroke-width": "2.5"}
        )
        for day, total in zip(days, totals, strict=True):
            ET.SubElement(
                svg, "circle", cx=f"{x(day):.1f}", cy=f"{y(total):.1f}", r="3", fill=LINE_COLOUR
            )
        _text(svg, x(days[-1]) - 6, y(received) - 8, str(received), anchor="end", weight="bold")
    else:
        _text(
            svg,
            left + plot_width / 2,
            top + plot_height / 2,
            "No replies yet",
            anchor="middle",
            fill=SECONDARY_COLOUR,
        )
    return _serialise(svg)


# How each judgement is drawn: a fill, a pattern over it, and the colour of its number,
# so the three differ by more than colour alone.
JUDGEMENTS = (
    ("Addressed", "#1d70b8", None, "#ffffff"),
    ("Partly addressed", "#d2e2f1", "hatch", TEXT_COLOUR),
    ("Not addressed", "#f3f2f1", "dots", TEXT_COLOUR),
)


def theme_coverage_svg(rows: list[tuple[str, int, int, int]]) -> str:
    """Horizontal stacked bars, one per theme: replies that addressed it, partly, or not.

    `rows` are (theme name, addressed, partly, not addressed). Every bar is drawn to the same
    scale, and its three numbers are written beside it as well as inside wide segments.
    """
    legend_height, row_height = 44, 34
    label_width, bar_left, bar_width = 196, 204, 300
    height = legend_height + row_height * max(len(rows), 1) + 8
    summary = (
        " ".join(
            f"{name}: {done} addressed, {partly} partly addressed, {undone} not addressed."
            for name, done, partly, undone in rows
        )
        or "No replies coded yet."
    )
    svg = _svg_root("coverage-chart", height, "How replies addressed each theme", summary)

    defs = ET.SubElement(svg, "defs")
    hatch = ET.SubElement(
        defs, "pattern", id="coverage-hatch", width="6", height="6", patternUnits="userSpaceOnUse"
    )
    ET.SubElement(hatch, "rect", width="6", height="6", fill=JUDGEMENTS[1][1])
    ET.SubElement(
        hatch,
        "path",
        d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2",
        stroke="#5694ca",
        **{"stroke-width": "1"},
    )
    dots = ET.SubElement(
        defs, "pattern", id="coverage-dots", width="6", height="6", patternUnits="userSpaceOnUse"
    )
    ET.SubElement(dots, "rect", width="6", height="6", fill=JUDGEMENTS[2][1])
    ET.SubElement(dots, "circle", cx="3", cy="3", r="1", fill=SECONDARY_COLOUR)

    def fill(kind_fill: str, pattern: str | None) -> str:
        return f"url(#coverage-{pattern})" if pattern else kind_fill

    # Legend, in the order of the segments and of the numbers beside each bar.
    legend_x = 0.0
    for label, kind_fill, pattern, _ in JUDGEMENTS:
        ET.SubElement(
            svg,
            "rect",
            x=f"{legend_x:.0f}",
            y="6",
            width="16",
            height="16",
            fill=fill(kind_fill, pattern),
            stroke=TEXT_COLOUR,
            **{"stroke-width": "0.5"},
        )
        _text(svg, legend_x + 22, 19, label)
        legend_x += 32 + 7 * len(label)
    _text(svg, WIDTH, 19, "addressed / partly / not", anchor="end", fill=SECONDARY_COLOUR)

    # Themes nobody has coded yet have all-zero rows: keep the scale finite.
    scale = bar_width / (max((sum(counts) for _, *counts in rows), default=0) or 1)
    for index, (name, *counts) in enumerate(rows):
        row_top = legend_height + index * row_height
        group = ET.SubElement(svg, "g")
        ET.SubElement(
            group, "title"
        ).text = f"{name}: {counts[0]} addressed, {counts[1]} partly, {counts[2]} not addressed"
        _text(group, label_width, row_top + 19, _shorten(name, 30), anchor="end")
        segment_x = float(bar_left)
        for count, (_, kind_fill, pattern, number_colour) in zip(counts, JUDGEMENTS, strict=True):
            width = count * scale
            if width:
                ET.SubElement(
                    group,
                    "rect",
                    x=f"{segment_x:.1f}",
                    y=f"{row_top + 4}",
                    width=f"{width:.1f}",
                    height="22",
                    fill=fill(kind_fill, pattern),
                    stroke=TEXT_COLOUR,
                    **{"stroke-width": "0.5"},
                )
            if width >= 22:
                _text(
                    group,
                    segment_x + width / 2,
                    row_top + 19,
                    str(count),
                    anchor="middle",
                    fill=number_colour,
                    weight="bold",
                )
            segment_x += width
        _text(group, WIDTH, row_top + 19, " / ".join(map(str, counts)), anchor="end")
    if not rows:
        _text(
            svg,
            WIDTH / 2,
            legend_height + 20,
            "No replies coded yet",
            anchor="middle",
            fill=SECONDARY_COLOUR,
        )
    return _serialise(svg)


FIGURE_MEASURES = (
    "Recorded crimes",
    "Suspects charged",
    "Defendants prosecuted",
    "Defendants convicted",
)
PART_YEAR_FILL = "#d2e2f1"


def prosecution_figures_svg(rows: list[tuple[str, list[int], bool]]) -> str:
    """Four small bar charts, one per count of FIGURE_MEASURES, with a bar per year.

    `rows` are (year, the four counts in FIGURE_MEASURES order, part year?), oldest first. Each
    measure has its own scale, from zero, so the three outcomes are not flattened by recorded
    crimes. Part-year bars are hatched and their year marked with an asterisk, so they are not
    read as whole years; every bar has its number above it.
    """
    legend_height, panel_height = 36, 110
    left, right = 8, 8
    height = legend_height + panel_height * len(FIGURE_MEASURES)
    plot_width = WIDTH - left - right

    def described(year: str, count: int, part_year: bool) -> str:
        return f"{year} {count:,}" + (" (part year)" if part_year else "")

    summary = (
        " ".join(
            f"{measure}: "
            + "; ".join(
                described(year, counts[index], part_year) for year, counts, part_year in rows
            )
            + "."
            for index, measure in enumerate(FIGURE_MEASURES)
        )
        + " Each measure has its own scale, from zero."
        if rows
        else "No figures yet."
    )
    svg = _svg_root("figures-chart", height, "Prosecution figures by year", summary)

    defs = ET.SubElement(svg, "defs")
    hatch = ET.SubElement(
        defs, "pattern", id="figures-hatch", width="6", height="6", patternUnits="userSpaceOnUse"
    )
    ET.SubElement(hatch, "rect", width="6", height="6", fill=PART_YEAR_FILL)
    ET.SubElement(
        hatch,
        "path",
        d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2",
        stroke=LINE_COLOUR,
        **{"stroke-width": "1"},
    )

    # Legend: a whole year is a solid bar; a part year is hatched and its year starred.
    for x, fill, label in (
        (left, LINE_COLOUR, "Whole year"),
        (left + 130, "url(#figures-hatch)", "* Part year: not comparable with whole years"),
    ):
        ET.SubElement(
            svg,
            "rect",
            x=str(x),
            y="8",
            width="16",
            height="16",
            fill=fill,
            stroke=TEXT_COLOUR,
            **{"stroke-width": "0.5"},
        )
        _text(svg, x + 22, 21, label)

    if not rows:
        _text(
            svg,
            WIDTH / 2,
            legend_height + 40,
            "No figures yet",
            anchor="middle",
            fill=SECONDARY_COLOUR,
        )
        return _serialise(svg)

    slot = plot_width / len(rows)
    bar_width = min(48.0, slot * 0.6)
    for index, measure in enumerate(FIGURE_MEASURES):
        panel_top = legend_height + index * panel_height
        baseline, tallest = panel_top + 84, 52
        _text(svg, left, panel_top + 14, measure, weight="bold")
        _line(svg, left, baseline, left + plot_width, baseline, TEXT_COLOUR)
        top_value = max(max(counts[index] for _, counts, _ in rows), 1)
        for position, (year, counts, part_year) in enumerate(rows):
            count = counts[index]
            centre = left + slot * (position + 0.5)
            bar_height = tallest * count / top_value
            group = ET.SubElement(svg, "g")
            ET.SubElement(group, "title").text = f"{measure}, " + described(year, count, part_year)
            if bar_height:
                ET.SubElement(
                    group,
                    "rect",
                    x=f"{centre - bar_width / 2:.1f}",
                    y=f"{baseline - bar_height:.1f}",
                    width=f"{bar_width:.1f}",
                    height=f"{bar_height:.1f}",
                    fill="url(#figures-hatch)" if part_year else LINE_COLOUR,
                    stroke=TEXT_COLOUR,
                    **{"stroke-width": "0.5"},
                )
            _text(group, centre, baseline - bar_height - 4, f"{count:,}", anchor="middle")
            _text(
                group,
                centre,
                baseline + 16,
                f"{year}*" if part_year else year,
                anchor="middle",
                fill=SECONDARY_COLOUR,
            )
    return _serialise(svg)


def _svg_root(chart_id: str, height: int, title: str, description: str) -> ET.Element:
    svg = ET.Element(
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        width=str(WIDTH),
        height=str(height),
        viewBox=f"0 0 {WIDTH} {height}",
        role="img",
        **{
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "font-family": FONT_FAMILY,
            "font-size": "12",
        },
    )
    ET.SubElement(svg, "title", id=f"{chart_id}-title").text = title
    ET.SubElement(svg, "desc", id=f"{chart_id}-desc").text = description
    return svg


def _text(
    parent: ET.Element,
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    fill: str = TEXT_COLOUR,
    weight: str | None = None,
    transform: str | None = None,
):
    attributes = {"x": f"{x:.1f}", "y": f"{y:.1f}", "fill": fill, "text-anchor": anchor}
    if weight:
        attributes["font-weight"] = weight
    if transform:
        attributes["transform"] = transform
    ET.SubElement(parent, "text", attributes).text = content


def _line(
    parent: ET.Element,
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    colour: str,
    *,
    dash: str | None = None,
):
    attributes = {
        "x1": f"{x1:.1f}",
        "y1": f"{y1:.1f}",
        "x2": f"{x2:.1f}",
        "y2": f"{y2:.1f}",
        "stroke": colour,
        "stroke-width": "1",
    }
    if dash:
        attributes["stroke-dasharray"] = dash
    ET.SubElement(parent, "line", attributes)


def _serialise(svg: ET.Element) -> str:
    return ET.tostring(svg, encoding="unicode")


def _nice_step(top_value: int) -> int:
    """A round step giving at most about five grid lines: 1, 2, 5, 10, 20, 50..."""
    rough = top_value / 5
    magnitude = 10 ** max(math.floor(math.log10(rough)), 0) if rough >= 1 else 1
    return next(magnitude * factor for factor in (1, 2, 5, 10) if magnitude * factor >= rough)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"

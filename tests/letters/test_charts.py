import io
from datetime import date
from xml.etree import ElementTree as ET

import weasyprint
from pypdf import PdfReader

from letters.charts import (
    prosecution_figures_svg,
    replies_over_time_svg,
    svg_data_uri,
    theme_coverage_svg,
)
from letters.pdf import ProjectURLFetcher

SVG = "{http://www.w3.org/2000/svg}"
THEMES = [
    ("Structures and co-ordination", 20, 12, 11),
    ("Ancillary orders", 30, 1, 12),
    ("Training & guidance <MSPTU>", 43, 0, 0),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - the project's own SVG, made in the test


def texts(svg: str) -> list[str]:
    return [node.text for node in parse(svg).iter(f"{SVG}text")]


def description(svg: str) -> str:
    return parse(svg).find(f"{SVG}desc").text


def test_replies_over_time_adds_up_each_days_replies():
    svg = replies_over_time_svg(
        [
            (date(2019, 11, 8), 20),
            (date(2019, 10, 21), 5),
            (date(2019, 11, 1), 10),
            (date(2019, 10, 21), 2),
        ],
        expected=43,
    )

    root = parse(svg)
    assert len(root.findall(f"{SVG}circle")) == 3  # one point per day, duplicates merged
    assert "37" in texts(svg)  # the running total at the last point
    assert description(svg) == "37 replies received by 8 November 2019. 43 expected."
    assert {"0", "10", "20", "30", "40"} <= set(texts(svg))  # the scale reaches the 43 expected


def test_replies_over_time_marks_the_due_date_and_counts_replies_by_then():
    svg = replies_over_time_svg(
        [(date(2019, 11, 1), 10), (date(2019, 11, 8), 4), (date(2019, 11, 20), 9)],
        due_on=date(2019, 11, 8),
    )

    root = parse(svg)
    assert "Due 8 Nov" in texts(svg)
    assert any(line.get("stroke-dasharray") for line in root.iter(f"{SVG}line"))
    assert description(svg).endswith("14 replies by the due date, 8 November 2019.")


def test_replies_over_time_with_no_replies_says_so():
    svg = replies_over_time_svg([])

    assert "No replies yet" in texts(svg)
    assert description(svg) == "0 replies received."


def test_theme_coverage_writes_every_number_and_a_legend():
    svg = theme_coverage_svg(THEMES)

    labels = texts(svg)
    assert {"Addressed", "Partly addressed", "Not addressed"} <= set(labels)
    assert [t for t in labels if " / " in t] == [
        "addressed / partly / not",
        "20 / 12 / 11",
        "30 / 1 / 12",
        "43 / 0 / 0",
    ]
    # A segment too narrow for its number ("1 partly") still has it beside the bar.
    assert "1" not in labels
    assert description(svg).startswith(
        "Structures and co-ordination: 20 addressed, 12 partly addressed, 11 not addressed."
    )


def test_theme_coverage_tells_judgements_apart_by_pattern_as_well_as_colour():
    root = parse(theme_coverage_svg(THEMES))

    fills = {
        rect.get("fill") for group in root.iter(f"{SVG}g") for rect in group.iter(f"{SVG}rect")
    }
    assert {"url(#coverage-hatch)", "url(#coverage-dots)"} <= fills
    # Zero counts draw no empty segment: the third theme has a single bar segment.
    assert len(list(list(root.iter(f"{SVG}g"))[2].iter(f"{SVG}rect"))) == 1


def test_chart_labels_are_escaped_text_never_markup():
    svg = theme_coverage_svg([("<script>alert(1)</script> & co", 1, 2, 3)])

    assert "<script>" not in svg
    root = parse(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert "<script>alert(1)</script> & co" in texts(svg)


def test_charts_have_fixed_sizes_and_an_accessible_name():
    few, many = theme_coverage_svg(THEMES[:1]), theme_coverage_svg(THEMES * 3)
    for svg in (few, many, replies_over_time_svg([(date(2019, 11, 1), 1)])):
        root = parse(svg)
        assert root.get("width") == "600"
        assert root.get("role") == "img"
        assert root.find(f"{SVG}title").text
        assert root.get("aria-labelledby").split() == [
            root.find(f"{SVG}title").get("id"),
            root.find(f"{SVG}desc").get("id"),
        ]
    assert int(parse(many).get("height")) > int(parse(few).get("height"))
    other_three = theme_coverage_svg([("A much longer theme name than any other", 1, 1, 1)] * 3)
    assert parse(other_three).get("height") == parse(theme_coverage_svg(THEMES)).get("height")


def test_charts_render_in_a_pdf_as_data_uri_images():
    html = (
        f'<p>Report</p><img src="{svg_data_uri(theme_coverage_svg(THEMES))}" alt="Themes">'
        f'<img src="{svg_data_uri(replies_over_time_svg([(date(2019, 11, 1), 7)]))}" alt="Replies">'
    )

    pdf = weasyprint.HTML(string=html, url_fetcher=ProjectURLFetcher()).write_pdf()

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Structures and co-ordination" in text
    assert "Training & guidance <MSPTU>" in text
    assert "Partly addressed" in text
    assert "No replies yet" not in text and "1 Nov" in text


SEED_FIGURES = [("2018", [3723, 172, 294, 191], False), ("2019", [5019, 226, 349, 251], True)]


def test_prosecution_figures_write_every_count_and_star_part_years():
    svg = prosecution_figures_svg(SEED_FIGURES)

    labels = texts(svg)
    assert {"3,723", "172", "294", "191", "5,019", "226", "349", "251"} <= set(labels)
    assert labels.count("2018") == 4 and labels.count("2019*") == 4  # one per measure
    assert description(svg).startswith(
        "Recorded crimes: 2018 3,723; 2019 5,019 (part year). Suspects charged: 2018 172;"
    )


def test_part_year_bars_differ_by_pattern_as_well_as_colour():
    root = parse(prosecution_figures_svg(SEED_FIGURES))

    bars = [
        (group.find(f"{SVG}title").text, group.find(f"{SVG}rect").get("fill"))
        for group in root.iter(f"{SVG}g")
    ]
    assert ("Suspects charged, 2019 226 (part year)", "url(#figures-hatch)") in bars
    assert ("Suspects charged, 2018 172", "#1d70b8") in bars
    assert "* Part year: not comparable with whole years" in texts(ET.tostring(root, "unicode"))


def test_each_measure_has_its_own_scale_and_the_chart_a_fixed_size():
    root = parse(prosecution_figures_svg(SEED_FIGURES))

    heights = {
        group.find(f"{SVG}title").text: float(group.find(f"{SVG}rect").get("height"))
        for group in root.iter(f"{SVG}g")
    }
    # The largest count of each measure fills its panel, whatever its size.
    assert (
        heights["Recorded crimes, 2019 5,019 (part year)"]
        == heights["Defendants convicted, 2019 251 (part year)"]
    )
    assert heights["Suspects charged, 2018 172"] < heights["Suspects charged, 2019 226 (part year)"]
    ten_years = [(str(year), [100, 10, 10, 10], False) for year in range(2010, 2020)]
    assert parse(prosecution_figures_svg(ten_years)).get("height") == root.get("height")


def test_prosecution_figures_with_no_years_say_so():
    svg = prosecution_figures_svg([])

    assert "No figures yet" in texts(svg)
    assert description(svg) == "No figures yet."

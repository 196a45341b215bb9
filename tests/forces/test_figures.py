"""Prosecution figures: the seed's national table, rates, fair comparisons, entry and correction."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from forces.models import Force, ProsecutionFigures
from forces.selectors import figures_table
from forces.services import prosecution_figures_correct, prosecution_figures_create

pytestmark = pytest.mark.django_db

SOURCE = "Letter to the Minister of State for Crime Policing and the Fire Service 10 February 2020"
PART_YEAR_NOTE = "Recorded crimes are for January to September 2019 only"


def add_year(year, counts, by, *, force=None, part_year=False, note="", start=None, end=None):
    return prosecution_figures_create(
        force=force,
        year=year,
        period_start=start or date(year, 1, 1),
        period_end=end or date(year, 12, 31),
        recorded_crimes=counts[0],
        suspects_charged=counts[1],
        defendants_prosecuted=counts[2],
        defendants_convicted=counts[3],
        part_year=part_year,
        note=note,
        source=SOURCE,
        by=by,
    )


@pytest.fixture
def seed_figures(secretariat_user):
    """The table in the seed letter: 2018 whole, 2019 with nine months of recorded crimes."""
    return [
        add_year(2018, (3723, 172, 294, 191), secretariat_user),
        add_year(
            2019, (5019, 226, 349, 251), secretariat_user, part_year=True, note=PART_YEAR_NOTE
        ),
    ]


def rates(row):
    return {measure.name: measure.rate for measure in row.measures}


def test_rates_are_per_recorded_crime_as_in_the_seed(seed_figures):
    table = figures_table()

    assert rates(table.years[0]) == {
        "recorded_crimes": None,
        "suspects_charged": Decimal("4.6"),  # 172 / 3723
        "defendants_prosecuted": Decimal("7.9"),  # 294 / 3723
        "defendants_convicted": Decimal("5.1"),  # 191 / 3723
    }


def test_part_year_figures_get_no_rates_and_are_never_compared(seed_figures, secretariat_user):
    add_year(2020, (5100, 230, 350, 260), secretariat_user)

    table = figures_table()
    year_2019, year_2020 = table.years[1], table.years[2]

    assert set(rates(year_2019).values()) == {None}
    assert [m.change for m in year_2019.measures] == [None] * 4
    assert year_2019.not_compared == "Not compared: part-year figures"
    assert year_2019.footnote == 1 and table.part_years == [year_2019]
    # A whole year after a part year is not compared with it either.
    assert [m.change for m in year_2020.measures] == [None] * 4
    assert year_2020.not_compared == "Not compared: 2019 figures are part-year"
    assert rates(year_2020)["suspects_charged"] == Decimal("4.5")


def test_whole_years_show_their_change_on_the_year_before(secretariat_user):
    add_year(2017, (2000, 200, 300, 200), secretariat_user)
    add_year(2018, (3723, 172, 294, 191), secretariat_user)

    year_2017, year_2018 = figures_table().years

    assert year_2017.not_compared == "No figures for 2016"
    assert year_2018.compared_with == 2017
    assert [m.change.text for m in year_2018.measures] == [
        "+1,723 (+86.2%)",
        "\u221228 (\u221214.0%)",
        "\u22126 (\u22122.0%)",
        "\u22129 (\u22124.5%)",
    ]


def test_a_period_shorter_than_a_year_has_rates_but_is_not_compared(secretariat_user):
    add_year(2018, (3723, 172, 294, 191), secretariat_user)
    add_year(2019, (3000, 150, 200, 100), secretariat_user, end=date(2019, 9, 30))

    year_2019 = figures_table().years[1]

    assert rates(year_2019)["suspects_charged"] == Decimal("5.0")
    assert year_2019.compared_with is None
    assert year_2019.not_compared == "Not compared: covers less than a year"


def test_the_figures_page_shows_the_seed_table_with_its_note_and_a_chart(
    commissioner_client, seed_figures
):
    page = commissioner_client.get(reverse("forces:figures")).content.decode()

    assert "3,723" in page and "5,019" in page and "4.6%" in page
    assert f"2019, part year: {PART_YEAR_NOTE}" in page
    assert "Not compared: part-year figures" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert SOURCE in page
    assert reverse("forces:figures_add") not in page  # only the secretariat enters figures


def test_the_secretariat_enters_figures_with_their_source(secretariat_client, secretariat_user):
    response = secretariat_client.post(
        reverse("forces:figures_add"),
        {
            "force": "",
            "year": "2018",
            "period_start_0": "1",
            "period_start_1": "1",
            "period_start_2": "2018",
            "period_end_0": "31",
            "period_end_1": "12",
            "period_end_2": "2018",
            "recorded_crimes": "3723",
            "suspects_charged": "172",
            "defendants_prosecuted": "294",
            "defendants_convicted": "191",
            "note": "",
            "source": SOURCE,
        },
    )

    assert response.status_code == 302 and response["Location"] == reverse("forces:figures")
    figures = ProsecutionFigures.objects.get()
    assert (figures.force, figures.year, figures.suspects_charged) == (None, 2018, 172)
    assert figures.updated_by == secretariat_user
    assert figures.history.get().history_user == secretariat_user


def test_the_commissioner_cannot_enter_or_correct_figures(commissioner_client, seed_figures):
    assert commissioner_client.post(reverse("forces:figures_add"), {}).status_code == 403
    url = reverse("forces:figures_edit", args=[seed_figures[0].pk])
    assert commissioner_client.post(url, {"suspects_charged": 1}).status_code == 403
    assert ProsecutionFigures.objects.get(year=2018).suspects_charged == 172


def form_data(**changes):
    data = {
        "force": "",
        "year": "2019",
        "period_start_0": "1",
        "period_start_1": "1",
        "period_start_2": "2019",
        "period_end_0": "31",
        "period_end_1": "12",
        "period_end_2": "2019",
        "recorded_crimes": "5019",
        "suspects_charged": "226",
        "defendants_prosecuted": "349",
        "defendants_convicted": "251",
        "part_year": "on",
        "note": PART_YEAR_NOTE,
        "source": SOURCE,
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"period_end_2": "2018"}, "The end of the period must be on or after its start"),
        ({"note": ""}, "Say which counts cover only part of the year"),
        ({"suspects_charged": "-3"}, "Suspects charged cannot be less than 0"),
        ({"defendants_convicted": "many"}, "Defendants convicted must be a whole number"),
        ({"period_start_1": "13"}, "Start of the period must be a real date"),
        ({"source": ""}, "Enter where the figures come from"),
        (
            {"period_start_2": "2020", "period_end_2": "2020"},
            "The period must include part of 2019",
        ),
    ],
)
def test_wrong_figures_are_refused_in_place_keeping_what_was_typed(
    secretariat_client, changes, message
):
    response = secretariat_client.post(reverse("forces:figures_add"), form_data(**changes))

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert 'value="5019"' in page and PART_YEAR_NOTE in page
    assert not ProsecutionFigures.objects.exists()


def test_a_second_row_for_the_same_year_is_refused(secretariat_client, seed_figures):
    response = secretariat_client.post(reverse("forces:figures_add"), form_data())

    assert "There are already national figures for 2019: correct those" in (
        response.content.decode()
    )
    assert ProsecutionFigures.objects.count() == 2


def test_a_correction_keeps_the_earlier_figures_with_who_when_and_why(
    secretariat_client, secretariat_user, seed_figures
):
    url = reverse("forces:figures_edit", args=[seed_figures[1].pk])
    form = secretariat_client.get(url).content.decode()
    assert 'value="5019"' in form and 'name="reason"' in form

    response = secretariat_client.post(
        url, form_data(defendants_convicted="255", reason="Revised in the CPS annual report")
    )

    assert response.status_code == 302
    figures = ProsecutionFigures.objects.get(year=2019)
    assert figures.defendants_convicted == 255
    latest, original = figures.history.order_by("-history_date")
    assert original.defendants_convicted == 251
    assert latest.history_change_reason == "Revised in the CPS annual report"
    assert latest.history_user == secretariat_user
    page = secretariat_client.get(url).content.decode()
    assert "Defendants convicted: 251 → 255" in page
    assert "Revised in the CPS annual report" in page


def test_a_correction_must_change_something_and_say_why(secretariat_user, seed_figures):
    with pytest.raises(ValidationError, match="Nothing has changed"):
        prosecution_figures_correct(
            figures=seed_figures[0], reason="Checked", by=secretariat_user, suspects_charged=172
        )
    with pytest.raises(ValidationError) as refused:
        prosecution_figures_correct(
            figures=seed_figures[0], reason=" ", by=secretariat_user, suspects_charged=173
        )
    assert "reason" in refused.value.message_dict
    assert seed_figures[0].history.count() == 1


def test_a_forces_figures_show_on_its_page_only(
    commissioner_client, secretariat_user, seed_figures
):
    kent = Force.objects.get(code="kent")
    add_year(2018, (120, 6, 9, 4), secretariat_user, force=kent)

    kent_page = commissioner_client.get(reverse("forces:force_detail", args=["kent"]))
    essex_page = commissioner_client.get(reverse("forces:force_detail", args=["essex"]))
    national = commissioner_client.get(reverse("forces:figures")).content.decode()

    assert "Kent Police: modern slavery figures by year" in kent_page.content.decode()
    assert "5.0%" in kent_page.content.decode()  # 6 charged per 120 recorded crimes
    assert [row.figures.force for row in kent_page.context["figures"].years] == [kent]
    assert 'id="figures"' not in essex_page.content.decode()
    assert [row.figures.year for row in figures_table().years] == [2018, 2019]  # national only
    assert f"{reverse('forces:force_detail', args=['kent'])}#figures" in national


def test_figures_text_is_escaped(commissioner_client, secretariat_user):
    add_year(
        2019,
        (1, 1, 1, 1),
        secretariat_user,
        part_year=True,
        note="<script>alert(1)</script>",
    )

    page = commissioner_client.get(reverse("forces:figures")).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

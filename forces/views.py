from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from commissioner.roles import ADMIN, READERS, SECRETARIAT, role_required
from forces.forms import ForceContactForm, ProsecutionFiguresForm
from forces.models import Force, ProsecutionFigures
from forces.selectors import (
    current_head,
    figures_history,
    figures_table,
    forces_with_figures,
    forces_with_heads,
)
from forces.services import (
    FIGURES_FIELDS,
    force_update_contact,
    head_of_force_appoint,
    prosecution_figures_correct,
    prosecution_figures_create,
)
from letters.charts import prosecution_figures_svg, svg_data_uri
from letters.exports import FORCE_STATS_COLUMNS, csv_response, force_stats_table
from letters.models import Letter
from letters.selectors.force_stats import DEFAULT_SORT, SORT_KEYS, all_force_stats, force_stats
from letters.selectors.tracker import letters_with_state


@role_required(*READERS)
def force_list(request):
    return render(request, "forces/force_list.html", {"forces": forces_with_heads()})


@role_required(*READERS)
def force_detail(request, code):
    force = get_object_or_404(Force, code=code)
    letters = (
        letters_with_state(Letter.objects.filter(force=force))
        .prefetch_related("replies__documents")
        .order_by("-issued_on")
    )
    return render(
        request,
        "forces/force_detail.html",
        {
            "force": force,
            "head": current_head(force),
            "letters": letters,
            "figures": figures_table(force=force),
            "stats": force_stats(force=force),
        },
    )


# The all-forces table's columns: heading, ?sort= key, numeric.
FORCE_STATS_HEADINGS = [
    ("Force", "force", False),
    ("Region", "region", False),
    ("Letters received", "letters", True),
    ("Replied on time", "on-time", True),
    ("Replied late", "late", True),
    ("Never replied", "never", True),
    ("Awaiting, not yet due", "awaiting", True),
    ("Median days to reply", "median-days", True),
    ("Reminders needed", "reminders", True),
    ("Themes addressed", "themes", True),
]


@role_required(*READERS)
def force_stats_view(request):
    """Every force's replies across rounds, sortable by any column, and as CSV."""
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort.removeprefix("-") not in SORT_KEYS:
        sort = DEFAULT_SORT
    rows = all_force_stats(sort=sort)
    if request.GET.get("export") == "csv":
        return csv_response("forces-over-time", FORCE_STATS_COLUMNS, force_stats_table(rows))
    return render(
        request,
        "forces/force_stats.html",
        {"rows": rows, "headings": _sortable_headings(sort)},
    )


@role_required(SECRETARIAT, ADMIN)
@require_http_methods(["GET", "POST"])
def force_edit(request, code):
    force = get_object_or_404(Force, code=code)
    head = current_head(force)
    form = ForceContactForm(
        request.POST or None,
        initial={"email": force.email, "address": force.address, "head_name": head.name},
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            force_update_contact(
                force=force, email=form.cleaned_data["email"], address=form.cleaned_data["address"]
            )
            head_of_force_appoint(force=force, name=form.cleaned_data["head_name"])
        messages.success(request, f"{force} updated.")
        return redirect("forces:force_detail", code=code)
    return render(request, "forces/force_edit.html", {"force": force, "form": form})


def _figures_page_url(figures: ProsecutionFigures) -> str:
    if figures.force:
        return reverse("forces:force_detail", args=[figures.force.code]) + "#figures"
    return reverse("forces:figures")


def _chart(table) -> str:
    return svg_data_uri(
        prosecution_figures_svg(
            [
                (str(row.figures.year), [m.count for m in row.measures], row.figures.part_year)
                for row in table.years
            ]
        )
    )


@role_required(*READERS)
def figures(request):
    """The national prosecution figures: counts, rates, changes and a chart."""
    table = figures_table()
    return render(
        request,
        "forces/figures.html",
        {
            "table": table,
            "chart_uri": _chart(table) if table else None,
            "forces_with_figures": forces_with_figures(),
        },
    )


@role_required(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def figures_add(request):
    force = Force.objects.filter(code=request.GET.get("force") or None).first()
    form = ProsecutionFiguresForm(request.POST or None, initial={"force": force})
    if request.method == "POST" and form.is_valid():
        try:
            saved = prosecution_figures_create(by=request.user, **form.figures_values())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{saved} figures saved.")
            return redirect(_figures_page_url(saved))
    return render(request, "forces/figures_form.html", {"form": form})


@role_required(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def figures_edit(request, pk):
    figures = get_object_or_404(ProsecutionFigures.objects.select_related("force"), pk=pk)
    form = ProsecutionFiguresForm(
        request.POST or None,
        correcting=True,
        initial={name: getattr(figures, name) for name in FIGURES_FIELDS},
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = prosecution_figures_correct(
                figures=figures,
                reason=form.cleaned_data["reason"],
                by=request.user,
                **form.figures_values(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{saved} figures corrected.")
            return redirect(_figures_page_url(saved))
    return render(
        request,
        "forces/figures_form.html",
        {"form": form, "figures": figures, "history": figures_history(figures)},
    )


def _sortable_headings(sort: str) -> list[dict]:
    """Each column's heading, the sort a click on it asks for, and its aria-sort."""
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    headings = []
    for label, key, numeric in FORCE_STATS_HEADINGS:
        if key == current:
            next_sort = key if descending else f"-{key}"
            aria_sort = "descending" if descending else "ascending"
        else:
            # A first click sorts numbers largest first, and names from A.
            next_sort = f"-{key}" if numeric else key
            aria_sort = "none"
        headings.append(
            {"label": label, "numeric": numeric, "sort": next_sort, "aria_sort": aria_sort}
        )
    return headings

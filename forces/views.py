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
from letters.models import Letter
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
        },
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

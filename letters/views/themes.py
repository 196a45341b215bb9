from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from commissioner.roles import COMMISSIONER, READERS, SECRETARIAT, role_required
from forces.models import Force
from letters.forms import ThemeObservationForm, ThemeSummaryForm
from letters.models import Round, Theme
from letters.selectors.themes import (
    Coverage,
    coverage_matrix,
    theme_across_rounds,
    theme_review_of,
    theme_summary,
)
from letters.services.reviews import (
    theme_observation_save,
    theme_review_mark,
    theme_summary_save,
)


def _round_and_theme(slug: str, theme_code: str) -> tuple[Round, Theme]:
    round_ = get_object_or_404(Round, slug=slug)
    return round_, get_object_or_404(round_.themes, code=theme_code)


def _summary_url(round_: Round, theme: Theme) -> str:
    return reverse("letters:theme_summary", args=[round_.slug, theme.code])


@role_required(*READERS)
def theme_summary_view(request, slug, theme):
    round_, theme = _round_and_theme(slug, theme)
    return render(
        request,
        "letters/theme_summary.html",
        {"summary": theme_summary(round=round_, theme=theme)},
    )


@role_required(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def theme_summary_edit(request, slug, theme):
    round_, theme = _round_and_theme(slug, theme)
    review = theme_review_of(round=round_, theme=theme)
    form = ThemeSummaryForm(request.POST or None, initial={"summary": review.summary})
    if request.method == "POST" and form.is_valid():
        theme_summary_save(
            round=round_, theme=theme, summary=form.cleaned_data["summary"], by=request.user
        )
        messages.success(request, f"Summary of “{theme}” saved.")
        return redirect(_summary_url(round_, theme))
    return render(
        request,
        "letters/theme_review_form.html",
        {"round": round_, "theme": theme, "review": review, "form": form, "editing": "summary"},
    )


@role_required(COMMISSIONER)
@require_http_methods(["GET", "POST"])
def theme_observation_edit(request, slug, theme):
    round_, theme = _round_and_theme(slug, theme)
    review = theme_review_of(round=round_, theme=theme)
    form = ThemeObservationForm(request.POST or None, initial={"observation": review.observation})
    if request.method == "POST" and form.is_valid():
        theme_observation_save(
            round=round_,
            theme=theme,
            observation=form.cleaned_data["observation"],
            by=request.user,
        )
        messages.success(request, f"Your observation on “{theme}” is saved.")
        return redirect(_summary_url(round_, theme))
    return render(
        request,
        "letters/theme_review_form.html",
        {"round": round_, "theme": theme, "review": review, "form": form, "editing": "observation"},
    )


@role_required(COMMISSIONER)
@require_POST
def theme_review_mark_view(request, slug, theme):
    round_, theme = _round_and_theme(slug, theme)
    theme_review_mark(round=round_, theme=theme, by=request.user)
    messages.success(request, f"“{theme}” is marked as reviewed.")
    return redirect(_summary_url(round_, theme))


@role_required(*READERS)
def coverage_matrix_view(request, slug):
    round_ = get_object_or_404(Round, slug=slug)
    regions = list(Force.objects.order_by("region").values_list("region", flat=True).distinct())
    region = request.GET.get("region")
    region = region if region in regions else None
    return render(
        request,
        "letters/coverage_matrix.html",
        {
            "matrix": coverage_matrix(round=round_, region=region),
            "regions": regions,
            "region": region,
        },
    )


@role_required(*READERS)
def theme_across_rounds_view(request, code):
    theme = get_object_or_404(Theme, code=code)
    return render(
        request,
        "letters/theme_across_rounds.html",
        {
            "theme": theme,
            "rounds": theme_across_rounds(theme=theme),
            "coverage_labels": [Coverage.LABELS[state] for state in Coverage.ORDER],
        },
    )

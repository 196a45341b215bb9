from django.shortcuts import render

from commissioner.roles import READERS, role_required
from letters.forms import SearchForm
from letters.selectors.search import full_text_search_available, search


@role_required(*READERS)
def search_view(request):
    """One search box over replies, coded excerpts and letters, with filters and pages."""
    form = SearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = search(
            query=form.cleaned_data["q"], filters=form.filters(), page=request.GET.get("page")
        )
    other_pages = request.GET.copy()
    other_pages.pop("page", None)
    return render(
        request,
        "letters/search.html",
        {
            "form": form,
            "results": results,
            "full_text": full_text_search_available(),
            "page_links": page_links(results.page) if results else [],
            "page_query": other_pages.urlencode(),
        },
    )


def page_links(page) -> list[int | None]:
    """Page numbers to link to around the current one; None where some are left out."""
    if page.paginator.num_pages < 2:
        return []
    numbers = page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    return [None if number == page.paginator.ELLIPSIS else number for number in numbers]

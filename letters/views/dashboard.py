from django.shortcuts import render

from commissioner.roles import READERS, role_required
from forces.selectors import figures_table
from letters.selectors.dashboard import dashboard


@role_required(*READERS)
def dashboard_view(request):
    """The landing page: open rounds, what needs the Commissioner, and the national figures."""
    return render(
        request,
        "letters/dashboard.html",
        {"dashboard": dashboard(), "figures": figures_table()},
    )

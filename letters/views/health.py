from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from commissioner.roles import READERS, has_role
from letters.selectors.health import service_health


@login_not_required
@never_cache
def health(request):
    """For monitors: 200 or 503 to anyone; what was checked only to signed-in staff."""
    report = service_health()
    body = {"status": "ok" if report.healthy else "unhealthy"}
    if has_role(request.user, *READERS):
        body["checks"] = report.checks
    return JsonResponse(body, status=200 if report.healthy else 503)

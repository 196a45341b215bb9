from django.conf import settings
from django.urls import reverse

from .roles import ADMIN, READERS, SECRETARIAT, roles_of

# (label, url name, roles that see it)
NAVIGATION = [
    ("Rounds", "letters:round_list", READERS),
    ("Forces", "forces:force_list", READERS),
    ("Log a reply", "letters:reply_log", (SECRETARIAT,)),
    ("Outbox", "letters:outbox", (SECRETARIAT,)),
    ("Administration", "admin:index", (ADMIN,)),
]


def office(request):
    """The office's name, the signed-in user's roles and the menu they may use."""
    roles = roles_of(request.user) if hasattr(request, "user") else frozenset()
    navigation = []
    for label, url_name, allowed in NAVIGATION:
        if roles & set(allowed):
            url = reverse(url_name)
            navigation.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {"office_name": settings.OFFICE_NAME, "user_roles": roles, "navigation": navigation}

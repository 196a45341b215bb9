from django.conf import settings
from django.urls import reverse

from letters.selectors.health import background_delayed

from .roles import ADMIN, READERS, SECRETARIAT, roles_of

# (label, url name, roles that see it)
NAVIGATION = [
    ("Dashboard", "letters:dashboard", READERS),
    ("Rounds", "letters:round_list", READERS),
    ("Forces", "forces:force_list", READERS),
    ("Figures", "forces:figures", READERS),
    ("Log a reply", "letters:reply_log", (SECRETARIAT,)),
    ("Search", "letters:search", READERS),
    ("Inbox", "letters:inbox", (SECRETARIAT,)),
    ("Outbox", "letters:outbox", (SECRETARIAT,)),
    ("Administration", "admin:index", (ADMIN,)),
]


def _active_url(path: str, urls: list[str]) -> str | None:
    """The menu entry a page belongs to: the longest URL the path starts with.

    The dashboard ("/") is a prefix of every path, so it is active only on itself.
    """
    matches = [url for url in urls if path == url or (url != "/" and path.startswith(url))]
    return max(matches, key=len, default=None)


def office(request):
    """The office's name, the signed-in user's roles and the menu they may use."""
    roles = roles_of(request.user) if hasattr(request, "user") else frozenset()
    entries = [
        (label, reverse(url_name))
        for label, url_name, allowed in NAVIGATION
        if roles & set(allowed)
    ]
    active = _active_url(request.path, [url for _, url in entries])
    navigation = [{"label": label, "url": url, "active": url == active} for label, url in entries]
    return {
        "office_name": settings.OFFICE_NAME,
        "user_roles": roles,
        "navigation": navigation,
        "background_delayed": bool(roles) and background_delayed(),
    }

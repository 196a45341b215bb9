from django.conf import settings

from .roles import roles_of


def office(request):
    """The office's name and the signed-in user's roles, for the page header and menus."""
    return {
        "office_name": settings.OFFICE_NAME,
        "user_roles": roles_of(request.user) if hasattr(request, "user") else frozenset(),
    }

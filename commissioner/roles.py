"""The three roles of the office, held as Django groups (created by a migration)."""

from functools import wraps

from django.core.exceptions import PermissionDenied

SECRETARIAT = "Secretariat"
COMMISSIONER = "Commissioner"
ADMIN = "Admin"
ALL_ROLES = (SECRETARIAT, COMMISSIONER, ADMIN)

# Who may read the office's correspondence (every page that shows letters and replies).
READERS = (SECRETARIAT, COMMISSIONER, ADMIN)


def roles_of(user) -> frozenset[str]:
    """The roles a user holds; a superuser holds them all. Cached on the user object."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if not hasattr(user, "_office_roles"):
        if user.is_superuser:
            user._office_roles = frozenset(ALL_ROLES)
        else:
            names = user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True)
            user._office_roles = frozenset(names)
    return user._office_roles


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def role_required(*roles: str):
    """View decorator: 403 unless the user holds one of `roles` (login is enforced globally)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

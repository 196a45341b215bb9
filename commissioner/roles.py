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


# What the Admin role manages in the Django admin: users, the codebook, the forces and the
# saved addressees of letters on a round's findings.
ADMIN_MANAGES = {
    "auth": ["user", "group"],
    "letters": ["theme", "addressee"],
    "forces": ["force", "forcedomain", "headofforce"],
}


def grant_admin_permissions(**kwargs):
    """After each migrate: give the Admin group every permission on what it manages."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group = Group.objects.filter(name=ADMIN).first()
    if group is None:
        return
    wanted = Q(pk__in=[])
    for app_label, models in ADMIN_MANAGES.items():
        wanted |= Q(content_type__app_label=app_label, content_type__model__in=models)
    group.permissions.add(*Permission.objects.filter(wanted))

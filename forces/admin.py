from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from forces.models import Force, ForceDomain, HeadOfForce, ProsecutionFigures


class ForceDomainInline(admin.TabularInline):
    model = ForceDomain
    extra = 1


class HeadOfForceInline(admin.TabularInline):
    model = HeadOfForce
    extra = 0


@admin.register(Force)
class ForceAdmin(admin.ModelAdmin):
    list_display = ["name", "short_code", "region", "country", "email"]
    list_filter = ["country", "region"]
    search_fields = ["name", "code", "short_code", "email", "domains__domain"]
    inlines = [HeadOfForceInline, ForceDomainInline]


@admin.register(HeadOfForce)
class HeadOfForceAdmin(SimpleHistoryAdmin):
    list_display = ["force", "title", "name", "since", "until"]
    list_filter = ["title", "force__region"]
    search_fields = ["name", "force__name"]
    list_select_related = ["force"]


@admin.register(ProsecutionFigures)
class ProsecutionFiguresAdmin(SimpleHistoryAdmin):
    list_display = [
        "year",
        "force",
        "recorded_crimes",
        "suspects_charged",
        "defendants_prosecuted",
        "defendants_convicted",
        "part_year",
    ]
    list_filter = ["part_year", "year"]
    list_select_related = ["force"]

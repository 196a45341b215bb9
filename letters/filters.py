import django_filters
from django import forms
from django.db.models import Exists, OuterRef

from forces.models import Force
from letters.models import Letter, Reminder, TrackerStatus
from letters.selectors.tracker import FULL_REPLY_STATUSES

# What a letter has had back, by its status: the dashboard's figures link to these.
REPLY_STATUSES = {
    "full": FULL_REPLY_STATUSES,
    "holding": (Letter.Status.HOLDING,),
    "none": (Letter.Status.ISSUED, Letter.Status.ACKNOWLEDGED),
}


def _regions():
    regions = Force.objects.order_by("region").values_list("region", flat=True).distinct()
    return [(region, region) for region in regions]


class TrackerFilter(django_filters.FilterSet):
    region = django_filters.ChoiceFilter(
        field_name="force__region", empty_label="All regions", label="Region"
    )
    status = django_filters.ChoiceFilter(
        field_name="tracker_status",
        choices=TrackerStatus.choices,
        empty_label="All statuses",
        label="Status",
    )
    reply = django_filters.ChoiceFilter(
        choices=[
            ("full", "Full reply"),
            ("holding", "Holding reply only"),
            ("none", "No reply yet"),
        ],
        method="filter_reply",
        empty_label="Any",
        label="Reply received",
    )
    chased = django_filters.ChoiceFilter(
        choices=Reminder.Step.choices,
        method="filter_chased",
        empty_label="Any",
        label="Chased to",
    )
    sort = django_filters.OrderingFilter(
        label="Sort by",
        fields=(
            ("force__name", "force"),
            ("force__region", "region"),
            ("due_on", "due"),
            ("tracker_status", "status"),
            ("replied_on", "replied"),
            ("themes_coded", "themes"),
        ),
        field_labels={
            "force__name": "Force",
            "force__region": "Region",
            "due_on": "Due date",
            "tracker_status": "Status",
            "replied_on": "Date of reply",
            "themes_coded": "Themes coded",
        },
        widget=forms.Select,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["region"].extra["choices"] = _regions()

    def filter_reply(self, queryset, name, value):
        return queryset.filter(status__in=REPLY_STATUSES[value])

    def filter_chased(self, queryset, name, value):
        return queryset.filter(Exists(Reminder.objects.filter(letter=OuterRef("pk"), step=value)))

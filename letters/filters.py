import django_filters
from django import forms

from forces.models import Force
from letters.models import TrackerStatus


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

from django import template
from django.utils.html import format_html

from letters.models import TrackerStatus
from letters.selectors.tracker import days_overdue as letter_days_overdue

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def days_overdue(letter):
    return letter_days_overdue(letter)


TRACKER_TAG_COLOURS = {
    TrackerStatus.REPLIED: "green",
    TrackerStatus.OVERDUE: "red",
    TrackerStatus.EXTENDED: "purple",
    TrackerStatus.HOLDING: "yellow",
    TrackerStatus.AWAITING: "grey",
}


@register.simple_tag
def tracker_status_tag(status: str):
    """A letter's tracker status as a GOV.UK tag: the words always beside the colour."""
    status = TrackerStatus(status)
    return format_html(
        '<strong class="govuk-tag govuk-tag--{}">{}</strong>',
        TRACKER_TAG_COLOURS[status],
        status.label,
    )

from django import template

from letters.selectors.tracker import days_overdue as letter_days_overdue

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def days_overdue(letter):
    return letter_days_overdue(letter)

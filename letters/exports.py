"""The tracker's rows as CSV and XLSX, the same columns as the page."""

import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook

from letters.models import TrackerStatus
from letters.selectors.tracker import days_overdue

TRACKER_COLUMNS = [
    "Force",
    "Region",
    "Addressee",
    "Reference",
    "Issued",
    "Due",
    "Status",
    "Days overdue",
    "Date of reply",
    "Themes coded",
    "Email",
]


def tracker_table(rows, *, theme_count: int) -> list[list]:
    return [
        [
            letter.force.name,
            letter.force.region,
            f"{letter.addressee_title} {letter.addressee_name}".strip(),
            letter.reference,
            letter.issued_on,
            letter.due_on,
            TrackerStatus(letter.tracker_status).label,
            days_overdue(letter),
            letter.replied_on,
            f"{letter.themes_coded} of {theme_count}",
            letter.email or "missing",
        ]
        for letter in rows
    ]


FORCE_STATS_COLUMNS = [
    "Force",
    "Region",
    "Letters received",
    "Replied on time",
    "Replied late",
    "Never replied",
    "Awaiting reply, not yet due",
    "Median days to reply",
    "Reminders needed",
    "Themes addressed",
    "Themes asked",
]


def force_stats_table(rows) -> list[list]:
    return [
        [
            row.force.name,
            row.force.region,
            row.letters,
            row.replied_on_time,
            row.replied_late,
            row.never_replied,
            row.awaiting,
            row.median_days_to_reply,
            row.reminders_needed,
            row.themes_addressed,
            row.themes_asked,
        ]
        for row in rows
    ]


def _safe_cell(value):
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def csv_response(filename: str, columns: list[str], table: list[list]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([[_safe_cell(value) for value in row] for row in table])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(filename: str, columns: list[str], table: list[list]) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = filename[:31]
    sheet.append(columns)
    for row in table:
        sheet.append([_safe_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response

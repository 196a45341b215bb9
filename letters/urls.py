from django.urls import path

from letters.views import (
    dashboard,
    inbound,
    letters,
    ministerial,
    replies,
    rounds,
    search,
    themes,
)

app_name = "letters"
urlpatterns = [
    path("", dashboard.dashboard_view, name="dashboard"),
    path("rounds/", rounds.round_list, name="round_list"),
    path("rounds/new/", rounds.round_create_view, name="round_create"),
    path("rounds/<slug:slug>/", rounds.round_detail, name="round_detail"),
    path("rounds/<slug:slug>/edit/", rounds.round_edit, name="round_edit"),
    path("rounds/<slug:slug>/preview/", rounds.round_preview, name="round_preview"),
    path("rounds/<slug:slug>/issue/", rounds.round_issue_view, name="round_issue"),
    path("rounds/<slug:slug>/themes/", themes.coverage_matrix_view, name="coverage_matrix"),
    path(
        "rounds/<slug:slug>/themes/<slug:theme>/",
        themes.theme_summary_view,
        name="theme_summary",
    ),
    path(
        "rounds/<slug:slug>/themes/<slug:theme>/summary/",
        themes.theme_summary_edit,
        name="theme_summary_edit",
    ),
    path(
        "rounds/<slug:slug>/themes/<slug:theme>/observation/",
        themes.theme_observation_edit,
        name="theme_observation",
    ),
    path(
        "rounds/<slug:slug>/themes/<slug:theme>/reviewed/",
        themes.theme_review_mark_view,
        name="theme_review_mark",
    ),
    path(
        "rounds/<slug:slug>/letters-out/new/",
        ministerial.ministerial_letter_create_view,
        name="ministerial_letter_create",
    ),
    path(
        "rounds/<slug:slug>/letters-out/addressees/new/",
        ministerial.addressee_create_view,
        name="addressee_create",
    ),
    path(
        "letters-out/<int:pk>/",
        ministerial.ministerial_letter_edit,
        name="ministerial_letter_edit",
    ),
    path(
        "letters-out/<int:pk>/preview/",
        ministerial.ministerial_letter_preview,
        name="ministerial_letter_preview",
    ),
    path(
        "letters-out/<int:pk>/issue/",
        ministerial.ministerial_letter_issue_view,
        name="ministerial_letter_issue",
    ),
    path(
        "letters-out/<int:pk>/pdf/",
        ministerial.ministerial_letter_pdf_view,
        name="ministerial_letter_pdf",
    ),
    path("themes/<slug:code>/", themes.theme_across_rounds_view, name="theme_across_rounds"),
    path("letters/<int:pk>/", letters.letter_detail, name="letter_detail"),
    path("letters/<int:pk>/extend/", letters.letter_extend_view, name="letter_extend"),
    path("letters/<int:pk>/pause/", letters.letter_pause_view, name="letter_pause"),
    path("letters/<int:pk>/resume/", letters.letter_resume_view, name="letter_resume"),
    path("replies/new/", replies.reply_log_view, name="reply_log"),
    path("replies/<int:pk>/", replies.reply_detail, name="reply_detail"),
    path("replies/<int:pk>/code/", replies.reply_code_view, name="reply_code"),
    path("documents/<int:pk>/", replies.document_download, name="document_download"),
    path("search/", search.search_view, name="search"),
    path("inbox/", inbound.inbox, name="inbox"),
    path("inbox/<int:pk>/", inbound.inbound_detail, name="inbound_detail"),
    path("inbox/<int:pk>/confirm/", inbound.inbound_confirm_view, name="inbound_confirm"),
    path("inbox/<int:pk>/file/", inbound.inbound_file_view, name="inbound_file"),
    path("inbox/<int:pk>/dismiss/", inbound.inbound_dismiss_view, name="inbound_dismiss"),
    path("inbox/<int:pk>/original/", inbound.inbound_original, name="inbound_original"),
    path(
        "inbox/attachments/<int:pk>/",
        inbound.inbound_attachment_download,
        name="inbound_attachment",
    ),
]

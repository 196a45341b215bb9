from django.urls import path

from letters.views import letters, outbox, replies, reports, rounds

app_name = "letters"
urlpatterns = [
    path("rounds/", rounds.round_list, name="round_list"),
    path("rounds/new/", rounds.round_create_view, name="round_create"),
    path("rounds/<slug:slug>/", rounds.round_detail, name="round_detail"),
    path("rounds/<slug:slug>/edit/", rounds.round_edit, name="round_edit"),
    path("rounds/<slug:slug>/preview/", rounds.round_preview, name="round_preview"),
    path("rounds/<slug:slug>/issue/", rounds.round_issue_view, name="round_issue"),
    path("letters/<int:pk>/", letters.letter_detail, name="letter_detail"),
    path("letters/<int:pk>/extend/", letters.letter_extend_view, name="letter_extend"),
    path("letters/<int:pk>/pause/", letters.letter_pause_view, name="letter_pause"),
    path("letters/<int:pk>/resume/", letters.letter_resume_view, name="letter_resume"),
    path("replies/new/", replies.reply_log_view, name="reply_log"),
    path("replies/<int:pk>/", replies.reply_detail, name="reply_detail"),
    path("replies/<int:pk>/code/", replies.reply_code_view, name="reply_code"),
    path("documents/<int:pk>/", replies.document_download, name="document_download"),
    path("letters/<int:pk>/pdf/", letters.letter_pdf_download, name="letter_pdf"),
    path("letters/<int:pk>/email/", letters.letter_email_view, name="letter_email"),
    path("reminders/<int:pk>/pdf/", letters.reminder_pdf_download, name="reminder_pdf"),
    path("outbox/", outbox.outbox, name="outbox"),
    path("outbox/<int:pk>/resend/", outbox.outbox_resend, name="outbox_resend"),
    path("outbox/<int:pk>/mark-sent/", outbox.outbox_mark_sent, name="outbox_mark_sent"),
    path("rounds/<slug:slug>/report/", reports.report_request_view, name="report_request"),
    path("reports/<int:pk>/status/", reports.report_status, name="report_status"),
    path("reports/<int:pk>/download/", reports.report_download, name="report_download"),
]

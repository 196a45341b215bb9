from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from letters import models


@admin.register(models.Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["active"]
    search_fields = ["name", "question", "keywords"]


@admin.register(models.Round)
class RoundAdmin(SimpleHistoryAdmin):
    list_display = ["title", "reference_prefix", "status", "issued_on", "reply_working_days"]
    list_filter = ["status", "themes"]
    search_fields = ["title", "reference_prefix", "slug"]
    prepopulated_fields = {"slug": ["reference_prefix", "title"]}


class ReplyInline(admin.TabularInline):
    model = models.Reply
    fields = ["kind", "received_on", "channel", "from_name"]
    extra = 0
    show_change_link = True


@admin.register(models.Letter)
class LetterAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "force", "round", "issued_on", "due_on", "status", "chase_paused"]
    list_filter = ["status", "round", "force__region", "chase_paused"]
    search_fields = ["reference", "force__name", "addressee_name"]
    list_select_related = ["force", "round"]
    date_hierarchy = "issued_on"
    inlines = [ReplyInline]


class ReplyDocumentInline(admin.TabularInline):
    model = models.ReplyDocument
    fields = ["original_name", "content_type", "size"]
    readonly_fields = fields
    extra = 0


@admin.register(models.Reply)
class ReplyAdmin(SimpleHistoryAdmin):
    list_display = ["letter", "kind", "received_on", "channel", "from_name", "logged_by"]
    list_filter = ["kind", "channel", "letter__round"]
    search_fields = ["letter__reference", "letter__force__name", "from_name", "summary"]
    list_select_related = ["letter__force", "logged_by"]
    date_hierarchy = "received_on"
    inlines = [ReplyDocumentInline]


@admin.register(models.Extension)
class ExtensionAdmin(SimpleHistoryAdmin):
    list_display = ["letter", "previous_due_on", "new_due_on", "agreed_with", "granted_by"]
    list_filter = ["letter__round"]
    search_fields = ["letter__reference", "reason", "agreed_with"]
    list_select_related = ["letter", "granted_by"]


class ExcerptInline(admin.TabularInline):
    model = models.Excerpt
    extra = 0


@admin.register(models.Coding)
class CodingAdmin(SimpleHistoryAdmin):
    list_display = ["reply", "theme", "judgement", "coded_by", "coded_at"]
    list_filter = ["judgement", "theme", "reply__letter__round"]
    search_fields = ["reply__letter__reference", "note", "excerpts__text"]
    list_select_related = ["reply__letter__force", "theme", "coded_by"]
    inlines = [ExcerptInline]


@admin.register(models.CodingSuggestion)
class CodingSuggestionAdmin(admin.ModelAdmin):
    list_display = ["reply", "theme", "judgement", "score", "decision"]
    list_filter = ["decision", "judgement", "theme"]
    list_select_related = ["reply__letter__force", "theme"]


@admin.register(models.ThemeReview)
class ThemeReviewAdmin(SimpleHistoryAdmin):
    list_display = ["round", "theme", "reviewed_by", "reviewed_at"]
    list_filter = ["round", "theme"]
    list_select_related = ["round", "theme", "reviewed_by"]


class OutboundAttachmentInline(admin.TabularInline):
    model = models.OutboundAttachment
    extra = 0


@admin.register(models.OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "status", "attempts", "queued_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["subject", "to", "idempotency_key", "message_id"]
    readonly_fields = ["idempotency_key", "message_id"]
    inlines = [OutboundAttachmentInline]


@admin.register(models.Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["letter", "step", "chased_due_on", "reply_by", "created_at"]
    list_filter = ["step", "letter__round"]
    list_select_related = ["letter"]


@admin.register(models.Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["round", "kind", "status", "requested_by", "requested_at", "finished_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["round", "requested_by"]


@admin.register(models.JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["name", "started_at", "finished_at", "succeeded"]
    list_filter = ["name", "succeeded"]


class InboundAttachmentInline(admin.TabularInline):
    model = models.InboundAttachment
    fields = ["filename", "declared_type", "detected_type", "size", "problem"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(models.InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "from_address", "sent_at", "kind", "letter", "status"]
    list_filter = ["status", "kind", "match_confidence", "source"]
    search_fields = ["subject", "from_address", "message_id", "letter__reference"]
    list_select_related = ["letter"]
    date_hierarchy = "imported_at"
    readonly_fields = [
        "raw",
        "raw_sha256",
        "message_id",
        "imap_folder",
        "imap_uidvalidity",
        "imap_uid",
    ]
    inlines = [InboundAttachmentInline]


@admin.register(models.MailboxCursor)
class MailboxCursorAdmin(admin.ModelAdmin):
    list_display = ["folder", "uidvalidity", "last_uid", "updated_at"]


@admin.register(models.Addressee)
class AddresseeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "position", "organisation", "salutation"]
    search_fields = ["name", "position", "organisation"]


@admin.register(models.MinisterialLetter)
class MinisterialLetterAdmin(SimpleHistoryAdmin):
    """For reading only: letters are drafted and issued in the product, never edited here."""

    list_display = ["__str__", "round", "addressee_name", "status", "issued_on", "issued_by"]
    list_filter = ["status", "round"]
    search_fields = ["reference", "addressee_name", "subject", "body"]
    list_select_related = ["round", "issued_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.DeferredTask)
class DeferredTaskAdmin(admin.ModelAdmin):
    """Work kept while the task queue was unreachable; beat sends it when the queue is back."""

    list_display = ["name", "args", "created_at", "last_error"]
    readonly_fields = ["name", "args", "created_at", "last_error"]

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from forces.models import Force

User = settings.AUTH_USER_MODEL


class Theme(models.Model):
    """A codebook entry: what the office asks forces about, and how replies are coded."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)
    question = models.TextField(help_text="The question a reply is judged against.")
    keywords = models.TextField(
        blank=True, help_text="Words and phrases that suggest the theme, separated by semicolons."
    )
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.split(";") if word.strip()]


MERGE_FIELDS = {
    "salutation": "the greeting, e.g. Dear Chief Constable",
    "head_title": "Chief Constable or Commissioner",
    "head_name": "the head of force's name",
    "force_name": "the force's name",
    "reference": "the letter's reference",
    "issue_date": "the date of the letter",
    "due_date": "the date a reply is due",
}
MERGE_FIELD_PATTERN = re.compile(r"\{\{\s*([a-zA-Z_]+)\s*\}\}")


class Round(models.Model):
    """One letter sent to many forces, with the rules for chasing and the themes to code."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        CLOSED = "closed", "Closed"

    title = models.CharField("subject", max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    reference_prefix = models.CharField(
        max_length=40,
        unique=True,
        help_text="Start of every letter's reference, e.g. IASC/2019-10.",
    )
    body = models.TextField(
        help_text="The letter's text. Merge fields in double braces, e.g. {{ force_name }}."
    )
    reply_working_days = models.PositiveSmallIntegerField("reply period (working days)", default=20)
    themes = models.ManyToManyField(Theme, related_name="rounds", blank=True)
    first_reminder_days = models.PositiveSmallIntegerField(
        "first reminder (working days after the due date)", default=0
    )
    second_reminder_days = models.PositiveSmallIntegerField(
        "second reminder (working days after the first)", default=10
    )
    escalation_days = models.PositiveSmallIntegerField(
        "escalation (working days after the second reminder)", default=10
    )
    reminder_reply_days = models.PositiveSmallIntegerField(
        "reply period given in a reminder (working days)", default=10
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    issued_on = models.DateField(null=True, blank=True)
    issued_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(m2m_fields=[themes])

    class Meta:
        ordering = ["-issued_on", "-created_at"]

    def __str__(self):
        return self.title

    def clean(self):
        unknown = sorted(
            {name for name in MERGE_FIELD_PATTERN.findall(self.body)} - set(MERGE_FIELDS)
        )
        if unknown:
            raise ValidationError(
                {
                    "body": "Unknown merge field: "
                    + ", ".join(f"{{{{ {name} }}}}" for name in unknown)
                    + ". Use one of: "
                    + ", ".join(MERGE_FIELDS)
                    + "."
                }
            )

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class IllegalStatusChange(Exception):
    """A letter was asked to move to a status its current status does not allow."""


class Letter(models.Model):
    """One letter of a round, to one force, kept as it was addressed and sent."""

    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        HOLDING = "holding", "Holding reply"
        REPLIED = "replied", "Replied"
        CLOSED = "closed", "Closed"

    # The only moves a letter's status may make; Letter.set_status enforces them.
    TRANSITIONS = {
        Status.ISSUED: {Status.ACKNOWLEDGED, Status.HOLDING, Status.REPLIED, Status.CLOSED},
        Status.ACKNOWLEDGED: {Status.HOLDING, Status.REPLIED, Status.CLOSED},
        Status.HOLDING: {Status.REPLIED, Status.CLOSED},
        Status.REPLIED: {Status.CLOSED},
        Status.CLOSED: set(),
    }

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="letters")
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="letters")
    reference = models.CharField(max_length=60, unique=True)
    addressee_title = models.CharField(max_length=40)
    addressee_name = models.CharField(max_length=120, blank=True)
    salutation = models.CharField(max_length=120)
    address = models.TextField()
    email = models.EmailField(blank=True)
    body = models.TextField(help_text="The round's body merged for this force.")
    issued_on = models.DateField()
    original_due_on = models.DateField()
    due_on = models.DateField(help_text="After any extension.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ISSUED)
    pdf = models.FileField(upload_to="letters/", blank=True)
    chase_paused = models.BooleanField(default=False)
    chase_pause_reason = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["force__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "force"], name="one_letter_per_force_per_round"
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("issued_on")), name="letter_due_after_issue"
            ),
            models.CheckConstraint(
                condition=~Q(chase_paused=True, chase_pause_reason=""),
                name="chase_pause_has_reason",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def address_lines(self) -> list[str]:
        return [line for line in self.address.splitlines() if line.strip()]

    @property
    def has_full_reply(self) -> bool:
        return self.status in (self.Status.REPLIED, self.Status.CLOSED)

    def set_status(self, status: str) -> None:
        """Move to `status` if the transition table allows it (staying put is a no-op)."""
        if status == self.status:
            return
        if status not in self.TRANSITIONS[self.Status(self.status)]:
            raise IllegalStatusChange(
                f"Letter {self.reference} cannot go from {self.get_status_display().lower()} "
                f"to {self.Status(status).label.lower()}."
            )
        self.status = status


class TrackerStatus(models.TextChoices):
    """A letter's state as the tracker shows it, derived from status, dates and extensions."""

    REPLIED = "replied", "Replied"
    OVERDUE = "overdue", "Overdue"
    EXTENDED = "extended", "Extended"
    HOLDING = "holding", "Holding reply"
    AWAITING = "awaiting", "Awaiting reply"


class Reply(models.Model):
    """What a force sent back to a letter."""

    class Kind(models.TextChoices):
        FULL = "full", "Full reply"
        HOLDING = "holding", "Holding reply"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        POST = "post", "Post"
        HAND = "hand", "By hand"

    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, related_name="replies")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    received_on = models.DateField()
    received_at = models.DateTimeField(
        null=True, blank=True, help_text="Exact time, when the channel gives one (email)."
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    from_name = models.CharField("from", max_length=200)
    summary = models.TextField(blank=True)
    text = models.TextField(blank=True, help_text="Text extracted from the documents.")
    logged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    logged_at = models.DateTimeField(default=timezone.now)
    # What the suggester thinks of the reply's kind; a person still sets `kind`.
    holding_suggested = models.BooleanField(null=True, blank=True)
    holding_reasons = models.JSONField(default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-logged_at"]
        verbose_name_plural = "replies"

    def __str__(self):
        return f"{self.get_kind_display()} from {self.letter.force} ({self.received_on:%d %b %Y})"

    @property
    def is_holding(self) -> bool:
        return self.kind == self.Kind.HOLDING


def reply_document_path(document, filename):
    # A random name on disk: the uploader's file name is kept only as data.
    return f"replies/{document.reply.letter.round_id}/{document.sha256[:2]}/{document.sha256}"


class ReplyDocument(models.Model):
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=reply_document_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    extracted_text = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.original_name


class Extension(models.Model):
    """A new due date agreed with a force."""

    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, related_name="extensions")
    previous_due_on = models.DateField()
    new_due_on = models.DateField()
    reason = models.TextField()
    agreed_with = models.CharField(
        max_length=200, help_text="Who at the force asked for or agreed the extension."
    )
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_due_on__gt=F("previous_due_on")), name="extension_moves_due_later"
            ),
        ]

    def __str__(self):
        return f"{self.letter} to {self.new_due_on:%d %b %Y}"


class Judgement(models.TextChoices):
    ADDRESSED = "addressed", "Addressed"
    PARTLY = "partly", "Partly addressed"
    NOT_ADDRESSED = "not", "Not addressed"


class Coding(models.Model):
    """A person's judgement of how a reply answers one theme, with the quotes that show it."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="codings")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="codings")
    judgement = models.CharField(max_length=10, choices=Judgement.choices)
    note = models.TextField(blank=True)
    coded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    coded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["theme__order"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "theme"], name="one_coding_per_reply_theme"),
        ]

    def __str__(self):
        return f"{self.reply.letter} · {self.theme}: {self.get_judgement_display()}"


class Excerpt(models.Model):
    """A verbatim quote from a reply's text that supports a coding."""

    coding = models.ForeignKey(Coding, on_delete=models.CASCADE, related_name="excerpts")
    text = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text[:80]


class CodingSuggestion(models.Model):
    """What the system proposes for a reply and a theme; a person decides."""

    class Decision(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        EDITED = "edited", "Accepted with edits"
        REJECTED = "rejected", "Rejected"

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="suggestions")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")
    judgement = models.CharField(max_length=10, choices=Judgement.choices)
    score = models.FloatField()
    excerpts = models.JSONField(default=list, help_text="Candidate sentences, best first.")
    reasons = models.JSONField(default=list, help_text="Why: words matched, similar excerpts.")
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["theme__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["reply", "theme"], name="one_suggestion_per_reply_theme"
            ),
        ]

    def __str__(self):
        return f"Suggestion for {self.theme}: {self.get_judgement_display()}"


class ThemeReview(models.Model):
    """Per round and theme: the secretariat's summary and the Commissioner's observation."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="reviews")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="reviews")
    summary = models.TextField(blank=True)
    summary_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary_at = models.DateTimeField(null=True, blank=True)
    observation = models.TextField(blank=True)
    observation_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    observation_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["theme__order"]
        constraints = [
            models.UniqueConstraint(fields=["round", "theme"], name="one_review_per_round_theme"),
        ]

    def __str__(self):
        return f"{self.round} · {self.theme}"

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None


class OutboundEmail(models.Model):
    """The outbox: every email the system sends is first a row here, and is sent only from here."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Needs checking"

    idempotency_key = models.CharField(max_length=120, unique=True)
    letter = models.ForeignKey(
        Letter, null=True, blank=True, on_delete=models.PROTECT, related_name="emails"
    )
    to = models.TextField(help_text="Recipients, one per line.")
    reply_to = models.EmailField(blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    message_id = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set just before the message goes to the mail server: a claimed row without it was never
    # handed over and can be sent again; with it, the server may have accepted the message.
    handed_over_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Records who resent a message or confirmed it as sent (workers update rows without it).
    history = HistoricalRecords()

    class Meta:
        ordering = ["-queued_at"]
        verbose_name = "outbound email"

    def __str__(self):
        return self.subject

    @property
    def recipients(self) -> list[str]:
        return [line.strip() for line in self.to.splitlines() if line.strip()]


class OutboundAttachment(models.Model):
    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, default="application/pdf")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return self.filename


class Reminder(models.Model):
    """A chase-up step for one letter; the database keeps one per letter and step."""

    class Step(models.TextChoices):
        FIRST = "first", "First reminder"
        SECOND = "second", "Second reminder"
        ESCALATION = "escalation", "Escalation"

    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, related_name="reminders")
    step = models.CharField(max_length=12, choices=Step.choices)
    chased_due_on = models.DateField(help_text="The due date that had passed.")
    reply_by = models.DateField(null=True, blank=True)
    pdf = models.FileField(upload_to="reminders/", blank=True)
    email = models.OneToOneField(
        OutboundEmail, null=True, blank=True, on_delete=models.PROTECT, related_name="reminder"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "step"], name="one_reminder_per_letter_step"),
        ]

    def __str__(self):
        return f"{self.get_step_display()} for {self.letter}"


class Report(models.Model):
    """A PDF asked for by a person and built in the background."""

    class Kind(models.TextChoices):
        SUMMARY = "summary", "Summary report"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SUMMARY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to="reports/", blank=True)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.round} ({self.get_status_display()})"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class JobRun(models.Model):
    """A run of a scheduled job, so the health page can tell how old the last good run is."""

    name = models.CharField(max_length=60)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["name", "-started_at"])]

    def __str__(self):
        return f"{self.name} at {self.started_at:%Y-%m-%d %H:%M}"


def inbound_raw_path(message, filename):
    # Named by content: the sender's subject or file name never becomes a path.
    return f"inbound/{message.raw_sha256[:2]}/{message.raw_sha256}.eml"


def inbound_attachment_path(attachment, filename):
    return f"inbound/attachments/{attachment.sha256[:2]}/{attachment.sha256}"


class InboundMessage(models.Model):
    """An email that came in for the office: kept as received, matched to a letter, reviewed.

    The same message is stored once, whichever way it arrives: by its Message-ID, or by
    the hash of its bytes when it has none, and by its place in the IMAP mailbox.
    """

    class Source(models.TextChoices):
        IMAP = "imap", "Reply mailbox"
        UPLOAD = "upload", "Uploaded"
        COMMAND = "command", "Imported from a file"

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        AUTO_REPLY = "auto_reply", "Automatic reply"
        BOUNCE = "bounce", "Delivery failure"

    class MatchMethod(models.TextChoices):
        REFERENCE = "reference", "Reference quoted"
        SENDER_DOMAIN = "sender_domain", "Sender's domain"
        NONE = "none", "No match"

    class Confidence(models.TextChoices):
        SURE = "sure", "Sure"
        LIKELY = "likely", "Likely"
        POSSIBLE = "possible", "Possible"
        NONE = "none", "None"

    class Status(models.TextChoices):
        AWAITING = "awaiting", "Awaiting review"
        CONFIRMED = "confirmed", "Logged as a reply"
        FILED = "filed", "Filed"
        DISMISSED = "dismissed", "Dismissed"

    raw = models.FileField(upload_to=inbound_raw_path, max_length=200)
    raw_sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    message_id = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    imap_folder = models.CharField(max_length=200, blank=True)
    imap_uidvalidity = models.PositiveBigIntegerField(null=True, blank=True)
    imap_uid = models.PositiveBigIntegerField(null=True, blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    date_header = models.CharField(
        max_length=200, blank=True, help_text="The Date header as the sender wrote it."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_utc_offset = models.SmallIntegerField(
        null=True, blank=True, help_text="The sender's offset from UTC in minutes, from Date."
    )
    body_text = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.REPLY)
    letter = models.ForeignKey(
        Letter, null=True, blank=True, on_delete=models.PROTECT, related_name="inbound_messages"
    )
    match_method = models.CharField(
        max_length=15, choices=MatchMethod.choices, default=MatchMethod.NONE
    )
    match_confidence = models.CharField(
        max_length=10, choices=Confidence.choices, default=Confidence.NONE
    )
    match_note = models.CharField(max_length=300, blank=True)
    bounced_email = models.ForeignKey(
        OutboundEmail, null=True, blank=True, on_delete=models.SET_NULL, related_name="bounces"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AWAITING)
    problems = models.TextField(blank=True, help_text="What could not be read, one per line.")
    reply = models.OneToOneField(
        Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_message"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="inbound_once_per_id"
            ),
            models.UniqueConstraint(
                fields=["raw_sha256"],
                condition=Q(message_id=""),
                name="inbound_once_per_content_without_id",
            ),
            models.UniqueConstraint(
                fields=["imap_folder", "imap_uidvalidity", "imap_uid"],
                condition=Q(imap_uid__isnull=False),
                name="inbound_once_per_mailbox_uid",
            ),
            models.CheckConstraint(
                condition=Q(imap_uid__isnull=True, imap_uidvalidity__isnull=True)
                | Q(imap_uid__isnull=False, imap_uidvalidity__isnull=False),
                name="inbound_imap_uid_with_uidvalidity",
            ),
            models.CheckConstraint(
                condition=Q(reply__isnull=True) | Q(status="confirmed"),
                name="inbound_reply_only_when_confirmed",
            ),
        ]
        indexes = [models.Index(fields=["status", "-imported_at"])]

    def __str__(self):
        return self.subject or "(no subject)"

    @property
    def problem_list(self) -> list[str]:
        return [line for line in self.problems.splitlines() if line.strip()]

    @property
    def is_sure_match(self) -> bool:
        return self.letter_id is not None and self.match_confidence == self.Confidence.SURE

    @property
    def is_open(self) -> bool:
        """Whether a person can still log it as a reply, file it or dismiss it."""
        return self.status in (self.Status.AWAITING, self.Status.FILED)

    @property
    def sent_at_sender_time(self) -> datetime | None:
        """When it was sent, in the sender's own time zone as the Date header gave it."""
        if self.sent_at is None:
            return None
        offset = dt_timezone(timedelta(minutes=self.sent_utc_offset or 0))
        return self.sent_at.astimezone(offset)


class InboundAttachment(models.Model):
    """A file attached to an inbound message, checked by content; refused ones keep the reason."""

    message = models.ForeignKey(
        InboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    position = models.PositiveSmallIntegerField()
    filename = models.CharField(max_length=255)
    declared_type = models.CharField(max_length=100, help_text="What the sender's mailer said.")
    detected_kind = models.CharField(
        max_length=10, blank=True, help_text="pdf, docx, txt or eml; blank when refused."
    )
    detected_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=inbound_attachment_path, max_length=200, blank=True)
    extracted_text = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text="What to know about the text, one per line.")
    problem = models.TextField(blank=True, help_text="Why it was refused.")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "position"], name="one_inbound_attachment_per_position"
            ),
        ]

    def __str__(self):
        return self.filename

    @property
    def accepted(self) -> bool:
        return bool(self.detected_kind)

    @property
    def note_list(self) -> list[str]:
        return [line for line in self.notes.splitlines() if line.strip()]


class MailboxCursor(models.Model):
    """How far fetch_replies has read a mailbox folder: UIDs are only valid per UIDVALIDITY."""

    folder = models.CharField(max_length=200)
    uidvalidity = models.PositiveBigIntegerField()
    last_uid = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["folder", "uidvalidity"], name="one_cursor_per_folder"),
        ]

    def __str__(self):
        return f"{self.folder} ({self.uidvalidity}) up to UID {self.last_uid}"


class DeferredTask(models.Model):
    """Background work that could not be handed to the queue (Redis down), kept to send later."""

    name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.name}{tuple(self.args)}"


class Addressee(models.Model):
    """Someone outside the forces the office writes to, saved for reuse (e.g. a Minister)."""

    name = models.CharField(
        "recipient's name", max_length=200, help_text="As it heads the address, e.g. Rt Hon …"
    )
    position = models.CharField(
        "title or position",
        max_length=200,
        blank=True,
        help_text="E.g. Minister of State for Crime, Policing and the Fire Service",
    )
    organisation = models.CharField(max_length=200, blank=True, help_text="E.g. House of Commons")
    address = models.TextField(blank=True, help_text="Postal address, one line per line.")
    salutation = models.CharField(max_length=120, help_text="The greeting, e.g. Dear Minister")
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "position", "organisation"],
                name="one_addressee_per_post",
                violation_error_message=(
                    "This addressee is saved already: choose them from the list"
                ),
            ),
        ]

    def __str__(self):
        return f"{self.name}, {self.position}" if self.position else self.name

    @property
    def address_block(self) -> list[str]:
        return _address_block(self.name, self.position, self.organisation, self.address)


def _address_block(*parts: str) -> list[str]:
    return [line.strip() for part in parts for line in part.splitlines() if line.strip()]


# A line of a ministerial letter's body that stands for the table of national figures.
FIGURES_TABLE_LINE = "[figures table]"


def is_figures_table_line(line: str) -> bool:
    return line.strip().lower() == FIGURES_TABLE_LINE


def ministerial_pdf_path(letter, filename):
    return f"ministerial/{letter.round_id}/{slugify_reference(letter.reference)}.pdf"


def slugify_reference(reference: str) -> str:
    """A reference as a file name: IASC/2019-10/MIN-1 -> IASC-2019-10-MIN-1."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", reference).strip("-")


class MinisterialLetter(models.Model):
    """A letter that closes a round: to a Minister (or anyone), from the round's observations.

    It is drafted and edited freely, then issued once: issuing gives it its reference and keeps
    its PDF as issued. An issued letter never changes (the service refuses, and a database
    trigger refuses updates of what it says); a correction is another letter.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="ministerial_letters")
    addressee = models.ForeignKey(
        Addressee,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="letters",
        help_text="The saved addressee it was written to; the letter keeps its own copy.",
    )
    addressee_name = models.CharField(max_length=200)
    addressee_position = models.CharField(max_length=200, blank=True)
    addressee_organisation = models.CharField(max_length=200, blank=True)
    addressee_address = models.TextField(blank=True)
    salutation = models.CharField(max_length=120)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(
        help_text="Plain text: paragraphs, “- ” bullets and the [figures table] line."
    )
    figure_years = models.JSONField(
        default=list, blank=True, help_text="The years of national figures in its table."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    reference = models.CharField(max_length=60, blank=True, help_text="Given when issued.")
    issued_on = models.DateField(null=True, blank=True)
    issued_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pdf = models.FileField(upload_to=ministerial_pdf_path, max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-issued_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference"],
                condition=~Q(reference=""),
                name="ministerial_reference_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", reference="", issued_on__isnull=True, pdf="")
                | (
                    Q(status="issued", issued_on__isnull=False)
                    & ~Q(reference="")
                    & ~Q(pdf="")
                    & ~Q(pdf_sha256="")
                ),
                name="ministerial_issued_has_reference_date_and_pdf",
            ),
        ]

    def __str__(self):
        return self.reference or f"Draft to {self.addressee_name}"

    def clean(self):
        errors = {}
        if sum(is_figures_table_line(line) for line in self.body.splitlines()) > 1:
            errors["body"] = f"Put the {FIGURES_TABLE_LINE} line in once only"
        years = self.figure_years
        if not isinstance(years, list) or not all(
            isinstance(year, int) and 1900 <= year <= 2100 for year in years
        ):
            errors["figure_years"] = "Figure years must be a list of years"
        if errors:
            raise ValidationError(errors)

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED

    @property
    def address_block(self) -> list[str]:
        return _address_block(
            self.addressee_name,
            self.addressee_position,
            self.addressee_organisation,
            self.addressee_address,
        )

    @property
    def has_figures_table_line(self) -> bool:
        return any(is_figures_table_line(line) for line in self.body.splitlines())

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class Force(models.Model):
    """One of the 43 territorial police forces of England and Wales."""

    class Country(models.TextChoices):
        ENGLAND = "England"
        WALES = "Wales"

    code = models.SlugField(max_length=40, unique=True)
    short_code = models.CharField(
        max_length=6, unique=True, help_text="Ends each letter's reference, e.g. AVS."
    )
    name = models.CharField(max_length=120, unique=True)
    country = models.CharField(max_length=20, choices=Country.choices)
    region = models.CharField(max_length=60)
    hq_town = models.CharField("headquarters town", max_length=80)
    address = models.TextField(help_text="Postal address, one line per line.")
    email = models.EmailField(
        blank=True, help_text="Where letters to the head of force are emailed."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.address.splitlines() if line.strip()]


class ForceDomain(models.Model):
    """An email domain a force writes from; a force can have several."""

    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self):
        return self.domain

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower()
        super().save(*args, **kwargs)


class HeadOfForce(models.Model):
    """The chief officer of a force over a period. Letters keep their own copy of the name."""

    class Title(models.TextChoices):
        CHIEF_CONSTABLE = "Chief Constable"
        COMMISSIONER = "Commissioner"

    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="heads")
    title = models.CharField(max_length=40, choices=Title.choices)
    name = models.CharField(max_length=120, blank=True)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["force__name", "-since"]
        verbose_name_plural = "heads of force"
        constraints = [
            models.UniqueConstraint(
                fields=["force"], condition=Q(until__isnull=True), name="one_current_head_per_force"
            ),
        ]

    def __str__(self):
        return f"{self.title} {self.name}".strip() + f", {self.force}"

    @property
    def salutation(self) -> str:
        return f"Dear {self.title}"


class ProsecutionFigures(models.Model):
    """Counts for a year or part of one, nationally (no force) or for one force."""

    force = models.ForeignKey(
        Force, null=True, blank=True, on_delete=models.CASCADE, related_name="figures"
    )
    year = models.PositiveSmallIntegerField()
    period_start = models.DateField()
    period_end = models.DateField()
    recorded_crimes = models.PositiveIntegerField()
    suspects_charged = models.PositiveIntegerField()
    defendants_prosecuted = models.PositiveIntegerField()
    defendants_convicted = models.PositiveIntegerField()
    part_year = models.BooleanField(
        default=False,
        help_text="Some counts cover only part of the year; the note says which.",
    )
    note = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=300)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["force__name", "year"]
        verbose_name_plural = "prosecution figures"
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=Q(force__isnull=True), name="one_national_row_per_year"
            ),
            models.UniqueConstraint(fields=["force", "year"], name="one_force_row_per_year"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="period_in_order"
            ),
        ]

    def __str__(self):
        return f"{self.force or 'National'} {self.year}"

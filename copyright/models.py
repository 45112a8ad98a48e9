"""Copyright: rights holders, reference works, fingerprints, matches and claims.

A claim's lifecycle (``Claim.Status``)::

    active ──dispute──▶ disputed ──release / deadline──▶ released
                           │
                           └──uphold──▶ upheld ──appeal──▶ appealed ──staff: grant──▶ released
                                                                     └─staff: reject─▶ upheld (final)

A claim is in effect (blocks, routes revenue, tracks) while active, disputed, upheld or appealed.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


def clock(ms: int | None) -> str:
    """Milliseconds as m:ss (h:mm:ss past an hour)."""
    if ms is None:
        return "—"
    s = ms // 1000
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class Policy(models.TextChoices):
    BLOCK = "block", "Block"
    MONETIZE = "monetize", "Monetize"
    TRACK = "track", "Track"


class RightsHolder(models.Model):
    """The capability to register references and file claims: granted by staff in the admin."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rights_holder")
    name = models.CharField(max_length=200, help_text="The rights holder shown to uploaders.")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Reference(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Fingerprinting"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="copyright_references")
    title = models.CharField(max_length=200)
    policy = models.CharField(max_length=16, choices=Policy.choices, default=Policy.TRACK)
    # ",DE,FR," (ISO 3166-1 alpha-2, delimited for a portable substring lookup); "" is worldwide.
    territories = models.CharField(max_length=800, blank=True, default="")
    source_name = models.CharField(max_length=500, blank=True)  # storage name of the uploaded media
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveBigIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True, help_text="Inactive references are not matched.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.title

    @property
    def territory_list(self) -> list[str]:
        return [t for t in self.territories.split(",") if t]


class Fingerprint(models.Model):
    """One kind of fingerprint of a reference or an uploaded video, under one algorithm version.

    ``data`` is the packed array: little-endian uint32 per audio item, uint64 per frame hash.
    """

    class Kind(models.TextChoices):
        AUDIO = "audio", "Audio (Chromaprint)"
        PICTURE = "picture", "Picture (frame pHash)"

    reference = models.ForeignKey(
        Reference, on_delete=models.CASCADE, null=True, blank=True, related_name="fingerprints"
    )
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    algorithm = models.CharField(max_length=40)
    items = models.PositiveIntegerField(default=0)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reference__isnull=False, video__isnull=True)
                | Q(reference__isnull=True, video__isnull=False),
                name="copyright_fingerprint_one_owner",
            ),
            models.UniqueConstraint(
                fields=["reference", "kind", "algorithm"],
                condition=Q(reference__isnull=False),
                name="copyright_fingerprint_reference_once",
            ),
            models.UniqueConstraint(
                fields=["video", "kind", "algorithm"],
                condition=Q(video__isnull=False),
                name="copyright_fingerprint_video_once",
            ),
        ]

    def __str__(self) -> str:
        owner = f"reference {self.reference_id}" if self.reference_id else f"video {self.video_id}"
        return f"{self.kind} of {owner} ({self.algorithm}, {self.items} items)"


class Match(models.Model):
    """What the matcher found for (video, reference): claimed, or left for review below the bar."""

    class Status(models.TextChoices):
        REVIEW = "review", "Needs review"
        CLAIMED = "claimed", "Claimed"
        DISMISSED = "dismissed", "Dismissed"

    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="+")
    reference = models.ForeignKey(Reference, on_delete=models.CASCADE, related_name="matches")
    kind = models.CharField(max_length=16, choices=Fingerprint.Kind.choices)
    video_start_ms = models.PositiveBigIntegerField()
    reference_start_ms = models.PositiveBigIntegerField()
    duration_ms = models.PositiveBigIntegerField()
    confidence = models.FloatField()
    score = models.FloatField(help_text="Mean bit-error rate (audio) or Hamming distance (picture).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REVIEW, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["video", "reference"], name="copyright_match_once")]
        verbose_name_plural = "matches"

    def __str__(self) -> str:
        return f"video {self.video_id} ~ {self.reference}"


class Claim(models.Model):
    class Source(models.TextChoices):
        MATCH = "match", "Automatic match"
        MANUAL = "manual", "Manual claim"
        TAKEDOWN = "takedown", "Takedown notice"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISPUTED = "disputed", "Disputed"
        UPHELD = "upheld", "Upheld"
        APPEALED = "appealed", "Appealed"
        RELEASED = "released", "Released"

    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="+")
    reference = models.ForeignKey(Reference, on_delete=models.PROTECT, null=True, blank=True, related_name="claims")
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="copyright_claims_made"
    )
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="copyright_claims")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MATCH)
    policy = models.CharField(max_length=16, choices=Policy.choices)
    territories = models.CharField(max_length=800, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    video_start_ms = models.PositiveBigIntegerField(default=0)
    reference_start_ms = models.PositiveBigIntegerField(default=0)
    duration_ms = models.PositiveBigIntegerField(default=0)
    confidence = models.FloatField(null=True, blank=True)
    is_reupload = models.BooleanField(default=False)
    notice = models.TextField(max_length=5000, blank=True)
    dispute_reason = models.TextField(max_length=5000, blank=True)
    appeal_reason = models.TextField(max_length=5000, blank=True)
    decision_note = models.TextField(max_length=5000, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True, db_index=True)
    appeal_decided = models.BooleanField(default=False)
    strike_recorded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Exactly one claim per (video, reference), however many matchers race (the database decides).
            models.UniqueConstraint(
                fields=["video", "reference"], condition=Q(reference__isnull=False), name="copyright_claim_once"
            ),
        ]
        indexes = [models.Index(fields=["video", "status"], name="copyright_claim_video_status")]

    def __str__(self) -> str:
        return f"claim {self.pk} on video {self.video_id}"

    @property
    def territory_list(self) -> list[str]:
        return [t for t in self.territories.split(",") if t]

    @property
    def video_end_ms(self) -> int:
        return self.video_start_ms + self.duration_ms

    @property
    def video_segment(self) -> str:
        return f"{clock(self.video_start_ms)}–{clock(self.video_end_ms)}"

    @property
    def reference_segment(self) -> str:
        return f"{clock(self.reference_start_ms)}–{clock(self.reference_start_ms + self.duration_ms)}"


EFFECTIVE = (Claim.Status.ACTIVE, Claim.Status.DISPUTED, Claim.Status.UPHELD, Claim.Status.APPEALED)

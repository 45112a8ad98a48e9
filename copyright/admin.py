"""Copyright in the admin: rights holders (the capability staff grant), the reference library,
the match review queue (both works' timestamps) and the claims queue with bulk actions. Every
action goes through ``copyright.services``."""

from django.contrib import admin, messages

from copyright import services
from copyright.models import Claim, Match, Reference, RightsHolder, clock
from socialflow.core.admin_actions import confirmed_reason, reason_page
from socialflow.core.exceptions import DomainError


@admin.register(RightsHolder)
class RightsHolderAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "granted_by", "created_at")
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)
    fields = ("user", "name")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)  # renaming only
            return
        holder = services.rights_holder_grant(user=obj.user, name=obj.name, by=request.user)
        obj.pk = holder.pk


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "policy", "territories", "status", "active", "duration", "created_at")
    list_filter = ("status", "policy", "active")
    search_fields = ("title", "owner__username")
    readonly_fields = ("owner", "source_name", "status", "error", "duration_ms", "created_at", "updated_at")
    fields = ("title", "owner", "policy", "territories", "active", *readonly_fields[1:])
    actions = ["refingerprint"]

    def has_add_permission(self, request):
        return False  # rights holders upload works through the API

    @admin.display(description="duration")
    def duration(self, obj):
        return clock(obj.duration_ms)

    @admin.action(description="Re-compute fingerprints of selected references")
    def refingerprint(self, request, queryset):
        count = services.references_refingerprint(references=list(queryset))
        self.message_user(request, f"{count} reference(s) queued for fingerprinting.", messages.SUCCESS)


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "video_link",
        "reference",
        "kind",
        "video_segment",
        "reference_segment",
        "length",
        "confidence",
        "status",
        "created_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("reference__title",)
    actions = ["claim_matches", "dismiss_matches"]
    readonly_fields = [f.name for f in Match._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reference", "video")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="video")
    def video_link(self, obj):
        return f"{obj.video_id}: {obj.video.title}"

    @admin.display(description="in the video")
    def video_segment(self, obj):
        return f"{clock(obj.video_start_ms)}–{clock(obj.video_start_ms + obj.duration_ms)}"

    @admin.display(description="in the reference")
    def reference_segment(self, obj):
        return f"{clock(obj.reference_start_ms)}–{clock(obj.reference_start_ms + obj.duration_ms)}"

    @admin.display(description="matched")
    def length(self, obj):
        return f"{obj.duration_ms / 1000:.1f} s"

    @admin.action(description="Claim selected matches (reference's policy)")
    def claim_matches(self, request, queryset):
        count = services.matches_claim(matches=list(queryset), by=request.user)
        self.message_user(request, f"{count} claim(s) made.", messages.SUCCESS)

    @admin.action(description="Dismiss selected matches")
    def dismiss_matches(self, request, queryset):
        count = services.matches_dismiss(matches=list(queryset), by=request.user)
        self.message_user(request, f"{count} match(es) dismissed.", messages.SUCCESS)


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "video_id",
        "reference",
        "claimant",
        "uploader",
        "source",
        "policy",
        "status",
        "segment",
        "is_reupload",
        "respond_by",
        "created_at",
    )
    list_filter = ("status", "source", "policy", "is_reupload", "appeal_decided")
    search_fields = ("claimant__username", "uploader__username", "reference__title", "notice")
    actions = ["grant_appeals", "reject_appeals", "release_claims"]
    readonly_fields = [f.name for f in Claim._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reference", "claimant", "uploader")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="segment")
    def segment(self, obj):
        return f"{clock(obj.video_start_ms)}–{clock(obj.video_end_ms)}"

    def _decide(self, request, queryset, *, title, act):
        note = confirmed_reason(request)
        if note is None:
            return reason_page(self, request, queryset, title=title)
        done, failed = 0, []
        for claim in queryset:
            try:
                act(claim, note)
                done += 1
            except DomainError as exc:
                failed.append(f"#{claim.pk}: {exc.message}")
        self.message_user(request, f"{done} claim(s) updated.", messages.SUCCESS)
        if failed:
            self.message_user(request, "; ".join(failed), messages.WARNING)
        return None

    @admin.action(description="Grant appeals (release the claims)")
    def grant_appeals(self, request, queryset):
        return self._decide(
            request, queryset, title="Grant appeals",
            act=lambda claim, note: services.claim_decide_appeal(claim=claim, staff=request.user, grant=True, note=note),
        )  # fmt: skip

    @admin.action(description="Reject appeals (uphold the claims for good)")
    def reject_appeals(self, request, queryset):
        return self._decide(
            request, queryset, title="Reject appeals",
            act=lambda claim, note: services.claim_decide_appeal(claim=claim, staff=request.user, grant=False, note=note),
        )  # fmt: skip

    @admin.action(description="Release selected claims (staff)")
    def release_claims(self, request, queryset):
        return self._decide(
            request, queryset, title="Release claims",
            act=lambda claim, note: services.claims_release_by_staff(claims=[claim], staff=request.user, note=note),
        )  # fmt: skip

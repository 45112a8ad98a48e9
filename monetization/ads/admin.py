"""Ad campaigns in the admin: moderators review them (approve, reject with a reason) through
``monetization.ads.services``; every review is in the audit log. Spend is read-only, and so are
advertisers' top-ups and balances (finance staff)."""

from django.contrib import admin, messages
from django.db.models import Sum

from monetization.ads import services
from monetization.ads.models import AdRefund, AdRefundPart, AdTopUp, AdvertiserAccount, Campaign
from monetization.models import ADVERTISER_KINDS
from socialflow.core.admin_actions import confirmed_reason, reason_page
from socialflow.core.exceptions import DomainError


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "name",
        "advertiser",
        "status",
        "budget_minor",
        "bid_cpm_minor",
        "spent_micros",
        "funded_minor",
        "billed_minor",
        "starts_at",
        "ends_at",
    ]
    list_filter = ["status", "paused", "currency"]
    search_fields = ["name", "advertiser__username"]
    list_select_related = ["advertiser"]
    raw_id_fields = ["advertiser", "creative"]
    fields = readonly_fields = [
        "advertiser",
        "name",
        "creative",
        "click_url",
        "currency",
        "budget_minor",
        "bid_cpm_minor",
        "spent_micros",
        "starts_at",
        "ends_at",
        "paused",
        "target_tags",
        "target_countries",
        "target_devices",
        "target_age_min",
        "target_age_max",
        "frequency_cap",
        "status",
        "review_reason",
        "reviewed_by",
        "reviewed_at",
        "funded_minor",
        "billed_minor",
        "funding_version",
        "created_at",
        "updated_at",
    ]
    actions = ["approve", "reject"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _review(self, request, queryset, review, reason: str) -> int:
        done = 0
        for campaign in queryset:
            try:
                review(campaign=campaign, by=request.user, reason=reason)
            except DomainError as exc:
                self.message_user(request, f"Campaign {campaign.pk}: {exc.message}", level=messages.ERROR)
            else:
                done += 1
        return done

    @admin.action(description="Approve selected campaigns")
    def approve(self, request, queryset):
        done = self._review(request, queryset, services.campaign_approve, "")
        if done:
            self.message_user(request, f"Approved {done} campaign(s).", level=messages.SUCCESS)

    @admin.action(description="Reject selected campaigns (asks why)")
    def reject(self, request, queryset):
        reason = confirmed_reason(request)
        if reason == "":  # the advertiser is told why: a rejection without a reason is not accepted
            self.message_user(request, "A rejection needs a reason: the advertiser is told it.", level=messages.ERROR)
            reason = None
        if reason is None:
            return reason_page(self, request, queryset, title="Reject campaigns")
        done = self._review(request, queryset, services.campaign_reject, reason)
        if done:
            self.message_user(request, f"Rejected {done} campaign(s).", level=messages.SUCCESS)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AdTopUp)
class AdTopUpAdmin(_ReadOnly):
    list_display = ["id", "advertiser", "amount_minor", "refunded_minor", "currency", "status", "created_at", "paid_at"]
    list_filter = ["status", "currency", "created_at"]
    search_fields = ["advertiser__username", "=payment_intent_id"]
    list_select_related = ["advertiser"]
    fields = readonly_fields = [
        "advertiser",
        "amount_minor",
        "refunded_minor",
        "currency",
        "status",
        "payment_intent_id",
        "created_at",
        "paid_at",
    ]


class AdRefundPartInline(admin.TabularInline):
    model = AdRefundPart
    fields = readonly_fields = ["top_up", "amount_minor", "status", "stripe_refund_id", "failure_message"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AdRefund)
class AdRefundAdmin(_ReadOnly):
    """Advertisers' balance refunds (and top-ups refunded on Stripe's dashboard), with one Stripe
    refund per top-up; finance staff read them here."""

    list_display = ["id", "advertiser", "requested_minor", "amount_minor", "currency", "origin", "created_at"]
    list_filter = ["origin", "currency", "created_at"]
    search_fields = ["advertiser__username", "=parts__stripe_refund_id"]
    list_select_related = ["advertiser"]
    fields = readonly_fields = ["advertiser", "requested_minor", "amount_minor", "currency", "origin", "created_at"]
    inlines = [AdRefundPartInline]


@admin.register(AdvertiserAccount)
class AdvertiserBalanceAdmin(_ReadOnly):
    """Each advertiser's prepaid and reserved accounts with their balances (sums of entries)."""

    list_display = ["id", "owner", "kind", "currency", "balance_minor"]
    list_filter = ["kind", "currency"]
    search_fields = ["owner__username"]
    list_select_related = ["owner"]
    fields = readonly_fields = ["owner", "kind", "currency", "balance_minor", "created_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(kind__in=ADVERTISER_KINDS)
            .annotate(balance=Sum("entries__amount_minor", default=0))
        )

    @admin.display(description="balance (minor units)", ordering="balance")
    def balance_minor(self, account):
        return account.balance

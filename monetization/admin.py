"""The ledger, tips, payouts and revenue shares in the admin: read-only; money moves only through
``monetization.services`` (refunds and returning a stuck payout, by finance staff, included)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from monetization import services
from monetization.models import (
    Account,
    CreatorSubscription,
    Dispute,
    Entry,
    Membership,
    MembershipPayment,
    Payout,
    RevenueShare,
    Tip,
    TipRefund,
    Transaction,
)
from socialflow.core.exceptions import DomainError
from socialflow.core.money import Money


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    extra = 0
    can_delete = False
    fields = readonly_fields = ["account", "amount_minor", "currency", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "source", "idempotency_key", "memo"]
    list_filter = ["source", "created_at"]
    search_fields = ["^idempotency_key", "memo"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ["source", "idempotency_key", "memo", "created_at"]
    inlines = [EntryInline]
    show_full_result_count = False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "currency", "owner", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["owner__username"]
    list_select_related = ["owner"]
    fields = readonly_fields = ["owner", "kind", "currency", "created_at"]


class TipRefundInline(admin.TabularInline):
    model = TipRefund
    extra = 0
    can_delete = False
    fields = readonly_fields = ["amount_minor", "stripe_refund_id", "by", "reason", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DisputeInline(TipRefundInline):
    """Chargebacks, from Stripe's dispute webhooks (read only: the fan's bank decides them)."""

    model = Dispute
    fields = readonly_fields = [
        "stripe_dispute_id",
        "amount_minor",
        "fee_minor",
        "reason",
        "status",
        "opened_at",
        "closed_at",
    ]


class TipRefundForm(forms.Form):
    amount_minor = forms.IntegerField(
        min_value=1, required=False, help_text="Minor units (cents); empty refunds all that remains."
    )
    reason = forms.CharField(max_length=500, required=False)


@admin.register(Tip)
class TipAdmin(ReadOnlyAdmin):
    """Finance staff: tips and their refunds. Refunding goes through ``services.tip_refund`` (never
    above what remains, the ledger reversed, Stripe asked first)."""

    list_display = ["id", "created_at", "creator", "fan", "amount_minor", "currency", "status", "refunded_minor"]
    list_filter = ["status", "currency", "created_at"]
    search_fields = ["=payment_intent_id", "creator__username", "fan__username"]
    list_select_related = ["creator", "fan"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "creator",
        "fan",
        "stream",
        "message",
        "amount_minor",
        "currency",
        "processing_fee_minor",
        "platform_fee_minor",
        "refunded_minor",
        "status",
        "payment_intent_id",
        "chat_message_id",
        "created_at",
        "paid_at",
    ]
    inlines = [TipRefundInline, DisputeInline]
    actions = ["refund_in_full"]
    show_full_result_count = False

    def get_urls(self):
        view = self.admin_site.admin_view(self.refund_view)
        return [path("<int:tip_id>/refund/", view, name="monetization_tip_refund"), *super().get_urls()]

    def _refund(self, request, tip, amount_minor=None, reason="") -> bool:
        try:
            services.tip_refund(tip=tip, amount_minor=amount_minor, by=request.user, reason=reason)
        except DomainError as exc:
            self.message_user(request, f"Tip {tip.pk}: {exc.message}", level=messages.ERROR)
            return False
        return True

    @admin.action(description="Refund what remains of the selected tips")
    def refund_in_full(self, request, queryset):
        done = sum(self._refund(request, tip, reason="Refunded in full from the admin") for tip in queryset)
        if done:
            self.message_user(request, f"Refunded {done} tip(s).", level=messages.SUCCESS)

    def refund_view(self, request, tip_id):
        tip = get_object_or_404(Tip, pk=tip_id)
        if not request.user.is_staff:
            raise PermissionDenied
        form = TipRefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            amount = form.cleaned_data["amount_minor"]
            if self._refund(request, tip, amount, form.cleaned_data["reason"]):
                self.message_user(request, f"Tip {tip.pk} refunded.", level=messages.SUCCESS)
                return redirect("admin:monetization_tip_change", tip.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund tip {tip.pk} ({Money(tip.refundable_minor, tip.currency)} remains)",
            "form": form,
            "tip": tip,
            "opts": self.model._meta,
        }
        return render(request, "admin/monetization/tip_refund.html", context)


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    """Ledger search: every entry, by creator (username), account kind, source, currency and date."""

    list_display = ["id", "created_at", "account", "source", "amount_minor", "currency", "transaction"]
    list_filter = ["account__kind", "transaction__source", "currency", "created_at"]
    search_fields = ["account__owner__username", "^transaction__idempotency_key"]
    list_select_related = ["account", "account__owner", "transaction"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ["transaction", "account", "amount_minor", "currency", "created_at"]
    show_full_result_count = False

    @admin.display(description="Source", ordering="transaction__source")
    def source(self, entry):
        return entry.transaction.source


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    """Payout review: requested, sent and failed payouts; one whose Stripe transfer never got made
    (no transfer id: the request crashed between the ledger and Stripe) can be returned to the
    creator's available balance through ``services.payout_fail``."""

    list_display = ["id", "created_at", "user", "amount", "status", "stripe_transfer_id", "failure_message"]
    list_filter = ["status", "currency", "created_at"]
    search_fields = ["user__username", "^stripe_transfer_id"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "user", "amount_minor", "currency", "status", "stripe_transfer_id", "failure_message", "created_at", "updated_at"
    ]  # fmt: skip
    actions = ["return_stuck"]
    show_full_result_count = False

    @admin.action(description="Return stuck payouts (requested, no Stripe transfer) to the creators' balance")
    def return_stuck(self, request, queryset):
        done = skipped = 0
        for payout in queryset:
            if payout.status != Payout.Status.PENDING or payout.stripe_transfer_id:
                skipped += 1
                continue
            try:
                services.payout_fail(payout=payout, message=f"Returned by {request.user.username}")
            except DomainError as exc:
                self.message_user(request, f"Payout {payout.pk}: {exc.message}", level=messages.ERROR)
                continue
            done += 1
        if done:
            self.message_user(request, f"Returned {done} payout(s).", level=messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"Skipped {skipped} payout(s) already sent, failed or with a transfer.", level=messages.WARNING
            )


@admin.register(RevenueShare)
class RevenueShareAdmin(ReadOnlyAdmin):
    list_display = ["id", "video_id", "period_start", "period_end", "gross_minor", "creators_minor", "currency"]
    list_filter = ["currency", "period_start"]
    search_fields = ["=video_id"]
    fields = readonly_fields = [
        "video_id", "period_start", "period_end", "gross_minor", "creators_minor", "currency", "created_at"
    ]  # fmt: skip
    show_full_result_count = False


@admin.register(CreatorSubscription)
class CreatorSubscriptionAdmin(ReadOnlyAdmin):
    # Creator plans: the state Stripe's webhooks set; changes are made on Stripe (or by the creator).
    list_display = ["user", "plan", "status", "cancel_at_period_end", "current_period_end", "updated_at"]
    list_filter = ["plan", "status", "cancel_at_period_end"]
    search_fields = ["user__username", "=stripe_subscription_id", "=stripe_customer_id"]
    list_select_related = ["user"]
    fields = readonly_fields = [
        "user", "plan", "status", "stripe_subscription_id", "stripe_customer_id", "trial_end",
        "current_period_end", "cancel_at_period_end", "created_at", "updated_at",
    ]  # fmt: skip


class MembershipPaymentInline(TipRefundInline):
    model = MembershipPayment
    fields = readonly_fields = [
        "stripe_invoice_id", "amount_minor", "currency", "platform_fee_minor", "refunded_minor", "status", "paid_at",
    ]  # fmt: skip


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    # Fans' memberships: the state Stripe's subscription webhooks set, and each paid invoice.
    list_display = ["id", "user", "creator", "tier", "status", "duplicate_of", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["user__username", "creator__username", "=stripe_subscription_id"]
    list_select_related = ["user", "creator", "tier"]
    fields = readonly_fields = [
        "user", "creator", "tier", "status", "stripe_subscription_id", "duplicate_of", "state_at", "created_at",
        "updated_at",
    ]  # fmt: skip
    inlines = [MembershipPaymentInline]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    # Chargebacks on tips and membership payments (the payer's bank decides them: read only).
    list_display = [
        "stripe_dispute_id",
        "tip",
        "membership_payment",
        "amount_minor",
        "fee_minor",
        "status",
        "opened_at",
    ]
    list_filter = ["status", "opened_at"]
    search_fields = ["=stripe_dispute_id", "=membership_payment__stripe_invoice_id"]
    list_select_related = ["tip", "membership_payment"]
    fields = readonly_fields = [
        "stripe_dispute_id", "tip", "membership_payment", "amount_minor", "fee_minor", "reason", "status",
        "opened_at", "closed_at",
    ]  # fmt: skip


from monetization.ads import admin as ads_admin  # noqa: E402, F401  (registers the campaigns' admin)

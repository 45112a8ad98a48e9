"""The Studio earnings page (server-rendered, /studio/monetization/): earnings over time by source
(a Chart.js stacked bar chart per day or month), pending and available balances, membership tiers
(create, edit, retire), payouts (request and list), Stripe Connect onboarding, the creator plan
(usage against its quotas, upgrade and cancel). Every change goes
through ``monetization.services``; what it refuses is shown as a message, never a 500."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from monetization import selectors, services
from monetization.forms import PayoutForm, TierCreateForm, TierEditForm
from monetization.plans import catalogue as plan_catalogue
from monetization.plans import selectors as plan_selectors
from monetization.plans import services as plan_services
from socialflow.core.exceptions import DomainError
from socialflow.core.money import Money

DAYS_SHOWN = 30
MONTHS_SHOWN = 12


def _period(by: str, now: datetime) -> tuple[datetime, datetime]:
    """The last 30 days (today included) or the last 12 months (this one included), UTC."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if by == "day":
        return today - timedelta(days=DAYS_SHOWN - 1), today + timedelta(days=1)
    this_month = today.replace(day=1)
    months_back = this_month.year * 12 + this_month.month - 1 - (MONTHS_SHOWN - 1)
    start = this_month.replace(year=months_back // 12, month=months_back % 12 + 1)
    return start, today + timedelta(days=1)


def _post(request, action: str):
    """Carry out one form's action; the bound form when it is invalid (shown again), else None."""
    user = request.user
    if action == "connect":
        return redirect(services.connect_onboarding_link(user=user))
    if action == "plan-change":
        change = plan_services.plan_subscribe(user=user, plan_code=request.POST.get("plan", ""))
        if change.checkout_url:
            return redirect(change.checkout_url)
        messages.success(request, f"You are now on the {change.state.plan.name} plan.")
    elif action == "plan-cancel":
        state = plan_services.plan_cancel(user=user)
        messages.success(request, f"Your {state.plan.name} plan ends at the end of the period.")
    elif action == "tier-create":
        form = TierCreateForm(request.POST, prefix="tier")
        if not form.is_valid():
            return form
        data = form.cleaned_data
        services.tier_create(creator=user, name=data["name"], price_minor=data["price"], perks=data["perks"])
        messages.success(request, "Tier created.")
    elif action == "tier-edit":
        form = TierEditForm(request.POST)
        if not form.is_valid():
            messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
            return None
        data = form.cleaned_data
        tier = selectors.tier_get_own(creator=user, tier_id=data["tier"])
        if tier is None:
            messages.error(request, "No such tier.")
            return None
        services.tier_update(creator=user, tier=tier, name=data["name"], perks=data["perks"], active=data["active"])
        messages.success(request, "Tier saved." if data["active"] else "Tier retired.")
    elif action == "payout":
        form = PayoutForm(request.POST, prefix="payout")
        if not form.is_valid():
            return form
        payout = services.payout_request(user=user, amount_minor=form.cleaned_data["amount"])
        messages.success(request, f"Payout of {payout.amount} requested.")
    else:
        messages.error(request, "Unknown action.")
    return None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def index(request):
    user = request.user
    forms = {"tier_form": TierCreateForm(prefix="tier"), "payout_form": PayoutForm(prefix="payout")}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            result = _post(request, action)
        except DomainError as exc:
            messages.error(request, exc.message)
            result = None
        if result is None:
            return redirect(request.get_full_path())
        if not hasattr(result, "is_valid"):
            return result  # a redirect (Connect onboarding, plan Checkout)
        forms["tier_form" if action == "tier-create" else "payout_form"] = result
    by = request.GET.get("by", "day")
    if by not in selectors.EARNINGS_BUCKETS:
        by = "day"
    start, end = _period(by, datetime.now(UTC))
    charts = selectors.earnings_over_time(user=user, start=start, end=end, by=by)
    connect_state = request.GET.get("connect")
    plan = plan_selectors.plan_state(user=user)
    return render(
        request,
        "monetization/studio.html",
        {
            **forms,
            "by": by,
            "start": start,
            "end": end - timedelta(days=1),
            "charts": charts,
            "balances": selectors.earnings_balances(user=user),
            "by_source": selectors.earnings_by_source(user=user),
            "tiers": list(selectors.tiers_for(creator=user)),
            "payouts": list(selectors.payouts_for(user=user)[:20]),
            "connect": selectors.connect_status(user=user),
            "connect_returned": connect_state in ("done", "refresh"),
            "currency": settings.MONETIZATION_CURRENCY,
            "plan": plan,
            "plan_usage": plan_selectors.plan_usage(user=user, plan=plan.plan),
            "plans": plan_catalogue.PLANS,
            "plan_returned": request.GET.get("plan") == "done",
            "payout_min": Money(settings.MONETIZATION_PAYOUT_MIN_MINOR, settings.MONETIZATION_CURRENCY),
        },
    )

"""Writes of ads: campaigns (create, edit, review), serving (the auction) and events (charging).

Spend is exact: an impression charges its clearing price per impression in micro-units, at most
what is left of the budget, under a row lock on the campaign, so concurrent impressions never take
the campaign past its budget (the check constraint ``ads_campaign_spend_within_budget`` would
refuse it anyway). Every event type is recorded once per decision.
"""

import hashlib
import random
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from monetization.ads import auction, billing
from monetization.ads import selectors as ads_selectors
from monetization.ads.models import MICROS, AdDecision, AdEvent, AdRevenueDay, Campaign, Device
from socialflow.core import events, territory
from socialflow.core.audit import audit_record
from socialflow.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from videos import selectors as video_selectors

EDITABLE = (
    "name",
    "creative",
    "click_url",
    "budget_minor",
    "bid_cpm_minor",
    "starts_at",
    "ends_at",
    "paused",
    "target_tags",
    "target_countries",
    "target_devices",
    "target_age_min",
    "target_age_max",
    "frequency_cap",
)
# Changing what is shown or to whom sends an approved campaign back to review.
REVIEWED = (
    "creative",
    "click_url",
    "target_tags",
    "target_countries",
    "target_devices",
    "target_age_min",
    "target_age_max",
)
MAX_TARGETS = 50


# --- campaigns ------------------------------------------------------------------------------------


def _creative(*, video_id, advertiser):
    try:
        video = video_selectors.video_get_owned(video_id=video_id, user=advertiser)
    except (NotFound, PermissionDenied):
        raise InvalidInput("The creative must be one of your videos.", field="creative") from None
    if video.status != "ready":
        raise InvalidInput("The creative must be one of your videos that is ready.", field="creative")
    return video


def _clean_list(values, *, field: str, normalise) -> list[str]:
    if not isinstance(values, list | tuple) or len(values) > MAX_TARGETS:
        raise InvalidInput(f"A list of at most {MAX_TARGETS} values.", field=field)
    out = []
    for value in values:
        clean = normalise(value) if isinstance(value, str) else None
        if clean is None:
            raise InvalidInput(f"{value!r} is not a valid value.", field=field)
        if clean not in out:
            out.append(clean)
    return out


def _tag(value: str) -> str | None:
    value = value.strip().lower()
    return value if 0 < len(value) <= 50 and "\x00" not in value else None


def _device(value: str) -> str | None:
    return value if value in Device.values else None


def _validate(values: dict) -> None:
    """Every rule of a campaign's fields, on the values it will have."""
    if not values["name"].strip() or "\x00" in values["name"]:
        raise InvalidInput("A campaign needs a name.", field="name")
    if not settings.ADS_BUDGET_MIN_MINOR <= values["budget_minor"] <= settings.ADS_BUDGET_MAX_MINOR:
        raise InvalidInput(
            f"The budget is {settings.ADS_BUDGET_MIN_MINOR} to {settings.ADS_BUDGET_MAX_MINOR} minor units.",
            field="budget",
        )
    if not settings.ADS_RESERVE_CPM_MINOR <= values["bid_cpm_minor"] <= settings.ADS_BID_MAX_CPM_MINOR:
        raise InvalidInput(
            f"The CPM bid is {settings.ADS_RESERVE_CPM_MINOR} to {settings.ADS_BID_MAX_CPM_MINOR} minor units.",
            field="bid_cpm",
        )
    if values["ends_at"] <= values["starts_at"]:
        raise InvalidInput("The campaign must end after it starts.", field="ends_at")
    low, high = values.get("target_age_min"), values.get("target_age_max")
    for name, age in (("target_age_min", low), ("target_age_max", high)):
        if age is not None and not 13 <= age <= 120:
            raise InvalidInput("An age is 13 to 120.", field=name)
    if low is not None and high is not None and low > high:
        raise InvalidInput("The age range's minimum is above its maximum.", field="target_age_max")
    if not 1 <= values["frequency_cap"] <= 100:
        raise InvalidInput("The frequency cap is 1 to 100 impressions per viewer per day.", field="frequency_cap")
    values["target_tags"] = _clean_list(values["target_tags"], field="target_tags", normalise=_tag)
    values["target_countries"] = _clean_list(
        values["target_countries"], field="target_countries", normalise=territory.normalise
    )
    values["target_devices"] = _clean_list(values["target_devices"], field="target_devices", normalise=_device)


def campaign_create(*, advertiser, creative_id, **fields) -> Campaign:
    """A new campaign, waiting for a moderator's review; in the platform's currency. Its budget is
    reserved from the advertiser's prepaid balance (``InsufficientBalance`` if it is not there)."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"Unknown campaign fields: {sorted(unknown)}.")
    values = {
        "click_url": "",
        "paused": False,
        "target_tags": [],
        "target_countries": [],
        "target_devices": [],
        "target_age_min": None,
        "target_age_max": None,
        "frequency_cap": settings.ADS_FREQUENCY_CAP_DEFAULT,
        **fields,
    }
    values["creative"] = _creative(video_id=creative_id, advertiser=advertiser)
    _validate(values)
    with transaction.atomic():
        campaign = Campaign.objects.create(advertiser=advertiser, currency=settings.MONETIZATION_CURRENCY, **values)
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        billing.campaign_fund(campaign=locked)
    campaign.funded_minor, campaign.funding_version = locked.funded_minor, locked.funding_version
    return campaign


def campaign_update(*, campaign: Campaign, creative_id=None, **fields) -> Campaign:
    """Edit the caller's campaign. The budget never goes below what is spent; a change of what is
    shown or to whom sends the campaign back to review. The reservation follows the budget (and
    the schedule: a closed campaign's end moved on): raising it needs the prepaid balance."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"Unknown campaign fields: {sorted(unknown)}.")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        values = {name: getattr(locked, name) for name in EDITABLE}
        values.update(fields)
        if creative_id is not None and creative_id != locked.creative_id:
            values["creative"] = _creative(video_id=creative_id, advertiser=locked.advertiser)
        _validate(values)
        if values["budget_minor"] * MICROS < locked.spent_micros:
            raise InvalidInput("The budget cannot go below what the campaign has spent.", field="budget")
        changed = [name for name in EDITABLE if values[name] != getattr(locked, name)]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, values[name])
        update = [*changed, "updated_at"]
        if locked.status != Campaign.Status.PENDING and any(name in REVIEWED for name in changed):
            locked.status = Campaign.Status.PENDING
            update.append("status")
        locked.updated_at = timezone.now()
        locked.save(update_fields=update)
        billing.campaign_fund(campaign=locked, now=locked.updated_at)
    return locked


def _review(*, campaign: Campaign, by, status: str, reason: str, allowed: tuple) -> Campaign:
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().select_related("creative").get(pk=campaign.pk)
        if locked.status == status:
            return locked
        if locked.status not in allowed:
            raise Conflict(f"A {locked.get_status_display().lower()} campaign cannot be {status}.")
        if status == Campaign.Status.APPROVED and locked.creative.status != "ready":
            raise Conflict("The campaign's creative video is not ready.")
        now = timezone.now()
        locked.status, locked.review_reason = status, reason[:500]
        locked.reviewed_by, locked.reviewed_at, locked.updated_at = by, now, now
        locked.save(update_fields=["status", "review_reason", "reviewed_by", "reviewed_at", "updated_at"])
        if status == Campaign.Status.REJECTED:  # it spends no more: the unspent budget goes back
            billing.campaign_fund(campaign=locked, now=now)
        audit_record(actor=by, action=f"ad_campaign.{status}", target=locked, reason=reason)
        # The advertiser hears the outcome (notifications); the moderator's identity stays out of it.
        events.record(
            "ad_campaign.reviewed",
            campaign_id=locked.pk,
            advertiser_id=locked.advertiser_id,
            campaign_name=locked.name,
            status=status,
            reason=locked.review_reason,
        )
    return locked


def campaign_approve(*, campaign: Campaign, by, reason: str = "") -> Campaign:
    """A moderator lets a pending campaign bid (audited)."""
    return _review(
        campaign=campaign, by=by, status=Campaign.Status.APPROVED, reason=reason, allowed=(Campaign.Status.PENDING,)
    )


def campaign_reject(*, campaign: Campaign, by, reason: str) -> Campaign:
    """A moderator refuses a pending campaign or stops an approved one (audited). The reason is
    required: it is stored on the campaign (``review_reason``, in the API) and told to the advertiser."""
    reason = (reason or "").strip()
    if not reason or "\x00" in reason:
        raise InvalidInput("A rejection needs a reason: the advertiser is told it.", field="reason")
    return _review(
        campaign=campaign,
        by=by,
        status=Campaign.Status.REJECTED,
        reason=reason,
        allowed=(Campaign.Status.PENDING, Campaign.Status.APPROVED),
    )


# --- serving --------------------------------------------------------------------------------------


def viewer_key_of(*, viewer, ip: str, user_agent: str) -> str:
    """A user's id, or a keyed hash of IP and agent for anonymous viewers (frequency caps)."""
    if viewer is not None and viewer.is_authenticated:
        return f"u:{viewer.pk}"
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|ads|{ip}|{user_agent}".encode()).hexdigest()
    return f"a:{digest[:64]}"


def _age_on(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _targets(campaign: Campaign, *, tags: set[str], country: str | None, device: str, age: int | None) -> bool:
    if campaign.target_tags and not tags.intersection(campaign.target_tags):
        return False
    if campaign.target_countries and country not in campaign.target_countries:
        return False
    if campaign.target_devices and device not in campaign.target_devices:
        return False
    if age is not None:  # viewers of unknown age are not age-targeted (docs/ads.md)
        if campaign.target_age_min is not None and age < campaign.target_age_min:
            return False
        if campaign.target_age_max is not None and age > campaign.target_age_max:
            return False
    return True


def ad_serve(
    *,
    viewer,
    video_id,
    user_agent: str = "",
    ip: str = "",
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> AdDecision | None:
    """The ad to play before ``video_id`` for this viewer, or ``None``.

    Campaigns that may serve (approved, in schedule, budget left) and target this viewer (the
    video's tags, the viewer's country, device and age), under their frequency cap today, each
    pass their pacing draw; the second-price auction picks among the rest. The decision is stored
    with its clearing price: its id is what events name."""
    now = now or timezone.now()
    video = video_selectors.video_get_visible(video_id=video_id, viewer=viewer)  # 404 otherwise
    tags = {tag.name.lower() for tag in video.tags.all()}
    country = territory.viewer_country()
    device = auction.device_of(user_agent)
    birth_date = getattr(viewer, "birth_date", None)  # accounts has no birth date yet: unknown age
    age = _age_on(birth_date, now.date()) if birth_date else None
    key = viewer_key_of(viewer=viewer, ip=ip, user_agent=user_agent)

    candidates = [
        campaign
        for campaign in ads_selectors.campaigns_serving(now=now, currency=settings.MONETIZATION_CURRENCY)
        if campaign.creative_id != video.pk and _targets(campaign, tags=tags, country=country, device=device, age=age)
    ]
    if not candidates:
        return None
    seen = ads_selectors.served_today(campaign_ids=[c.pk for c in candidates], viewer_key=key, now=now)
    bids = [
        auction.Bid(campaign.pk, campaign.bid_cpm_minor)
        for campaign in candidates
        if seen.get(campaign.pk, 0) < campaign.frequency_cap
        and auction.paced(
            auction.pacing_probability(
                budget_micros=campaign.budget_micros,
                spent_micros=campaign.spent_micros,
                starts_at=campaign.starts_at,
                ends_at=campaign.ends_at,
                now=now,
            ),
            rng,
        )
    ]
    outcome = auction.second_price(bids, reserve_cpm_minor=settings.ADS_RESERVE_CPM_MINOR)
    if outcome is None:
        return None
    return AdDecision.objects.create(
        campaign_id=outcome.campaign_id,
        video=video,
        viewer_key=key,
        price_cpm_minor=outcome.price_cpm_minor,
        created_at=now,
    )


# --- events ---------------------------------------------------------------------------------------


def _record_revenue(*, decision: AdDecision, charged_micros: int, currency: str, now: datetime) -> None:
    if decision.video_id is None:
        return
    day = ads_selectors.day_start(now).date()
    row, _ = AdRevenueDay.objects.get_or_create(
        video_id=decision.video_id, day=day, currency=currency, defaults={"creator_id": decision.video.author_id}
    )
    AdRevenueDay.objects.filter(pk=row.pk).update(
        impressions=F("impressions") + 1, charged_micros=F("charged_micros") + charged_micros
    )


def _impression(decision: AdDecision, now: datetime) -> tuple[AdEvent, bool]:
    with transaction.atomic():
        # The lock serialises every impression of the campaign: each one sees the spend of the last.
        campaign = Campaign.objects.select_for_update().get(pk=decision.campaign_id)
        existing = AdEvent.objects.filter(decision=decision, type=AdEvent.Type.IMPRESSION).first()
        if existing is not None:
            return existing, False
        # A rejected campaign's budget went back to the advertiser: its ads still in flight are free.
        remaining = 0 if campaign.status == Campaign.Status.REJECTED else campaign.remaining_micros
        charge = auction.impression_charge_micros(price_cpm_minor=decision.price_cpm_minor, remaining_micros=remaining)
        event = AdEvent.objects.create(
            decision=decision, campaign=campaign, type=AdEvent.Type.IMPRESSION, charged_micros=charge, created_at=now
        )
        if charge:
            Campaign.objects.filter(pk=campaign.pk).update(spent_micros=F("spent_micros") + charge)
            if charge == remaining:  # this impression took the last of the budget (once: under the lock)
                billing.campaign_ended_record(
                    campaign=campaign, reason="budget_spent", spent_minor=campaign.budget_minor
                )
        _record_revenue(decision=decision, charged_micros=charge, currency=campaign.currency, now=now)
    return event, True


def _interaction(decision: AdDecision, kind: str, now: datetime) -> tuple[AdEvent, bool]:
    if not AdEvent.objects.filter(decision=decision, type=AdEvent.Type.IMPRESSION).exists():
        raise Conflict("An ad's click or completion comes after its impression.", code="ad_not_shown")
    try:
        with transaction.atomic():
            return (
                AdEvent.objects.create(decision=decision, campaign_id=decision.campaign_id, type=kind, created_at=now),
                True,
            )
    except IntegrityError:  # the same event recorded concurrently: that one stands
        return AdEvent.objects.get(decision=decision, type=kind), False


def ad_event_record(*, decision_id, kind: str, now: datetime | None = None) -> tuple[AdEvent, bool]:
    """Record an impression, click or completion of a served decision, once: ``(event, created)``.
    An impression charges the campaign; a repeat returns the first event and charges nothing."""
    now = now or timezone.now()
    if kind not in AdEvent.Type.values:
        raise InvalidInput("The type is impression, click or complete.", field="type")
    decision = ads_selectors.decision_get(decision_id=decision_id)
    if now - decision.created_at > timedelta(seconds=settings.ADS_DECISION_TTL_S):
        raise NotFound("This ad decision has expired.", code="ad_decision_expired")
    if kind == AdEvent.Type.IMPRESSION:
        return _impression(decision, now)
    return _interaction(decision, kind, now)

"""The moderation console is the Django admin.

- *Reports*: the queue, ordered by severity, then by how many open reports the target has; the
  target previewed (text, image, thumbnail, a player link, chat context); the thread with the
  reporter; actions: dismiss, remove, restore, escalate, message the reporter, and graded
  enforcement on the target's author (warn, strike, limit, suspend, ban).
- *Signals*: the automatic classifiers' decisions awaiting review (held and removed first, the
  highest scores first), the same preview; confirm, overturn, escalate, enforcement.
- *Appeals*: grant or reject (by a moderator other than the one who decided).
- *Account actions*: the enforcement history; revoke.
- *Watched words* and *known-bad image hashes*: the staff's lists.

Every action goes through ``moderation.services`` (audited). Acting needs the ``moderator``
group's permissions (``act_on_report``, ``act_on_signal``, ``act_on_account``, ``decide_appeal``):
a plain staff user without them gets a 403 or no actions at all."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.storage import default_storage
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from accounts.models import User
from live import selectors as live_selectors
from moderation import selectors, services
from moderation.classifiers import pdq, toxicity
from moderation.models import (
    COPYRIGHT_REASONS,
    AccountAction,
    Appeal,
    HashEntry,
    Report,
    ReportMessage,
    Signal,
    TargetType,
    WatchedWord,
)
from moderation.services.classification import image_array
from socialflow.core.admin_actions import confirmed_reason, reason_page
from socialflow.core.exceptions import DomainError

PREVIEW_LENGTH = 80
CHAT_CONTEXT = 5


class CopyrightFilter(admin.SimpleListFilter):
    title = "routed to copyright"
    parameter_name = "copyright"

    def lookups(self, request, model_admin):
        return [("yes", "Rights reports"), ("no", "Other reports")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(reason__in=COPYRIGHT_REASONS)
        if self.value() == "no":
            return queryset.exclude(reason__in=COPYRIGHT_REASONS)
        return queryset


def _excerpt(target) -> str:
    for field in ("title", "text", "username"):
        value = getattr(target, field, None)
        if isinstance(value, str) and value:
            text = " ".join(value.split())
            return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"
    return str(target)


def _admin_link(target, text: str):
    meta = target._meta
    try:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[target.pk])
    except NoReverseMatch:
        return text
    return format_html('<a href="{}">{}</a>', url, text)


def _media_url(name: str) -> str | None:
    try:
        return default_storage.url(name) if name else None
    except (NotImplementedError, ValueError):
        return None


def target_preview(target_type: str, target, *, image: str = "", context: bool = False):
    """The target as a moderator needs to see it: text, image or thumbnail, a player link, and
    (``context``: on the change page, not per row of a list) the chat around a message."""
    if target is None:
        return "(gone)"
    parts = [_admin_link(target, _excerpt(target))]
    if target_type == TargetType.POST:
        for url in [a.get("url") for a in (target.attachments or []) if a.get("type") == "image"][:4]:
            parts.append(format_html('<img src="{}" style="max-height:80px;margin:2px" alt="">', url))
    elif target_type == TargetType.VIDEO:
        thumb = _media_url(target.thumbnail)
        if thumb:
            parts.append(format_html('<img src="{}" style="max-height:80px" alt="thumbnail">', thumb))
        player = _media_url(target.master_playlist)
        if player:
            parts.append(format_html('<a href="{}" target="_blank">▶ play (HLS)</a>', player))
    elif target_type == TargetType.USER:
        avatar = _media_url(target.avatar.name) if target.avatar else None
        if avatar:
            parts.append(format_html('<img src="{}" style="max-height:64px" alt="avatar">', avatar))
    elif target_type == TargetType.CHAT_MESSAGE and context:
        around = live_selectors.chat_context(message=target, around=CHAT_CONTEXT)
        parts.append(
            format_html(
                "<ol style='font-size:smaller'>{}</ol>",
                format_html_join(
                    "",
                    "<li{}>{}: {}</li>",
                    ((" style='font-weight:bold'" if m.pk == target.pk else "", m.user_id, m.text) for m in around),
                ),
            )
        )
    if image and target_type != TargetType.USER:
        url = _media_url(image)
        if url:
            parts.append(format_html('<img src="{}" style="max-height:80px" alt="classified image">', url))
    return format_html_join(" ", "{}", ((p,) for p in parts))


# --- graded enforcement (shared by the report and signal queues) ----------------------------------------


class EnforceForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="Told to the user with a link to appeal."
    )
    days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, help_text="For a limit or a suspension: how many days."
    )


ENFORCEMENT_LABELS = {
    AccountAction.Kind.WARN: "Warn the author…",
    AccountAction.Kind.STRIKE: "Give the author a strike…",
    AccountAction.Kind.LIMIT: "Limit the author (no uploads or live)…",
    AccountAction.Kind.SUSPEND: "Suspend the author…",
    AccountAction.Kind.BAN: "Ban the author permanently…",
}


class EnforcementActions:
    """Admin actions acting on the author of each selected item's target (``_author_of``)."""

    def has_enforce_permission(self, request):
        return request.user.has_perm("moderation.act_on_account")

    def _author_of(self, obj) -> User | None:
        target = selectors.target_get(target_type=obj.target_type, target_id=obj.target_id)
        if target is None:
            return None
        owner_id = selectors.target_owner_id(target_type=obj.target_type, target=target)
        return User.objects.filter(pk=owner_id).first()

    def _enforce(self, request, queryset, kind: str):
        needs_days = kind in (AccountAction.Kind.LIMIT, AccountAction.Kind.SUSPEND)
        form = EnforceForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid() and (form.cleaned_data["days"] or not needs_days):
            days = form.cleaned_data["days"]
            done, users = 0, set()
            for obj in queryset:
                author = self._author_of(obj)
                if author is None or author.pk in users:
                    continue
                users.add(author.pk)
                try:
                    services.account_action_create(
                        user=author,
                        kind=kind,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                        duration=timedelta(days=days) if days else None,
                        report=obj if isinstance(obj, Report) else None,
                        signal=obj if isinstance(obj, Signal) else None,
                    )
                    done += 1
                except DomainError as exc:
                    self.message_user(request, f"{author}: {exc.message}", messages.ERROR)
            self.message_user(request, f"{AccountAction.Kind(kind).label}: {done} account(s).", messages.SUCCESS)
            return None
        if form.is_bound and form.is_valid():
            form.add_error("days", "Say for how many days.")
        context = {
            **self.admin_site.each_context(request),
            "title": ENFORCEMENT_LABELS[kind].rstrip("…"),
            "opts": self.model._meta,
            "form": form,
            "objects": queryset[:200],
            "count": queryset.count(),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": request.POST.get("action", ""),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/core/moderation_reason.html", context)

    @admin.action(description=ENFORCEMENT_LABELS[AccountAction.Kind.WARN], permissions=["enforce"])
    def warn_author(self, request, queryset):
        return self._enforce(request, queryset, AccountAction.Kind.WARN)

    @admin.action(description=ENFORCEMENT_LABELS[AccountAction.Kind.STRIKE], permissions=["enforce"])
    def strike_author(self, request, queryset):
        return self._enforce(request, queryset, AccountAction.Kind.STRIKE)

    @admin.action(description=ENFORCEMENT_LABELS[AccountAction.Kind.LIMIT], permissions=["enforce"])
    def limit_author(self, request, queryset):
        return self._enforce(request, queryset, AccountAction.Kind.LIMIT)

    @admin.action(description=ENFORCEMENT_LABELS[AccountAction.Kind.SUSPEND], permissions=["enforce"])
    def suspend_author(self, request, queryset):
        return self._enforce(request, queryset, AccountAction.Kind.SUSPEND)

    @admin.action(description=ENFORCEMENT_LABELS[AccountAction.Kind.BAN], permissions=["enforce"])
    def ban_author(self, request, queryset):
        return self._enforce(request, queryset, AccountAction.Kind.BAN)


ENFORCEMENT_ACTIONS = ["warn_author", "strike_author", "limit_author", "suspend_author", "ban_author"]


# --- reports -----------------------------------------------------------------------------------------------


class ReportMessageInline(admin.TabularInline):
    model = ReportMessage
    extra = 0
    fields = ("created_at", "by_moderator", "author", "text")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # moderators write through the "Message the reporter" action (audited)


class EscalatedFilter(admin.SimpleListFilter):
    title = "escalated to staff"
    parameter_name = "escalated"

    def lookups(self, request, model_admin):
        return [("yes", "Escalated"), ("no", "Not escalated")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(escalated=self.value() == "yes")
        return queryset


@admin.register(Report)
class ReportAdmin(EnforcementActions, admin.ModelAdmin):
    list_display = (
        "id",
        "severity",
        "open_on_target",
        "reason",
        "target_type",
        "target_preview",
        "reporter",
        "status",
        "escalated",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = ("status", "reason", "target_type", CopyrightFilter, EscalatedFilter)
    search_fields = ("reporter__username", "details")
    actions = [
        "dismiss_reports",
        "remove_content",
        "mark_sensitive",
        "restore_content",
        "escalate_reports",
        "message_reporter",
        *ENFORCEMENT_ACTIONS,
    ]
    inlines = [ReportMessageInline]
    readonly_fields = (
        "reporter",
        "target_type",
        "target_id",
        "target_in_context",
        "reason",
        "details",
        "severity",
        "status",
        "escalated",
        "resolved_by",
        "resolved_at",
        "resolution_note",
        "created_at",
    )
    exclude = ("target_content_type",)

    def get_queryset(self, request):
        # The queue's order (severity, open reports on the target) comes from the selector.
        return selectors.report_queue().prefetch_related("target")

    def has_add_permission(self, request):
        return False  # reports are made by users through the API

    def has_delete_permission(self, request, obj=None):
        return False  # a report is history: it is dismissed or resolved, never deleted

    def has_act_permission(self, request):
        return request.user.has_perm("moderation.act_on_report")

    def has_escalate_permission(self, request):
        return request.user.has_perm("moderation.escalate")

    @admin.display(description="open on target", ordering="open_on_target")
    def open_on_target(self, report):
        return getattr(report, "open_on_target", None)

    @admin.display(description="target")
    def target_preview(self, report):
        target = report.target
        if target is None:
            return f"{report.target_type} {report.target_id} (gone)"
        return target_preview(report.target_type, target)

    @admin.display(description="target")
    def target_in_context(self, report):
        return target_preview(report.target_type, report.target, context=True)

    @admin.action(description="Dismiss selected reports (no violation)", permissions=["act"])
    def dismiss_reports(self, request, queryset):
        count = services.reports_dismiss(reports=list(queryset), by=request.user)
        self.message_user(request, f"{count} report(s) dismissed.", messages.SUCCESS)

    @admin.action(description="Remove the reported content (closes every open report on it)…", permissions=["act"])
    def remove_content(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Remove reported content")
        count = 0
        for report in queryset:
            count += services.report_target_remove(report=report, by=request.user, reason=reason)
        self.message_user(request, f"Content removed; {count} report(s) resolved.", messages.SUCCESS)
        return None

    @admin.action(
        description="Mark the reported post or video sensitive (stays up behind a warning)…", permissions=["act"]
    )
    def mark_sensitive(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Mark reported content sensitive")
        closed = sum(services.report_target_mark_sensitive(report=r, by=request.user, reason=reason) for r in queryset)
        skipped = sum(1 for r in queryset if r.target_type not in services.SENSITIVE_TARGETS)
        self.message_user(request, f"Marked sensitive; {closed} report(s) resolved.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} report(s) skipped: only posts and videos carry the mark.", messages.WARNING
            )
        return None

    @admin.action(description="Restore the reported content (held or removed → visible)…", permissions=["act"])
    def restore_content(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Restore content")
        count = sum(
            services.target_restore(target_type=r.target_type, target_id=r.target_id, by=request.user, reason=reason)
            for r in queryset
        )
        self.message_user(request, f"{count} item(s) restored.", messages.SUCCESS)
        return None

    @admin.action(description="Escalate to staff…", permissions=["escalate"])
    def escalate_reports(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Escalate to staff")
        count = services.reports_escalate(reports=list(queryset), by=request.user, reason=reason)
        self.message_user(request, f"{count} report(s) escalated.", messages.SUCCESS)
        return None

    @admin.action(description="Message the reporter…", permissions=["act"])
    def message_reporter(self, request, queryset):
        text = confirmed_reason(request)
        if not text:
            return reason_page(self, request, queryset, title="Message the reporter")
        for report in queryset:
            services.report_message_add(report=report, author=request.user, text=text, by_moderator=True)
        self.message_user(request, f"Message sent on {queryset.count()} report(s).", messages.SUCCESS)
        return None


# --- signals -------------------------------------------------------------------------------------------------


class DecisionFilter(admin.SimpleListFilter):
    title = "needs review"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("pending", "Awaiting review"), ("all", "All")]

    def queryset(self, request, queryset):
        if self.value() in (None, "pending"):
            return queryset.filter(review=Signal.Review.PENDING)
        return queryset

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "pending") == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


@admin.register(Signal)
class SignalAdmin(EnforcementActions, admin.ModelAdmin):
    list_display = (
        "id",
        "decision",
        "classifier",
        "score",
        "label",
        "target_type",
        "preview",
        "input_label",
        "review",
        "escalated",
        "created_at",
    )
    list_filter = (DecisionFilter, "decision", "classifier", "target_type", "escalated", "review")
    ordering = ("-escalated", "-score", "-id")
    search_fields = ("excerpt", "label", "author__username")
    actions = ["confirm_signals", "overturn_signals", "escalate_signals", *ENFORCEMENT_ACTIONS]
    exclude = ("target_content_type",)
    readonly_fields = [f.name for f in Signal._meta.fields if f.name != "target_content_type"] + ["in_context"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author", "target_content_type").prefetch_related("target")

    def has_add_permission(self, request):
        return False  # signals come from the classifiers

    def has_delete_permission(self, request, obj=None):
        return False

    def has_act_permission(self, request):
        return request.user.has_perm("moderation.act_on_signal")

    def has_escalate_permission(self, request):
        return request.user.has_perm("moderation.escalate")

    @admin.display(description="content")
    def preview(self, signal):
        return target_preview(signal.target_type, signal.target, image=(signal.details or {}).get("source", ""))

    @admin.display(description="content")
    def in_context(self, signal):
        source = (signal.details or {}).get("source", "")
        return target_preview(signal.target_type, signal.target, image=source, context=True)

    @admin.action(description="Confirm: the content violates (held → removed)…", permissions=["act"])
    def confirm_signals(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Confirm automatic decisions")
        count = services.signals_review(signals=list(queryset), by=request.user, confirm=True, reason=reason)
        self.message_user(request, f"{count} signal(s) confirmed.", messages.SUCCESS)
        return None

    @admin.action(description="Overturn: no violation (restore the content)…", permissions=["act"])
    def overturn_signals(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Overturn automatic decisions")
        count = services.signals_review(signals=list(queryset), by=request.user, confirm=False, reason=reason)
        self.message_user(request, f"{count} signal(s) overturned.", messages.SUCCESS)
        return None

    @admin.action(description="Escalate to staff…", permissions=["escalate"])
    def escalate_signals(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Escalate to staff")
        count = services.signals_escalate(signals=list(queryset), by=request.user, reason=reason)
        self.message_user(request, f"{count} signal(s) escalated.", messages.SUCCESS)
        return None


# --- account actions and appeals ----------------------------------------------------------------------------


@admin.register(AccountAction)
class AccountActionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kind", "reason", "until", "created_by", "automatic", "revoked_at", "created_at")
    list_filter = ("kind", "automatic", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "reason")
    list_select_related = ("user", "created_by")
    readonly_fields = [f.name for f in AccountAction._meta.fields]
    actions = ["revoke_actions"]

    def has_add_permission(self, request):
        return False  # through the queues' enforcement actions (audited, the user told)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_act_permission(self, request):
        return request.user.has_perm("moderation.act_on_account")

    @admin.action(description="Revoke (lift a suspension or ban)…", permissions=["act"])
    def revoke_actions(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Revoke account actions")
        count = sum(services.account_action_revoke(action=a, by=request.user, reason=reason) for a in queryset)
        self.message_user(request, f"{count} action(s) revoked.", messages.SUCCESS)
        return None


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "user", "subject", "text", "decided_by", "created_at")
    list_filter = ("status",)
    search_fields = ("user__username", "text")
    list_select_related = ("user", "action", "decided_by")
    ordering = ("-status", "created_at")  # pending first, oldest first
    readonly_fields = [f.name for f in Appeal._meta.fields] + ["subject"]
    actions = ["grant_appeals", "reject_appeals"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return request.user.has_perm("moderation.decide_appeal")

    @admin.display(description="appealed")
    def subject(self, appeal):
        if appeal.action_id is not None:
            return f"{appeal.action.get_kind_display()}: {appeal.action.reason}"
        target = selectors.target_get(target_type=appeal.target_type, target_id=appeal.target_id)
        return target_preview(appeal.target_type, target)

    def _decide(self, request, queryset, *, grant: bool, title: str):
        note = confirmed_reason(request)
        if note is None:
            return reason_page(self, request, queryset, title=title)
        done = 0
        for appeal in queryset:
            try:
                services.appeal_decide(appeal=appeal, by=request.user, grant=grant, note=note)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"Appeal {appeal.pk}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{done} appeal(s) decided.", messages.SUCCESS)
        return None

    @admin.action(description="Grant: reverse the decision…", permissions=["decide"])
    def grant_appeals(self, request, queryset):
        return self._decide(request, queryset, grant=True, title="Grant appeals")

    @admin.action(description="Reject: the decision stands…", permissions=["decide"])
    def reject_appeals(self, request, queryset):
        return self._decide(request, queryset, grant=False, title="Reject appeals")


# --- the staff's lists -------------------------------------------------------------------------------------


@admin.register(WatchedWord)
class WatchedWordAdmin(admin.ModelAdmin):
    list_display = ("phrase", "action", "added_by", "created_at")
    list_filter = ("action",)
    search_fields = ("phrase",)
    exclude = ("added_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
        toxicity.watched_words_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        toxicity.watched_words_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        toxicity.watched_words_changed()


class HashEntryForm(forms.ModelForm):
    image = forms.ImageField(required=False, help_text="Or upload the image: its PDQ hash is computed here.")

    class Meta:
        model = HashEntry
        fields = ("pdq", "description", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pdq"].required = False

    def clean(self):
        data = super().clean()
        upload = data.get("image")
        if upload is not None:
            array = image_array(upload.read())
            if array is None:
                raise forms.ValidationError({"image": "Not an image this server can read."})
            data["pdq"], _quality = pdq.pdq_hex(array)
        digest = (data.get("pdq") or "").strip().lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise forms.ValidationError({"pdq": "A PDQ hash is 64 hexadecimal digits (or upload the image)."})
        data["pdq"] = digest
        self.instance.pdq = digest
        return data


@admin.register(HashEntry)
class HashEntryAdmin(admin.ModelAdmin):
    form = HashEntryForm
    list_display = ("pdq", "description", "active", "added_by", "created_at")
    list_filter = ("active",)
    search_fields = ("pdq", "description")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
        pdq.hash_list_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        pdq.hash_list_changed()

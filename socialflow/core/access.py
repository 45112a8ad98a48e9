"""The access layer: who may see which object, and who may act on it.

One question, asked one way everywhere::

    access.visible_to("video", viewer)              # a QuerySet of what the viewer may see
    access.visible_to("video", viewer, queryset=qs)  # narrow an existing queryset
    access.can_view(viewer, obj)                      # one object (kind from the model)
    access.can_act(viewer, "comment", obj)            # an action on one object

Each domain app owns the *policy* of its kinds (``user``, ``post``, ``video``, ``comment``,
``playlist``, ``stream``, ``chat_message``, ``notification``) and registers it from its
``AppConfig.ready()`` with :func:`register_policy`. Other apps narrow a kind with *rules*
(:func:`add_rule`): a rule can only take rows away (its filter is AND-ed with the policy's), so an
app that adds one — copyright's blocked territories, moderation's suspended authors — can never
widen what someone sees by mistake.

Two questions belong to no single kind and have their own extension points:

- **Membership** (:func:`is_member`, :func:`members_q`): who is a member of a creator's
  channel. Until an app registers a provider (:func:`set_membership_provider`, monetization's job)
  nobody is a member except the creator themself; "members" content (videos, posts, the chat of
  members-only streams) is therefore for its owner only (and moderators/staff where the kind's
  policy lets them see everything). No other place decides membership.
- **Moderation state** (:func:`moderation_hidden_q`, :func:`is_moderation_hidden`): whether a
  moderator has hidden or removed an object. Every policy reads it through these two functions, so
  the shape of the moderation state is known in one place.

This module imports no domain app (``socialflow.core`` is the bottom of the dependency graph).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Q, QuerySet

from socialflow.core.moderation import ModerationStatus

# --- viewers --------------------------------------------------------------------------------------


def viewer_id(viewer) -> int | None:
    """The viewer's user id, or ``None`` for anonymous (``None`` or ``AnonymousUser``)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return viewer.pk


def is_authenticated(viewer) -> bool:
    return viewer_id(viewer) is not None


def is_moderator(viewer) -> bool:
    """Site moderators, admins and staff (``User.is_moderator``)."""
    return is_authenticated(viewer) and bool(getattr(viewer, "is_moderator", False))


def is_staff(viewer) -> bool:
    return is_authenticated(viewer) and bool(getattr(viewer, "is_staff", False))


# --- policies and rules ---------------------------------------------------------------------------


class Policy:
    """The owning app's rule for one kind of object. Subclass and override.

    ``visible_q`` is the rule as a filter on the kind's model (the lists), written relative to
    ``prefix`` so another kind can filter through a relation (comments by ``"video__"``, reposts by
    ``"repost_of__"``); ``can_view`` is the same rule on one loaded object (details, checks). ``can_act`` answers for actions ("comment",
    "react", "edit", "delete", "moderate", ...); by default only a signed-in viewer who can see the
    object may act on it, and only its owner may edit or delete it.
    """

    kind: str = ""
    model: type[Model] | None = None

    def owner_id(self, obj) -> int | None:
        return getattr(obj, "author_id", None) or getattr(obj, "owner_id", None)

    def visible_q(self, viewer, prefix: str = "") -> Q:
        raise NotImplementedError(f"{type(self).__name__} must define visible_q")

    def can_view(self, viewer, obj) -> bool:
        raise NotImplementedError(f"{type(self).__name__} must define can_view")

    def can_act(self, viewer, action: str, obj) -> bool:
        if not is_authenticated(viewer) or not self.can_view(viewer, obj):
            return False
        if action in ("edit", "delete"):
            return self.owner_id(obj) == viewer_id(viewer)
        return True


@dataclass(frozen=True)
class Rule:
    """An extra condition another app puts on a kind. Every part is optional; each is AND-ed.

    - ``visible_q(viewer, prefix) -> Q``: the rows this rule lets through (fields after ``prefix``);
    - ``can_view(viewer, obj) -> bool``: the same on one object;
    - ``can_act(viewer, action, obj) -> bool``: consulted for actions (after ``can_view``).
    """

    name: str
    visible_q: Callable[[Any, str], Q] | None = None
    can_view: Callable[[Any, Any], bool] | None = None
    can_act: Callable[[Any, str, Any], bool] | None = None


_policies: dict[str, Policy] = {}
_models: dict[type[Model], str] = {}
_rules: dict[str, list[Rule]] = {}


def register_policy(kind: str, policy: Policy, *, model: type[Model]) -> None:
    """Declare the policy of ``kind`` (one per kind; the owning app calls this in ``ready()``)."""
    existing = _policies.get(kind)
    if existing is not None and type(existing) is not type(policy):
        raise ValueError(f"access kind {kind!r} already has a policy ({type(existing).__name__})")
    policy.kind, policy.model = kind, model
    _policies[kind] = policy
    _models[model] = kind
    _rules.setdefault(kind, [])


def add_rule(kind: str, rule: Rule) -> None:
    """Narrow ``kind`` with ``rule`` (idempotent by rule name, so a reloaded app does not stack)."""
    rules = _rules.setdefault(kind, [])
    rules[:] = [r for r in rules if r.name != rule.name]
    rules.append(rule)


def remove_rule(kind: str, name: str) -> None:
    """Take a rule away again (tests that add one clean up with this)."""
    rules = _rules.get(kind, [])
    rules[:] = [r for r in rules if r.name != name]


def kinds() -> list[str]:
    return sorted(_policies)


def rules_for(kind: str) -> list[Rule]:
    return list(_rules.get(kind, []))


def policy_for(kind: str) -> Policy:
    try:
        return _policies[kind]
    except KeyError:
        raise LookupError(f"no access policy registered for {kind!r} (registered: {kinds()})") from None


def kind_of(obj) -> str:
    for klass in type(obj).__mro__:
        if klass in _models:
            return _models[klass]
    raise LookupError(f"no access policy registered for {type(obj).__name__}")


# --- the questions --------------------------------------------------------------------------------


def visible_q(kind: str, viewer, *, prefix: str = "") -> Q:
    """The filter of everything of ``kind`` ``viewer`` may see (policy AND every rule); ``prefix``
    applies it through a relation (``visible_q("video", viewer, prefix="video__")`` on comments)."""
    return policy_for(kind).visible_q(viewer, prefix) & rules_q(kind, viewer, prefix=prefix)


def rules_q(kind: str, viewer, *, prefix: str = "") -> Q:
    """Only the rules other apps added to ``kind`` (for a policy that applies its own part itself)."""
    q = Q()
    for rule in _rules.get(kind, ()):
        if rule.visible_q is not None:
            q &= rule.visible_q(viewer, prefix)
    return q


def visible_to(kind: str, viewer, *, queryset: QuerySet | None = None) -> QuerySet:
    """``queryset`` (default: every row of the kind's model) narrowed to what ``viewer`` may see."""
    policy = policy_for(kind)
    if queryset is None:
        queryset = policy.model._default_manager.all()
    return queryset.filter(visible_q(kind, viewer))


def can_view(viewer, obj, *, kind: str | None = None, **context) -> bool:
    """May ``viewer`` see ``obj``? ``context`` is facts the caller already holds and the kind's
    policy accepts instead of querying (the home feed passes the viewer's blocks); rules get none."""
    kind = kind or kind_of(obj)
    if not policy_for(kind).can_view(viewer, obj, **context):
        return False
    return all(rule.can_view(viewer, obj) for rule in _rules.get(kind, ()) if rule.can_view is not None)


def can_act(viewer, action: str, obj, *, kind: str | None = None) -> bool:
    """May ``viewer`` do ``action`` to ``obj``? Requires ``can_view``, the policy and every rule."""
    kind = kind or kind_of(obj)
    if not can_view(viewer, obj, kind=kind):
        return False
    if not policy_for(kind).can_act(viewer, action, obj):
        return False
    return all(rule.can_act(viewer, action, obj) for rule in _rules.get(kind, ()) if rule.can_act is not None)


# --- membership -----------------------------------------------------------------------------------


class MembershipProvider:
    """Answers "is this viewer a member of that creator's channel?". The default: nobody is."""

    def is_member(self, *, user_id: int, creator_id: int) -> bool:
        return False

    def creator_ids(self, *, user_id: int) -> Iterable[int] | QuerySet:
        """Creators whose channel ``user_id`` is a member of (a list, or a ``values()`` queryset)."""
        return []


_membership: MembershipProvider = MembershipProvider()


def set_membership_provider(provider: MembershipProvider | None) -> None:
    """Monetization registers the real membership check here (``None``: nobody is a member)."""
    global _membership
    _membership = provider or MembershipProvider()


def membership_provider() -> MembershipProvider:
    """The provider in place (a test that swaps it puts this one back)."""
    return _membership


def is_member(viewer, *, creator_id: int) -> bool:
    """A creator is a member of their own channel; everyone else only if the provider says so."""
    uid = viewer_id(viewer)
    if uid is None:
        return False
    return uid == creator_id or bool(_membership.is_member(user_id=uid, creator_id=creator_id))


def members_q(viewer, *, field: str = "author_id") -> Q:
    """Rows whose creator (``field``) has ``viewer`` as a member (the creator included)."""
    uid = viewer_id(viewer)
    if uid is None:
        return Q(pk__in=[])
    creators = _membership.creator_ids(user_id=uid)
    q = Q(**{field: uid})
    if isinstance(creators, QuerySet) or creators:
        q |= Q(**{f"{field}__in": creators})
    return q


# --- moderation state -----------------------------------------------------------------------------
# The only place that knows how "held or removed by a moderator" is stored (the ``moderation_status``
# of ``socialflow.core.moderation.Moderatable``); policies read it through these functions.

_HIDDEN = (ModerationStatus.HELD, ModerationStatus.REMOVED)


def moderation_hidden_q(prefix: str = "") -> Q:
    """Rows a moderator has held or removed (``prefix`` for a related object, e.g. ``"repost_of__"``)."""
    return Q(**{f"{prefix}moderation_status__in": _HIDDEN})


def moderation_shown_q(prefix: str = "") -> Q:
    """Rows no moderator has held or removed (the positive filter, cheaper across a join)."""
    return Q(**{f"{prefix}moderation_status": ModerationStatus.VISIBLE})


def is_moderation_hidden(obj) -> bool:
    return getattr(obj, "moderation_status", ModerationStatus.VISIBLE) in _HIDDEN


def moderation_held_q(prefix: str = "") -> Q:
    """Rows held for review (a policy may still show them to their owner, e.g. a held comment)."""
    return Q(**{f"{prefix}moderation_status": ModerationStatus.HELD})


def is_moderation_held(obj) -> bool:
    return getattr(obj, "moderation_status", None) == ModerationStatus.HELD

"""Studio page ``/studio/copyright/``: claims on my videos (the matched segment, dispute and appeal
forms) and, for a rights holder, my references and the claims I made (release, uphold)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from copyright import selectors, services
from socialflow.core.exceptions import DomainError

ACTIONS = {
    "dispute": lambda claim, user, reason: services.claim_dispute(claim=claim, user=user, reason=reason),
    "appeal": lambda claim, user, reason: services.claim_appeal(claim=claim, user=user, reason=reason),
    "release": lambda claim, user, reason: services.claim_release(claim=claim, user=user),
    "uphold": lambda claim, user, reason: services.claim_uphold(claim=claim, user=user),
}
DONE = {"dispute": "Dispute sent.", "appeal": "Appeal sent.", "release": "Claim released.", "uphold": "Claim upheld."}


@login_required
@require_http_methods(["GET", "POST"])
def index(request):
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action not in ACTIONS:
                raise DomainError("Unknown action.")
            claim = selectors.claim_get_for_party(claim_id=request.POST.get("claim", ""), user=request.user)
            ACTIONS[action](claim, request.user, request.POST.get("reason", ""))
            messages.success(request, DONE[action])
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("copyright:index")
    holder = selectors.is_rights_holder(user=request.user)
    context = {
        "on_my_videos": selectors.claims_for(user=request.user, role="uploader")[:100],
        "is_rights_holder": holder,
        "references": selectors.references_of(user=request.user)[:100] if holder else [],
        "my_claims": selectors.claims_for(user=request.user, role="claimant")[:100] if holder else [],
    }
    return render(request, "copyright/index.html", context)

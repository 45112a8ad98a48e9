"""Studio: the account page (profile form, links to password, email and two-factor pages)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts import selectors, services
from accounts.forms import ProfileForm
from socialflow.core.exceptions import InvalidInput


@login_required
def index(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.user_profile_update(user=user, **form.service_kwargs())
            except InvalidInput as exc:
                for field, errors in (exc.field_errors or {None: [exc.message]}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, "Profile saved.")
                return redirect("accounts:index")
    else:
        form = ProfileForm(
            initial={
                "display_name": user.display_name,
                "bio": user.bio,
                "links": "\n".join(user.links or []),
                "is_private": user.is_private,
            }
        )
    account = selectors.own_account_get(user=user)
    return render(request, "accounts/index.html", {"form": form, "account": account})

from django import forms

from accounts.services.users import MAX_LINKS


class ProfileForm(forms.Form):
    """The Studio profile form; saving goes through ``accounts.services.user_profile_update``."""

    display_name = forms.CharField(max_length=50, required=False)
    bio = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    links = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Up to {MAX_LINKS} http(s) links, one per line.",
    )
    is_private = forms.BooleanField(required=False, label="Private account (approve followers)")
    avatar = forms.ImageField(required=False, help_text="JPEG, PNG, GIF or WebP.")
    remove_avatar = forms.BooleanField(required=False, label="Remove the current avatar")

    def clean_links(self):
        links = [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]
        if len(links) > MAX_LINKS:
            raise forms.ValidationError(f"At most {MAX_LINKS} links.")
        return links

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {k: data[k] for k in ("display_name", "bio", "links", "is_private")}
        if data.get("avatar"):
            kwargs["avatar"] = data["avatar"]
        elif data.get("remove_avatar"):
            kwargs["avatar"] = None
        return kwargs

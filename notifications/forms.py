"""The Studio preferences grid: one checkbox per kind × channel, plus the email mode."""

from django import forms

from notifications.models import Channel, EmailMode, Kind
from notifications.preferences import Channels


def field_name(kind: str, channel: str) -> str:
    return f"{kind}__{channel}"


class PreferencesForm(forms.Form):
    email_mode = forms.ChoiceField(choices=EmailMode.choices, widget=forms.RadioSelect)

    def __init__(self, *args, current: dict[str, Channels], email_mode: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email_mode"].initial = email_mode
        self.rows = []
        for kind in Kind:
            cells = []
            for channel in Channel:
                name = field_name(kind.value, channel.value)
                self.fields[name] = forms.BooleanField(
                    required=False,
                    initial=getattr(current[kind.value], channel.value),
                    label=f"{kind.label}: {channel.label}",
                )
                cells.append(name)
            self.rows.append({"kind": kind, "fields": [self[name] for name in cells]})

    def kinds_changes(self) -> dict[str, dict[str, bool]]:
        return {
            kind.value: {channel.value: self.cleaned_data[field_name(kind.value, channel.value)] for channel in Channel}
            for kind in Kind
        }

"""The Studio earnings page's forms: amounts typed as decimals (``12.50``), read with ``Money.parse``."""

from django import forms
from django.conf import settings

from socialflow.core.money import Money, MoneyError


class MoneyField(forms.CharField):
    """A decimal amount in MONETIZATION_CURRENCY (``12.50``), cleaned to its minor units."""

    def __init__(self, **kwargs):
        super().__init__(max_length=32, **kwargs)

    def clean(self, value):
        text = super().clean(value).strip()
        try:
            money = Money.parse(text, settings.MONETIZATION_CURRENCY)
        except MoneyError as exc:
            raise forms.ValidationError(exc.message) from None
        if money.amount_minor <= 0:
            raise forms.ValidationError("Enter an amount above zero.")
        return money.amount_minor


class TierCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    price = MoneyField(help_text="Per month.")
    perks = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TierEditForm(forms.Form):
    tier = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(max_length=100)
    perks = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    active = forms.BooleanField(required=False, initial=True, label="Offered to new members")


class PayoutForm(forms.Form):
    amount = MoneyField()

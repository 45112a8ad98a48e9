"""The Stripe objects localstripe lacks, written over its own object model (``StripeObject``,
``store``, ``Event``, ``schedule_webhook``), and its fixes. Importing this module registers them."""

import time

from localstripe import resources as ls
from localstripe.errors import UserError
from localstripe.resources import (
    Charge,
    Customer,
    Event,
    PaymentIntent,
    PaymentMethod,
    Product,
    Refund,
    StripeObject,
    extra_apis,
    random_id,
    schedule_webhook,
    store,
    try_convert_to_bool,
    try_convert_to_int,
)

# Where the local Checkout and Connect onboarding pages live (set by the server at start).
PUBLIC_BASE = {"url": "http://127.0.0.1:8420"}


def _bad(condition: bool, message: str = "Bad request") -> None:
    if not condition:
        raise UserError(400, message)


def _int(value, name: str, *, minimum: int = 0) -> int:
    value = try_convert_to_int(value)
    _bad(type(value) is int and value >= minimum, f"Invalid {name}")
    return value


# --- Price ----------------------------------------------------------------------------------------


class Price(StripeObject):
    object = "price"
    _id_prefix = "price_"

    def __init__(
        self,
        currency=None,
        unit_amount=None,
        product=None,
        product_data=None,
        recurring=None,
        nickname=None,
        metadata=None,
        active=True,
        lookup_key=None,
        **kwargs,
    ):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        unit_amount = _int(unit_amount, "unit_amount")
        _bad(type(currency) is str and len(currency) == 3, "Invalid currency")
        if recurring is not None:
            _bad(type(recurring) is dict and recurring.get("interval") in ("day", "week", "month", "year"))
            recurring = {
                "interval": recurring["interval"],
                "interval_count": _int(recurring.get("interval_count", 1), "interval_count", minimum=1),
                "usage_type": "licensed",
            }
        if product is None:
            _bad(type(product_data) is dict and type(product_data.get("name")) is str, "product or product_data")
            product = Product(name=product_data["name"]).id
        else:
            _bad(type(product) is str)
            Product._api_retrieve(product)
        super().__init__()
        self.currency = currency.lower()
        self.unit_amount = unit_amount
        self.product = product
        self.recurring = recurring
        self.type = "recurring" if recurring else "one_time"
        self.nickname = nickname
        self.metadata = metadata or {}
        self.active = try_convert_to_bool(active)
        self.lookup_key = lookup_key
        self.billing_scheme = "per_unit"
        self.currency_options = {}
        self.tax_behavior = "unspecified"
        self.tiers_mode = None
        self.transform_quantity = None
        self.custom_unit_amount = None
        schedule_webhook(Event("price.created", self))


# --- Connect: Account, AccountLink, Transfer ------------------------------------------------------


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(self, type=None, country=None, email=None, capabilities=None, metadata=None, **kwargs):
        # business_type, business_profile, settings…: accepted and ignored, as Express onboarding
        # collects them on Stripe's pages.
        _bad(type in ("express", "standard", "custom"), "Invalid type")
        super().__init__()
        self.type = type
        self.country = country or "US"
        self.email = email
        self.metadata = metadata or {}
        self.capabilities = dict.fromkeys(capabilities or {"transfers": {}}, "inactive")
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.default_currency = "usd"
        self.business_type = "individual"
        self.settings = {"payouts": {"schedule": {"interval": "daily", "delay_days": 2}}}
        self.requirements = {"currently_due": ["external_account"], "disabled_reason": "requirements.past_due"}

    def _complete_onboarding(self):
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.capabilities = dict.fromkeys(self.capabilities, "active")
        self.requirements = {"currently_due": [], "disabled_reason": None}
        store[self.object + ":" + self.id] = self  # persisted
        schedule_webhook(Event("account.updated", self))


PLATFORM_ACCOUNT_ID = "acct_1SocialFlowLocal0"


def _platform_account():
    key = "account:" + PLATFORM_ACCOUNT_ID
    account = store.get(key)
    if account is None:
        account = Account(type="standard", email="platform@socialflow.local")
        del store["account:" + account.id]
        account.id = PLATFORM_ACCOUNT_ID
        account.charges_enabled = account.payouts_enabled = account.details_submitted = True
        account.requirements = {"currently_due": [], "disabled_reason": None}
        store[key] = account
    return account


def _get_platform_account(**kwargs):
    return _platform_account()


extra_apis.append(("GET", "/v1/account", _get_platform_account))


class AccountLink(StripeObject):
    object = "account_link"
    _id_prefix = "acctlink_"

    def __init__(self, account=None, refresh_url=None, return_url=None, type=None, collect=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        _bad(type in ("account_onboarding", "account_update"), "Invalid type")
        _bad(all(isinstance(url, str) and url.startswith("http") for url in (refresh_url, return_url)), "URLs")
        _bad(isinstance(account, str))
        Account._api_retrieve(account)
        super().__init__()
        self.account = account
        self.type = type
        self.return_url = return_url
        self.refresh_url = refresh_url
        self.expires_at = int(time.time()) + 300
        self.url = f"{PUBLIC_BASE['url']}/_local/connect/{self.id}"


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(self, amount=None, currency=None, destination=None, metadata=None, transfer_group=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        amount = _int(amount, "amount", minimum=1)
        _bad(type(currency) is str and len(currency) == 3, "Invalid currency")
        _bad(isinstance(destination, str))
        account = Account._api_retrieve(destination)
        if not account.payouts_enabled:
            raise UserError(400, "The destination account has not finished onboarding", {"code": "account_invalid"})
        super().__init__()
        self.amount = amount
        self.currency = currency.lower()
        self.destination = destination
        self.metadata = metadata or {}
        self.transfer_group = transfer_group
        self.reversed = False
        self.amount_reversed = 0
        self.balance_transaction = "txn_" + random_id(24)
        schedule_webhook(Event("transfer.created", self))


# --- Subscriptions: Prices, trials, plan changes -------------------------------------------------


def _plan_for_price(price) -> str:
    """localstripe bills Plans: the Plan standing for a Price (``plan_<price id>``), made once."""
    plan_id = "plan_" + price.id
    if store.get("plan:" + plan_id) is None:
        ls.Plan(
            id=plan_id,
            amount=price.unit_amount,
            currency=price.currency,
            interval=price.recurring["interval"],
            interval_count=price.recurring["interval_count"],
            product=price.product,
        )
    return plan_id


def _item_price(self):
    """Stripe's subscription items name their Price; localstripe's only their Plan."""
    plan_id = self.plan.id if self.plan is not None else ""
    if plan_id.startswith("plan_price_"):
        return {"id": plan_id[len("plan_") :], "object": "price"}
    return None


ls.SubscriptionItem.price = property(_item_price)


def _trial_fix(subscription) -> None:
    """localstripe leaves a subscription made with ``trial_period_days`` ``incomplete`` with no
    trial end; Stripe makes it ``trialing`` until now + the days."""
    days = try_convert_to_int(getattr(subscription, "trial_period_days", None))
    if subscription.status == "incomplete" and type(days) is int and days > 0 and subscription.trial_end is None:
        now = int(time.time())
        subscription.status, subscription.trial_start, subscription.trial_end = "trialing", now, now + days * 86400


_event_init = Event.__init__


def _event_init_fixed(self, type, data):
    if isinstance(data, ls.Subscription):
        _trial_fix(data)  # before the event exports the object
    _event_init(self, type, data)


Event.__init__ = _event_init_fixed

_subscription_update = ls.Subscription._update


def _subscription_update_ours(self, items=None, proration_behavior=None, **data):
    """Stripe's way of changing plan, over localstripe's: items name a ``price``,
    ``proration_behavior`` is taken (localstripe always prorates against the paid invoices), and
    every update sends ``customer.subscription.updated`` (localstripe sends none)."""
    _bad(proration_behavior in (None, "create_prorations", "none", "always_invoice"), "Invalid proration_behavior")
    if items is not None:
        _bad(type(items) is list, "items")
        items = [dict(item) for item in items]
        for item in items:
            price_id = item.pop("price", None)
            if price_id is not None:
                _bad(isinstance(price_id, str), "items[price]")
                item["plan"] = _plan_for_price(Price._api_retrieve(price_id))
    _subscription_update(self, items=items, **data)
    store[self.object + ":" + self.id] = self  # persisted
    schedule_webhook(Event("customer.subscription.updated", self))


ls.Subscription._update = _subscription_update_ours


# --- Checkout Session -----------------------------------------------------------------------------


class CheckoutSession(StripeObject):
    object = "checkout.session"
    _id_prefix = "cs_test_"

    def __init__(
        self,
        mode=None,
        line_items=None,
        success_url=None,
        cancel_url=None,
        customer=None,
        customer_email=None,
        client_reference_id=None,
        metadata=None,
        subscription_data=None,
        payment_intent_data=None,
        **kwargs,
    ):
        _bad(mode in ("payment", "subscription"), "Invalid mode")
        _bad(type(line_items) is list and len(line_items) == 1, "One line item")
        item = line_items[0]
        _bad(type(item) is dict and isinstance(item.get("price"), str), "line_items[0][price]")
        price = Price._api_retrieve(item["price"])
        _bad((mode == "subscription") == bool(price.recurring), "The price does not match the mode")
        _bad(isinstance(success_url, str) and success_url.startswith("http"), "success_url")
        if customer is not None:
            Customer._api_retrieve(customer)
        super().__init__()
        self.mode = mode
        self.price = price.id
        self.quantity = _int(item.get("quantity", 1), "quantity", minimum=1)
        self.amount_total = price.unit_amount * self.quantity
        self.currency = price.currency
        self.success_url = success_url
        self.cancel_url = cancel_url
        self.customer = customer
        self.customer_email = customer_email
        self.client_reference_id = client_reference_id
        self.metadata = metadata or {}
        self.subscription_metadata = (subscription_data or {}).get("metadata", {})
        self.subscription_trial_days = (subscription_data or {}).get("trial_period_days")
        self.payment_status = "unpaid"
        self.status = "open"
        self.subscription = None
        self.payment_intent = None
        self.url = f"{PUBLIC_BASE['url']}/_local/checkout/{self.id}"

    def _pay(self, card_number="4242424242424242"):
        """What Stripe's hosted page does when the customer pays with that card."""
        _bad(self.status == "open", "This session is not open")
        if self.customer is None:
            self.customer = Customer(email=self.customer_email).id
        pm = PaymentMethod(type="card", card={"number": card_number, "exp_month": 12, "exp_year": 2040, "cvc": "123"})
        PaymentMethod._api_attach(pm.id, customer=self.customer)
        Customer._api_update(self.customer, invoice_settings={"default_payment_method": pm.id})
        if self.mode == "subscription":
            plan_id = _plan_for_price(Price._api_retrieve(self.price))
            subscription = ls.Subscription(
                customer=self.customer,
                items=[{"plan": plan_id, "quantity": self.quantity, "tax_rates": []}],
                metadata=dict(self.subscription_metadata),
                default_tax_rates=[],
                trial_period_days=getattr(self, "subscription_trial_days", None),
            )
            self.subscription = subscription.id
        else:
            intent = PaymentIntent._api_create(
                amount=self.amount_total,
                currency=self.currency,
                customer=self.customer,
                payment_method=pm.id,
                metadata=dict(self.metadata),
                confirm=True,
            )
            self.payment_intent = intent.id
        self.status = "complete"
        self.payment_status = "paid"
        store[self.object + ":" + self.id] = self
        schedule_webhook(Event("checkout.session.completed", self))
        return self


# --- fixes ----------------------------------------------------------------------------------------

_user_error_init = UserError.__init__


def _user_error_init_with_codes(self, code, message=None, contents=None):
    """Stripe names a missing object's error ``resource_missing`` (clients, dj-stripe among them,
    tell "gone" from "refused" by it); localstripe's 404s carry no code."""
    _user_error_init(self, code, message, contents)
    if code == 404:
        self.body["error"].setdefault("code", "resource_missing")


UserError.__init__ = _user_error_init_with_codes

_export = StripeObject._export


def _export_lenient(self, expand=None):
    """Stripe ignores an ``expand`` of a field that is empty or absent on the object; localstripe
    answers 400 for the whole request (dj-stripe asks for several): keep the paths that work."""
    try:
        return _export(self, expand=expand)
    except UserError as exc:
        if not (expand and "Bad expand" in str(exc.body.get("error", {}).get("message", ""))):
            raise
    usable = []
    for path in expand:
        try:
            _export(self, expand=[path])
        except UserError:
            continue
        usable.append(path)
    return _export(self, expand=usable)


StripeObject._export = _export_lenient

# Stripe's subscription items name their subscription; localstripe keeps it private.
ls.SubscriptionItem.subscription = property(lambda self: self._subscription)

_refund_init = Refund.__init__


def _refund_init_guarded(self, charge=None, payment_intent=None, amount=None, metadata=None, **kwargs):
    """Stripe refuses a refund above what remains of the charge; localstripe does not."""
    charge_obj = None
    if payment_intent is not None and isinstance(payment_intent, str):
        intent = PaymentIntent._api_retrieve(payment_intent)
        charge_obj = intent.latest_charge
    elif isinstance(charge, str):
        charge_obj = Charge._api_retrieve(charge)
    if charge_obj is not None:
        remaining = charge_obj.amount - charge_obj.amount_refunded
        wanted = try_convert_to_int(amount) if amount is not None else remaining
        if type(wanted) is int and wanted > remaining:
            raise UserError(
                400,
                f"Refund amount ({wanted}) is greater than unrefunded amount on charge ({remaining})",
                {"code": "charge_already_refunded" if remaining == 0 else "amount_too_large"},
            )
    _refund_init(self, charge=charge, payment_intent=payment_intent, amount=amount, metadata=metadata, **kwargs)
    schedule_webhook(Event("refund.created", self))
    schedule_webhook(Event("charge.refunded", Charge._api_retrieve(self.charge)))


Refund.__init__ = _refund_init_guarded


def _api_checkout_create(**data):
    return CheckoutSession(**data)


def _api_checkout_retrieve(id, **kwargs):
    return CheckoutSession._api_retrieve(id)


extra_apis.extend(
    (
        ("POST", "/v1/checkout/sessions", _api_checkout_create),
        ("GET", "/v1/checkout/sessions/{id}", _api_checkout_retrieve),
    )
)

RESOURCES = (Price, Account, AccountLink, Transfer)

"""A local Stripe-compatible server for development, CI and ``make run``: ``localstripe`` (its
object model, its HTTP server, its signed webhooks) plus what it lacks and this project uses —
Price, Account (Connect Express) with ``GET /v1/account``, AccountLink, Transfer, Checkout
Session — and two fixes: a refund can never exceed what remains of its charge, and refunds send
``charge.refunded`` like Stripe does.

Run it with ``python manage.py devstripe`` (supervisord does, under ``make run``). It binds
loopback only, keeps its state in ``VAR_DIR/devstripe.pickle`` (reset on every start) and pushes
webhooks signed with ``STRIPE_WEBHOOK_SECRET`` to our dj-stripe endpoint.

This package imports nothing of Django at module level (``resources`` and ``server`` run in the
server's own process); see ``monetization/management/commands/devstripe.py``.
"""

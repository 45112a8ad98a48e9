"""Creator plans: the catalogue (free … enterprise, with their quotas), billed as Stripe
subscriptions, and the limits provider of ``socialflow.core.quotas`` (docs/monetization.md,
"Creator plans")."""

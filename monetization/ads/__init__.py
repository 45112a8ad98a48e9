"""Ads: advertisers' campaigns, moderator review, the second-price auction that serves them, and
the impressions, clicks and completions they are charged for (docs/ads.md)."""

from django.urls import include, path

from monetization.api import views
from socialflow.api.routers import api_route as route

urlpatterns = [
    route("monetization/earnings", views.EarningsView.as_view(), "monetization-earnings"),
    route("monetization/tips", views.TipCreateView.as_view(), "monetization-tips"),
    route("monetization/connect", views.ConnectView.as_view(), "monetization-connect"),
    route("monetization/payouts", views.PayoutsView.as_view(), "monetization-payouts"),
    route("monetization/plans", views.PlansView.as_view(), "monetization-plans"),
    route("monetization/plan", views.PlanView.as_view(), "monetization-plan"),
    route("monetization/tiers", views.TiersView.as_view(), "monetization-tiers"),
    route(
        r"monetization/memberships/(?P<username>[^/]+)/checkout",
        views.MembershipCheckoutView.as_view(),
        "monetization-membership-checkout",
    ),
]

# Ads (monetization/ads/api): campaigns, serving, events.
urlpatterns += [path("", include("monetization.ads.api.urls"))]

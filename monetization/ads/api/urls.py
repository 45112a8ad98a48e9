from monetization.ads.api import views
from socialflow.api.routers import api_route as route

urlpatterns = [
    route("ads/campaigns", views.CampaignsView.as_view(), "ads-campaigns"),
    route(r"ads/campaigns/(?P<campaign_id>[0-9]+)", views.CampaignDetailView.as_view(), "ads-campaign"),
    route("ads/serve", views.AdServeView.as_view(), "ads-serve"),
    route("ads/events", views.AdEventsView.as_view(), "ads-events"),
    route("ads/balance", views.AdBalanceView.as_view(), "ads-balance"),
    route("ads/balance/top-ups", views.TopUpsView.as_view(), "ads-top-ups"),
    route("ads/balance/refunds", views.RefundsView.as_view(), "ads-refunds"),
]

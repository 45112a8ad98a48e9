from copyright.api import views
from socialflow.api.routers import api_route as route

urlpatterns = [
    route("copyright/references", views.ReferenceListCreateView.as_view(), "copyright-references"),
    route("copyright/claims", views.ClaimListCreateView.as_view(), "copyright-claims"),
    route(r"copyright/claims/(?P<claim_id>[0-9]+)", views.ClaimDetailView.as_view(), "copyright-claim"),
    route(
        r"copyright/claims/(?P<claim_id>[0-9]+)/dispute", views.ClaimDisputeView.as_view(), "copyright-claim-dispute"
    ),
    route(
        r"copyright/claims/(?P<claim_id>[0-9]+)/release", views.ClaimReleaseView.as_view(), "copyright-claim-release"
    ),
    route(r"copyright/claims/(?P<claim_id>[0-9]+)/uphold", views.ClaimUpholdView.as_view(), "copyright-claim-uphold"),
    route(r"copyright/claims/(?P<claim_id>[0-9]+)/appeal", views.ClaimAppealView.as_view(), "copyright-claim-appeal"),
]

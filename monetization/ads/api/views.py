"""Ads REST endpoints: advertisers' campaigns, serving an ad before a video, its events."""

from datetime import timedelta

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from monetization.ads import billing, selectors, services
from monetization.ads.api.serializers import (
    AdBalanceSerializer,
    AdDecisionSerializer,
    AdEventInput,
    AdEventSerializer,
    CampaignSerializer,
    RefundInput,
    RefundSerializer,
    TopUpInput,
    TopUpSerializer,
)
from socialflow.api.pagination import CURSOR_PARAMS, CursorPagination
from socialflow.core.exceptions import InvalidInput

CONFLICT = OpenApiResponse(description="Not possible in the campaign's or the ad's current state.")
NOT_FOUND = OpenApiResponse(description="No such video (or not visible to the caller), or no such decision.")
NO_FUNDS = OpenApiResponse(description="``insufficient_balance``: the prepaid balance does not cover the budget.")
NOT_REFUNDABLE = OpenApiResponse(
    description="``insufficient_balance``: more than is refundable (running campaigns' budgets are held for them)."
)


class CampaignPagination(CursorPagination):
    ordering = ("-created_at", "-id")


class CampaignsView(generics.GenericAPIView):
    """``GET ads/campaigns`` (the caller's, newest first), ``POST`` a new campaign (reviewed by a
    moderator before it is served)."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = CampaignPagination
    serializer_class = CampaignSerializer
    filter_backends = ()

    def get_queryset(self):
        return selectors.campaigns_for(advertiser=self.request.user)

    @extend_schema(parameters=CURSOR_PARAMS, responses=CampaignSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CampaignSerializer(page, many=True).data)

    @extend_schema(request=CampaignSerializer, responses={201: CampaignSerializer, 409: NO_FUNDS})
    def post(self, request):
        data = CampaignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_create(advertiser=request.user, **data.service_fields())
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailView(APIView):
    """``GET|PATCH ads/campaigns/{id}``: the caller's campaign (another's is a 404)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=CampaignSerializer)
    def get(self, request, campaign_id):
        campaign = selectors.campaign_get_own(campaign_id=campaign_id, advertiser=request.user)
        return Response(CampaignSerializer(campaign).data)

    @extend_schema(request=CampaignSerializer(partial=True), responses={200: CampaignSerializer, 409: NO_FUNDS})
    def patch(self, request, campaign_id):
        campaign = selectors.campaign_get_own(campaign_id=campaign_id, advertiser=request.user)
        data = CampaignSerializer(campaign, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_update(campaign=campaign, **data.service_fields())
        return Response(CampaignSerializer(campaign).data)


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


class AdServeView(APIView):
    """``GET ads/serve?video={id}``: the ad to play before the video for this viewer (anyone who may
    see the video), or 204 when none is served."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("video", int, required=True, description="The video about to play.")],
        responses={200: AdDecisionSerializer, 204: None, 404: NOT_FOUND},
    )
    def get(self, request):
        raw = request.query_params.get("video", "")
        if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**63:
            raise InvalidInput("A video id is required.", field="video")
        decision = services.ad_serve(
            viewer=request.user,
            video_id=int(raw),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            ip=_client_ip(request),
        )
        if decision is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        campaign = decision.campaign
        body = {
            "decision_id": decision.pk,
            "campaign": str(campaign.pk),
            "creative": campaign.creative_id,
            "title": campaign.creative.title,
            "click_url": campaign.click_url,
            "expires_at": decision.created_at + timedelta(seconds=settings.ADS_DECISION_TTL_S),
        }
        return Response(AdDecisionSerializer(body).data)


class AdEventsView(APIView):
    """``POST ads/events`` ``{decision_id, type}``: an impression, click or completion of a served
    ad; 201 the first time, 200 (``recorded: false``) for a repeat, which charges nothing."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=AdEventInput,
        responses={201: AdEventSerializer, 200: AdEventSerializer, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request):
        data = AdEventInput(data=request.data)
        data.is_valid(raise_exception=True)
        event, created = services.ad_event_record(
            decision_id=data.validated_data["decision_id"], kind=data.validated_data["type"]
        )
        body = {
            "decision_id": event.decision_id,
            "type": event.type,
            "recorded": created,
            "created_at": event.created_at,
        }
        return Response(AdEventSerializer(body).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class AdBalanceView(APIView):
    """``GET ads/balance``: the caller's prepaid ad balance (available, reserved, spent)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=AdBalanceSerializer)
    def get(self, request):
        currency = settings.MONETIZATION_CURRENCY
        balance = selectors.advertiser_balance(advertiser=request.user, currency=currency)
        refundable = selectors.advertiser_refundable(advertiser=request.user, currency=currency, balance=balance)
        body = {
            "available": balance.available,
            "reserved": balance.reserved,
            "spent": balance.spent,
            "refundable": refundable,
        }
        return Response(AdBalanceSerializer(body).data)


class TopUpPagination(CursorPagination):
    ordering = ("-created_at", "-id")


class TopUpsView(generics.GenericAPIView):
    """``GET ads/balance/top-ups`` (the caller's, newest first), ``POST`` ``{amount}``: a card top-up
    of the prepaid balance (a PaymentIntent; the payment webhook credits it)."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = TopUpPagination
    serializer_class = TopUpSerializer
    filter_backends = ()

    def get_queryset(self):
        return selectors.top_ups_for(advertiser=self.request.user)

    @extend_schema(parameters=CURSOR_PARAMS, responses=TopUpSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TopUpSerializer(page, many=True).data)

    @extend_schema(request=TopUpInput, responses={201: TopUpSerializer})
    def post(self, request):
        data = TopUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        top_up = billing.top_up_create(advertiser=request.user, amount_minor=data.validated_data["amount"])
        return Response(TopUpSerializer(top_up).data, status=status.HTTP_201_CREATED)


class RefundPagination(CursorPagination):
    ordering = ("-created_at", "-id")


class RefundsView(generics.GenericAPIView):
    """``GET ads/balance/refunds`` (the caller's, newest first), ``POST`` ``{amount}``: give unused
    prepaid balance back to the cards of your top-ups (all that is refundable without an amount)."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = RefundPagination
    serializer_class = RefundSerializer
    filter_backends = ()

    def get_queryset(self):
        return selectors.refunds_for(advertiser=self.request.user)

    @extend_schema(parameters=CURSOR_PARAMS, responses=RefundSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RefundSerializer(page, many=True).data)

    @extend_schema(request=RefundInput, responses={201: RefundSerializer, 409: NOT_REFUNDABLE})
    def post(self, request):
        data = RefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        refund = billing.balance_refund(advertiser=request.user, amount_minor=data.validated_data.get("amount"))
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)

"""Monetization REST endpoints (thin: selectors in, serializers out)."""

from collections import OrderedDict

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as accounts_selectors
from monetization import selectors, services
from monetization.api.serializers import (
    BalanceSerializer,
    CheckoutRequestSerializer,
    CheckoutSerializer,
    ConnectLinkSerializer,
    EarningsSerializer,
    EntrySerializer,
    PayoutCreateSerializer,
    PayoutSerializer,
    PlanChangeSerializer,
    PlanChooseSerializer,
    PlanSerializer,
    PlansSerializer,
    PlanStateSerializer,
    SourceTotalSerializer,
    TierSerializer,
    TipCreateSerializer,
    TipSerializer,
)
from monetization.plans import catalogue as plan_catalogue
from monetization.plans import selectors as plan_selectors
from monetization.plans import services as plan_services
from socialflow.api.pagination import CURSOR_PARAMS, CursorPagination
from socialflow.core import access
from socialflow.core.exceptions import NotFound

NO_SUCH_USER = OpenApiResponse(description="No such user (or not visible to the caller).")


class EntryPagination(CursorPagination):
    ordering = ("-created_at", "-id")


class EarningsView(APIView):
    # The signed-in user's balances, totals by source and a cursor page of their ledger entries.
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = EntryPagination
    filter_backends = ()

    @extend_schema(parameters=CURSOR_PARAMS, responses=EarningsSerializer)
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.earnings_entries(user=request.user), request, view=self)
        listed = paginator.get_paginated_response(EntrySerializer(page, many=True).data).data
        return Response(
            OrderedDict(
                [
                    ("balances", BalanceSerializer(selectors.earnings_balances(user=request.user), many=True).data),
                    (
                        "by_source",
                        SourceTotalSerializer(selectors.earnings_by_source(user=request.user), many=True).data,
                    ),
                    *listed.items(),
                ]
            )
        )


class TipCreateView(APIView):
    """``POST monetization/tips``: a tip to a creator (optionally during their live stream). Answers
    the PaymentIntent's client secret and the fees; the payment webhook completes it."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=TipCreateSerializer, responses={201: TipSerializer, 404: NO_SUCH_USER})
    def post(self, request):
        data = TipCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        tip = services.tip_create(
            fan=request.user,
            to_username=values["to"],
            amount_minor=values["amount"],
            currency=values.get("currency"),
            stream_id=values.get("stream_id"),
            message=values.get("message", ""),
        )
        return Response(TipSerializer(tip).data, status=status.HTTP_201_CREATED)


class ConnectView(APIView):
    """``POST monetization/connect``: a Stripe Connect Express onboarding link for the caller."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses=ConnectLinkSerializer)
    def post(self, request):
        return Response({"url": services.connect_onboarding_link(user=request.user)})


class PayoutPagination(CursorPagination):
    ordering = ("-created_at", "-id")


class PayoutsView(generics.GenericAPIView):
    """``GET monetization/payouts`` (the caller's, newest first), ``POST`` a payout of part of the
    available balance (at least the minimum, never more than what is available)."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PayoutPagination
    serializer_class = PayoutSerializer
    filter_backends = ()

    def get_queryset(self):
        return selectors.payouts_for(user=self.request.user)

    @extend_schema(parameters=CURSOR_PARAMS, responses=PayoutSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PayoutSerializer(page, many=True).data)

    @extend_schema(
        request=PayoutCreateSerializer,
        responses={
            201: PayoutSerializer,
            409: OpenApiResponse(description="Payouts are not set up yet (Stripe Connect onboarding)."),
        },
    )
    def post(self, request):
        data = PayoutCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payout = services.payout_request(
            user=request.user, amount_minor=data.validated_data["amount"], currency=data.validated_data.get("currency")
        )
        return Response(PayoutSerializer(payout).data, status=status.HTTP_201_CREATED)


class TierPagination(CursorPagination):
    ordering = ("price_minor", "id")


class TiersView(generics.GenericAPIView):
    """``GET monetization/tiers`` (the caller's membership tiers; ``?creator=<username>`` for a
    creator's), ``POST`` a new tier (a monthly Stripe Price)."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = TierPagination
    serializer_class = TierSerializer
    filter_backends = ()

    def get_queryset(self):
        username = self.request.query_params.get("creator")
        if username:
            creator = accounts_selectors.user_get_by_username(username=username)
            if not access.can_view(self.request.user, creator):
                raise NotFound("No such user.")
        else:
            creator = self.request.user
        return selectors.tiers_for(creator=creator)

    @extend_schema(
        parameters=[*CURSOR_PARAMS, OpenApiParameter("creator", str, description="a username")],
        responses={200: TierSerializer(many=True), 404: NO_SUCH_USER},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TierSerializer(page, many=True).data)

    @extend_schema(request=TierSerializer, responses={201: TierSerializer})
    def post(self, request):
        data = TierSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        tier = services.tier_create(
            creator=request.user, name=values["name"], price_minor=values["price_minor"], perks=values.get("perks", "")
        )
        return Response(TierSerializer(tier).data, status=status.HTTP_201_CREATED)


class MembershipCheckoutView(APIView):
    """``POST monetization/memberships/{username}/checkout``: a Checkout page for one of the
    creator's tiers; the subscription's webhooks make the caller a member."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=CheckoutRequestSerializer,
        responses={200: CheckoutSerializer, 409: OpenApiResponse(description="Already a member of this channel.")},
    )
    def post(self, request, username):
        data = CheckoutRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        url = services.membership_checkout(
            user=request.user, creator_username=username, tier_id=data.validated_data["tier_id"]
        )
        return Response({"checkout_url": url})


class PlansView(APIView):
    # GET monetization/plans: the creator plan catalogue and the caller's plan in effect.
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=PlansSerializer)
    def get(self, request):
        state = plan_selectors.plan_state(user=request.user)
        return Response({"current": state.plan.code, "plans": PlanSerializer(plan_catalogue.PLANS, many=True).data})


def _plan_state_data(user, state) -> dict:
    usage = plan_selectors.plan_usage(user=user, plan=state.plan)
    return PlanStateSerializer(state, context={"usage": usage}).data


class PlanView(APIView):
    # GET monetization/plan: the caller's plan, its Stripe state and usage against its quotas.
    # POST {plan}: subscribe (Checkout, trial on the first paid plan) or change plan (prorated).
    # DELETE: cancel at the end of the period.
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=PlanStateSerializer)
    def get(self, request):
        return Response(_plan_state_data(request.user, plan_selectors.plan_state(user=request.user)))

    @extend_schema(
        request=PlanChooseSerializer,
        responses={200: PlanChangeSerializer, 409: OpenApiResponse(description="Already on that plan.")},
    )
    def post(self, request):
        data = PlanChooseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = plan_services.plan_subscribe(user=request.user, plan_code=data.validated_data["plan"])
        return Response({"checkout_url": change.checkout_url, "plan": _plan_state_data(request.user, change.state)})

    @extend_schema(
        request=None,
        responses={200: PlanStateSerializer, 409: OpenApiResponse(description="No paid plan to cancel.")},
    )
    def delete(self, request):
        return Response(_plan_state_data(request.user, plan_services.plan_cancel(user=request.user)))

"""Copyright REST endpoints (thin: selectors in, services for writes, serializers out)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from copyright import selectors, services
from copyright.api.serializers import (
    ClaimCreateSerializer,
    ClaimSerializer,
    ReasonSerializer,
    ReferenceCreateSerializer,
    ReferenceSerializer,
)
from socialflow.api.pagination import CURSOR_PARAMS, CursorPagination

CONFLICT = OpenApiResponse(description="Not possible in the claim's current state (or already claimed).")


class IsRightsHolderToWrite(BasePermission):
    # Registering works and filing claims is a capability staff grant (Copyright › Rights holders).
    message = "Only rights holders can do this: ask staff for the capability."

    def has_permission(self, request, view):
        return request.method != "POST" or selectors.is_rights_holder(user=request.user)


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-id")


def _claim_context(request, claims) -> dict:
    stats = {}
    for claim in claims:
        found = selectors.tracked_stats(claim=claim, user=request.user)
        if found is not None:
            stats[claim.pk] = found
    return {"request": request, "stats": stats}


# GET: the caller's references (rights holders). POST (multipart): register a work; it is
# fingerprinted in the background (status pending → ready or failed).
class ReferenceListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated, IsRightsHolderToWrite]
    filter_backends = ()
    serializer_class = ReferenceSerializer
    pagination_class = NewestFirst
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.references_of(user=self.request.user)

    @extend_schema(
        responses=ReferenceSerializer(many=True), parameters=CURSOR_PARAMS, operation_id="copyright_references_list"
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ReferenceCreateSerializer},
        responses={201: ReferenceSerializer, 403: OpenApiResponse(description="Not a rights holder.")},
        operation_id="copyright_references_create",
    )
    def post(self, request, *args, **kwargs):
        data = ReferenceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reference = services.reference_create(owner=request.user, **data.validated_data)
        return Response(ReferenceSerializer(reference).data, status=status.HTTP_201_CREATED)


ROLE_PARAM = OpenApiParameter(
    "role", str, enum=list(selectors.ROLES), description="uploader: claims on your videos; claimant: your claims."
)


# GET: claims where the caller is a party. POST: a rights holder's manual claim, or a takedown
# notice when no reference is given.
class ClaimListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated, IsRightsHolderToWrite]
    filter_backends = ()
    serializer_class = ClaimSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.claims_for(user=self.request.user, role=self.request.query_params.get("role"))

    def get_serializer(self, *args, **kwargs):
        claims = args[0] if args else []
        kwargs["context"] = _claim_context(self.request, claims)
        return ClaimSerializer(*args, **kwargs)

    @extend_schema(
        responses=ClaimSerializer(many=True),
        parameters=[*CURSOR_PARAMS, ROLE_PARAM],
        operation_id="copyright_claims_list",
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=ClaimCreateSerializer,
        responses={201: ClaimSerializer, 403: OpenApiResponse(description="Not a rights holder."), 409: CONFLICT},
        operation_id="copyright_claims_create",
    )
    def post(self, request, *args, **kwargs):
        data = ClaimCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        stamps = values.get("timestamps") or {}
        claim = services.claim_manual(
            claimant=request.user,
            video_id=values["video"],
            reference_id=values.get("reference"),
            start_s=stamps.get("start"),
            end_s=stamps.get("end"),
            notice=values["notice"],
        )
        claim = selectors.claim_get_for_party(claim_id=claim.pk, user=request.user)
        return Response(ClaimSerializer(claim, context=_claim_context(request, [claim])).data, status=201)


class ClaimDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ClaimSerializer, operation_id="copyright_claims_retrieve")
    def get(self, request, claim_id):
        claim = selectors.claim_get_for_party(claim_id=claim_id, user=request.user)
        return Response(ClaimSerializer(claim, context=_claim_context(request, [claim])).data)


class _ClaimActionView(APIView):
    permission_classes = [IsAuthenticated]
    with_reason = False

    def act(self, claim, user, reason):
        raise NotImplementedError

    def post(self, request, claim_id):
        claim = selectors.claim_get_for_party(claim_id=claim_id, user=request.user)
        reason = ""
        if self.with_reason:
            data = ReasonSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            reason = data.validated_data["reason"]
        self.act(claim, request.user, reason)
        claim = selectors.claim_get_for_party(claim_id=claim.pk, user=request.user)
        return Response(ClaimSerializer(claim, context=_claim_context(request, [claim])).data)


def _action_schema(name: str, *, with_reason: bool, who: str):
    return extend_schema(
        request=ReasonSerializer if with_reason else None,
        responses={200: ClaimSerializer, 409: CONFLICT},
        operation_id=f"copyright_claims_{name}",
        description=None,
        summary=f"{name.capitalize()} the claim ({who}).",
    )


# The uploader disputes an active claim; the claimant then has COPYRIGHT_DISPUTE_RESPONSE_DAYS.
class ClaimDisputeView(_ClaimActionView):
    with_reason = True

    def act(self, claim, user, reason):
        services.claim_dispute(claim=claim, user=user, reason=reason)

    @_action_schema("dispute", with_reason=True, who="the uploader")
    def post(self, request, claim_id):
        return super().post(request, claim_id)


class ClaimReleaseView(_ClaimActionView):
    def act(self, claim, user, reason):
        services.claim_release(claim=claim, user=user)

    @_action_schema("release", with_reason=False, who="the claimant")
    def post(self, request, claim_id):
        return super().post(request, claim_id)


class ClaimUpholdView(_ClaimActionView):
    def act(self, claim, user, reason):
        services.claim_uphold(claim=claim, user=user)

    @_action_schema("uphold", with_reason=False, who="the claimant, before the deadline")
    def post(self, request, claim_id):
        return super().post(request, claim_id)


# After an upheld dispute the uploader may appeal once; staff decide in the admin.
class ClaimAppealView(_ClaimActionView):
    with_reason = True

    def act(self, claim, user, reason):
        services.claim_appeal(claim=claim, user=user, reason=reason)

    @_action_schema("appeal", with_reason=True, who="the uploader")
    def post(self, request, claim_id):
        return super().post(request, claim_id)

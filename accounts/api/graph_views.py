"""Follow, block and mute endpoints under ``users/<username>/…`` and the follow-request inbox."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.serializers import FollowEntrySerializer, FollowRequestSerializer, RelationshipSerializer
from socialflow.api.pagination import CURSOR_PARAMS, CursorPagination


def relationship_response(request, target, code=status.HTTP_200_OK):
    relationship = selectors.user_relationship(viewer=request.user, target=target)
    return Response(RelationshipSerializer(relationship).data, status=code)


def _graph_view(create, delete, actor_kw: str, target_kw: str, name: str):
    class GraphView(APIView):
        permission_classes = [IsAuthenticated]

        @extend_schema(request=None, responses=RelationshipSerializer, operation_id=f"users_{name}_create")
        def post(self, request, username):
            target = selectors.user_get_by_username(username=username)
            create(**{actor_kw: request.user, target_kw: target})
            return relationship_response(request, target)

        @extend_schema(request=None, responses={200: RelationshipSerializer}, operation_id=f"users_{name}_destroy")
        def delete(self, request, username):
            target = selectors.user_get_by_username(username=username)
            delete(**{actor_kw: request.user, target_kw: target})
            return relationship_response(request, target)

    GraphView.__name__ = f"User{name.title()}View"
    return GraphView


FollowView = _graph_view(services.follow_create, services.follow_delete, "follower", "followee", "follow")
BlockView = _graph_view(services.block_create, services.block_delete, "blocker", "blocked", "block")
MuteView = _graph_view(services.mute_create, services.mute_delete, "muter", "muted", "mute")


def _follow_list_view(side: str):
    class FollowListView(APIView):
        permission_classes = [IsAuthenticatedOrReadOnly]
        pagination_class = CursorPagination

        @extend_schema(responses=FollowEntrySerializer(many=True), parameters=CURSOR_PARAMS)
        def get(self, request, username):
            owner = selectors.user_get_by_username(username=username)
            selectors.access_follow_lists(owner=owner, viewer=request.user)
            queryset = (selectors.followers_of if side == "follower" else selectors.following_of)(user=owner)
            paginator = CursorPagination()
            follows = paginator.paginate_queryset(queryset, request)
            data = FollowEntrySerializer(follows, many=True, context={"side": side}).data
            return paginator.get_paginated_response(data)

    FollowListView.__name__ = "FollowersView" if side == "follower" else "FollowingView"
    return FollowListView


FollowersView = _follow_list_view("follower")
FollowingView = _follow_list_view("followee")


class FollowRequestsView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination

    @extend_schema(responses=FollowRequestSerializer(many=True), parameters=CURSOR_PARAMS)
    def get(self, request):
        paginator = CursorPagination()
        requests = paginator.paginate_queryset(selectors.follow_requests_for(user=request.user), request)
        return paginator.get_paginated_response(FollowRequestSerializer(requests, many=True).data)


class FollowRequestAcceptView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: RelationshipSerializer})
    def post(self, request, request_id):
        follow = services.follow_request_accept(target=request.user, request_id=request_id)
        return Response({"accepted": True, "follower": follow.follower.username})


class FollowRequestRejectView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, request_id):
        services.follow_request_reject(target=request.user, request_id=request_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

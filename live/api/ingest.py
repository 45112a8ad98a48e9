"""Callbacks of the RTMP ingest server (nginx-rtmp ``on_publish``/``on_publish_done``/``on_record_done``).

Form-encoded, authenticated by the shared secret ``LIVE_INGEST_SECRET`` passed as ``secret`` in the
query string or the form. Unknown or rotated keys get 403, which makes nginx-rtmp drop the publisher.
With ``relay=rtmp://127.0.0.1:1935/hls`` (our nginx config) an accepted publish answers 302 to
``<relay>/<playback id>``: nginx-rtmp pushes the stream into its HLS application under that public
name, so HLS URLs never reveal the key (a plain-name redirect would not rename the HLS output).
"""

import hmac

from django.conf import settings
from django.http import HttpResponseRedirect
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from live import services
from live.api.serializers import IngestSerializer
from socialflow.api.parsers import JSONParser


class _IngestView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []
    parser_classes = [FormParser, MultiPartParser, JSONParser]

    def authenticate_ingest(self, request) -> dict:
        # A JSON body may be a list or a string: no form fields then (the serializer answers 400).
        body = request.data if hasattr(request.data, "get") else {}
        given = request.query_params.get("secret") or body.get("secret") or ""
        if not hmac.compare_digest(str(given).encode(), settings.LIVE_INGEST_SECRET.encode()):
            raise PermissionDenied(detail="Bad ingest secret.", code="bad_secret")
        serializer = IngestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @staticmethod
    def deny(denied: services.IngestDenied) -> Response:
        return Response({"detail": denied.detail, "code": denied.code}, status=status.HTTP_403_FORBIDDEN)


class _Relay(HttpResponseRedirect):
    allowed_schemes = ["rtmp"]  # nginx-rtmp pushes the publisher to this RTMP URL


class IngestPublishView(_IngestView):
    @extend_schema(request=IngestSerializer, responses={200: None, 302: None, 403: None})
    def post(self, request):
        data = self.authenticate_ingest(request)
        try:
            stream = services.ingest_publish(stream_key=data["name"])
        except services.IngestDenied as denied:
            return self.deny(denied)
        relay = request.query_params.get("relay", "")
        if relay.startswith("rtmp://"):
            return _Relay(f"{relay.rstrip('/')}/{stream.playback_id}")
        return Response({"stream_id": str(stream.pk), "playback_id": stream.playback_id, "status": stream.status})


class IngestPublishDoneView(_IngestView):
    @extend_schema(request=IngestSerializer, responses={200: None, 403: None})
    def post(self, request):
        data = self.authenticate_ingest(request)
        try:
            stream = services.ingest_publish_done(name=data["name"])
        except services.IngestDenied as denied:
            return self.deny(denied)
        return Response({"stream_id": str(stream.pk), "status": stream.status})


class IngestUpdateView(_IngestView):
    """nginx-rtmp ``on_update`` (every ``notify_update_timeout``): the publisher is still live."""

    @extend_schema(request=IngestSerializer, responses={200: None, 403: None})
    def post(self, request):
        data = self.authenticate_ingest(request)
        try:
            stream = services.ingest_update(name=data["name"])
        except services.IngestDenied as denied:
            return self.deny(denied)
        return Response({"stream_id": str(stream.pk), "status": stream.status})


class IngestRecordDoneView(_IngestView):
    @extend_schema(request=IngestSerializer, responses={200: None, 403: None})
    def post(self, request):
        data = self.authenticate_ingest(request)
        if not data.get("path"):
            return Response({"path": ["This field is required."]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            recording = services.ingest_record_done(name=data["name"], path=data["path"])
        except services.IngestDenied as denied:
            return self.deny(denied)
        return Response({"recording_id": str(recording.pk), "status": recording.status})

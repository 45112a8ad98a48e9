"""tus 1.0.0 (core + creation, creation-with-upload, expiration, termination) at /api/v1/uploads/.

https://tus.io/protocols/resumable-upload — errors keep the API's JSON shape and always carry
``Tus-Resumable``. Only the uploader may HEAD/PATCH/DELETE an upload (others get 404).
"""

import base64
import binascii

from django.conf import settings
from django.utils.http import http_date
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from socialflow.api.idempotency import idempotent
from socialflow.core.exceptions import Conflict, NotFound
from videos import selectors, services
from videos.models import VIDEO_VISIBILITIES, Upload, Visibility

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,expiration,termination"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
EXPOSE = (
    "Location, Upload-Offset, Upload-Length, Upload-Expires, Upload-Metadata, Tus-Resumable, Tus-Version, "
    "Tus-Extension, Tus-Max-Size, Video-Id"
)


TUS_RESUMABLE = OpenApiParameter(
    "Tus-Resumable", str, OpenApiParameter.HEADER, required=True, enum=[TUS_VERSION], description="The tus version."
)
UPLOAD_OFFSET = OpenApiParameter(
    "Upload-Offset", int, OpenApiParameter.HEADER, required=True, description="Where the body's bytes go."
)
WRONG_VERSION = OpenApiResponse(description="Tus-Resumable is missing or not 1.0.0 (Tus-Version names ours).")
CONFLICT = OpenApiResponse(
    description="Upload-Offset is not the upload's offset, the upload is complete, another request is writing "
    "to it, or the bytes before the offset are out of this server's reach; the Upload-Offset header says "
    "where to resume."
)


class TusError(APIException):
    def __init__(self, status_code: int, detail: str, code: str):
        self.status_code = status_code
        super().__init__(detail=detail, code=code)


def _headers(response: Response, upload: Upload | None = None) -> Response:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    response["Access-Control-Expose-Headers"] = EXPOSE
    if upload is not None:
        response["Upload-Offset"] = str(upload.offset)
        response["Upload-Length"] = str(upload.length)
        if upload.completed_at is None:
            response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
        if upload.video_id:
            response["Video-Id"] = str(upload.video_id)
    return response


def parse_metadata(raw: str) -> dict:
    """``key base64value,key2 base64value2`` -> dict of str (values may be absent)."""
    metadata: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in (raw or "").split(","))):
        key, _, value = pair.partition(" ")
        if not key or " " in value.strip():
            raise TusError(400, "Upload-Metadata is malformed.", "invalid_metadata")
        try:
            metadata[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise TusError(400, f"Upload-Metadata value for {key!r} is not base64 UTF-8.", "invalid_metadata") from exc
        if "\x00" in metadata[key]:  # PostgreSQL refuses NUL in text columns
            raise TusError(400, f"Upload-Metadata value for {key!r} contains a null character.", "invalid_metadata")
    return metadata


def _int_header(request, name: str, *, required: bool = True) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        if required:
            raise TusError(400, f"{name} is required.", "missing_header")
        return None
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()):  # "²" (a latin-1 header byte) is a digit to isdigit()
        raise TusError(400, f"{name} must be a non-negative integer.", "invalid_header")
    return int(raw)


class TusView(APIView):
    permission_classes = [IsAuthenticated]

    def get_permissions(self):
        if self.request.method == "OPTIONS":  # capability discovery is public (and CORS preflight)
            return []
        return super().get_permissions()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise TusError(412, f"Tus-Resumable: {TUS_VERSION} is required.", "tus_version")

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        _headers(response)
        if response.status_code == 412:
            response["Tus-Version"] = TUS_VERSION
        return response

    def options(self, request, *args, **kwargs):
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response["Tus-Version"] = TUS_VERSION
        response["Tus-Extension"] = TUS_EXTENSIONS
        response["Tus-Max-Size"] = str(settings.VIDEO_MAX_UPLOAD_BYTES)
        return response

    def _append(self, request, upload: Upload, offset: int) -> Upload:
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type != OFFSET_CONTENT_TYPE:
            raise TusError(415, f"Content-Type must be {OFFSET_CONTENT_TYPE}.", "unsupported_media_type")
        length = _int_header(request, "Content-Length", required=False)
        if length is not None and offset + length > upload.length:
            raise TusError(413, "The body goes past Upload-Length.", "too_large")
        return services.upload_append(upload=upload, offset=offset, stream=request._request, content_length=length)


class UploadCreateView(TusView):
    @extend_schema(
        summary="tus creation: start a resumable upload",
        request=None,
        parameters=[
            TUS_RESUMABLE,
            OpenApiParameter("Upload-Length", int, OpenApiParameter.HEADER, required=True, description="Bytes."),
            OpenApiParameter("Upload-Metadata", str, OpenApiParameter.HEADER, description="tus metadata."),
        ],
        responses={201: None, 412: WRONG_VERSION},
        description="Headers: Tus-Resumable: 1.0.0, Upload-Length, Upload-Metadata (filename, title, "
        "description, visibility, base64). 201 with Location; the Video id comes back in Video-Id.",
    )
    @idempotent
    def post(self, request):
        if request.headers.get("Upload-Defer-Length"):
            raise TusError(400, "Upload-Defer-Length is not supported.", "defer_length_unsupported")
        length = _int_header(request, "Upload-Length")
        if length == 0:
            raise TusError(400, "An empty file cannot be a video: Upload-Length must be at least 1.", "empty_upload")
        if length > settings.VIDEO_MAX_UPLOAD_BYTES:
            raise TusError(413, f"Upload-Length exceeds {settings.VIDEO_MAX_UPLOAD_BYTES} bytes.", "too_large")
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
        title = metadata.get("title", "")
        if len(title) > 255:
            raise TusError(400, "title must be at most 255 characters.", "invalid_metadata")
        visibility = metadata.get("visibility") or Visibility.PUBLIC
        allowed = [v.value for v in VIDEO_VISIBILITIES]
        if visibility not in allowed:
            raise TusError(400, f"visibility must be one of {', '.join(allowed)}.", "invalid_metadata")
        upload = services.upload_create(user=request.user, length=length, metadata=metadata, visibility=visibility)
        if (request.content_type or "").startswith(OFFSET_CONTENT_TYPE) and request.headers.get("Content-Length"):
            upload = self._append(request, upload, 0)
        response = Response(status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"/api/v1/uploads/{upload.pk}")
        return _headers(response, upload)


class UploadDetailView(TusView):
    def _get(self, request, upload_id) -> Upload:
        return selectors.upload_get_own(upload_id=upload_id, user=request.user)

    @extend_schema(
        summary="tus: current offset",
        request=None,
        parameters=[TUS_RESUMABLE],
        responses={200: None, 412: WRONG_VERSION},
    )
    def head(self, request, upload_id):
        upload = self._get(request, upload_id)
        return _headers(Response(status=status.HTTP_200_OK), upload)

    @extend_schema(
        summary="The upload's state as JSON (tus clients use HEAD on the same URL)",
        description="`HEAD /api/v1/uploads/{upload_id}` (tus core; OpenAPI generators leave HEAD out) answers "
        "200 with no body and the headers `Upload-Offset`, `Upload-Length`, `Upload-Expires` (while "
        "unfinished), `Video-Id` and `Cache-Control: no-store`; 404 for an unknown or someone else's upload. "
        "`OPTIONS /api/v1/uploads` (public) advertises `Tus-Version`, `Tus-Extension` and `Tus-Max-Size`.",
        parameters=[TUS_RESUMABLE],
        responses={
            200: inline_serializer(
                "UploadState",
                {
                    "id": serializers.CharField(),
                    "offset": serializers.IntegerField(),
                    "length": serializers.IntegerField(),
                    "video_id": serializers.CharField(allow_null=True),
                },
            ),
            412: WRONG_VERSION,
        },
    )
    def get(self, request, upload_id):  # HEAD is what tus uses; GET answers the same as JSON
        upload = self._get(request, upload_id)
        data = {"id": str(upload.pk), "offset": upload.offset, "length": upload.length}
        data["video_id"] = str(upload.video_id) if upload.video_id else None
        return _headers(Response(data), upload)

    @extend_schema(
        summary="tus: append bytes at Upload-Offset",
        description=f"The body is the bytes, sent as `Content-Type: {OFFSET_CONTENT_TYPE}`.",
        request=None,
        parameters=[TUS_RESUMABLE, UPLOAD_OFFSET],
        responses={204: None, 409: CONFLICT, 412: WRONG_VERSION, 413: None, 415: None},
    )
    def patch(self, request, upload_id):
        upload = self._get(request, upload_id)
        offset = _int_header(request, "Upload-Offset")
        try:
            if upload.completed_at is not None or offset != upload.offset:
                raise Conflict(f"Upload-Offset must be {upload.offset}.", code="offset_mismatch")
            upload = self._append(request, upload, offset)
        except Conflict as exc:
            # The 409 says where to resume (another process may have moved or wound back the offset).
            response = self.handle_exception(exc)
            try:
                return _headers(response, self._get(request, upload_id))
            except NotFound:
                return response
        return _headers(Response(status=status.HTTP_204_NO_CONTENT), upload)

    @extend_schema(
        summary="tus termination: abandon an upload",
        request=None,
        parameters=[TUS_RESUMABLE],
        responses={204: None, 409: CONFLICT, 412: WRONG_VERSION},
    )
    def delete(self, request, upload_id):
        upload = self._get(request, upload_id)
        if upload.completed_at is not None:
            raise Conflict("The upload is complete; delete the video instead.", code="upload_complete")
        services.upload_terminate(upload=upload)
        return Response(status=status.HTTP_204_NO_CONTENT)

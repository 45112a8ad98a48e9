"""Accounts and auth endpoints (API.md "Accounts and auth"). Thin: validate, call a service, shape."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers as s
from accounts.api import throttles
from socialflow.api.parsers import JSONParser
from socialflow.api.throttling import AnonRateThrottle

ERRORS = {
    400: OpenApiResponse(description="Invalid input (field errors)."),
    401: OpenApiResponse(description="Not authenticated or invalid credentials/token."),
    429: OpenApiResponse(description="Throttled; see Retry-After."),
}


def _errors(*codes):
    return {code: ERRORS[code] for code in codes}


def _pair(pair) -> dict:
    return {"access": pair.access, "refresh": pair.refresh}


class PublicAuthView(APIView):
    """Anonymous endpoints: no session auth (so no CSRF) and no bearer token required."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    def get_authenticate_header(self, request):
        # Failed logins and bad tokens are 401 (with a challenge), not DRF's 403 fallback.
        return 'Bearer realm="api"'


class RegisterView(PublicAuthView):
    throttle_classes = [throttles.RegisterThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Create an account; a verification email is sent",
        request=s.RegisterInput,
        responses={201: s.MeSerializer, **_errors(400, 429)},
    )
    def post(self, request):
        data = _valid(s.RegisterInput, request)
        user = services.user_register(**data)
        account = selectors.own_account_get(user=user)
        return Response(
            s.MeSerializer(user, context={"request": request, "account": account}).data, status=status.HTTP_201_CREATED
        )


class EmailVerifyView(PublicAuthView):
    throttle_classes = [throttles.EmailVerifyThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Confirm an email address with the key from the verification email",
        request=s.EmailVerifyInput,
        responses={200: s.DetailOutput, **_errors(400, 429)},
    )
    def post(self, request):
        data = _valid(s.EmailVerifyInput, request)
        address = services.email_address_verify(key=data["key"])
        return Response({"detail": f"{address.email} is verified."})


class EmailVerifyResendView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [throttles.SensitiveUserThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Send the verification email again",
        request=None,
        responses={202: s.DetailOutput, **_errors(401, 429)},
    )
    def post(self, request):
        services.email_verification_resend(user=request.user)
        return Response({"detail": "If your address is unverified, a new link is on its way."}, status=202)


class TokenView(PublicAuthView):
    throttle_classes = [throttles.LoginIPThrottle, throttles.LoginIdentifierThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Log in: username or email + password (+ otp when 2FA is on) → JWT pair",
        description='401 codes: "invalid_credentials", "otp_required", "otp_invalid". 403 "banned".',
        request=s.TokenInput,
        responses={
            200: s.TokenPairOutput,
            403: OpenApiResponse(description="Suspended account."),
            **_errors(400, 401, 429),
        },
    )
    def post(self, request):
        data = _valid(s.TokenInput, request)
        pair = services.user_login(
            login=data.get("username") or data["email"], password=data["password"], otp=data.get("otp") or None
        )
        return Response(_pair(pair))


class TokenRefreshView(PublicAuthView):
    # Refresh tokens cannot be guessed; the general anonymous rate is enough (and clients behind
    # one NAT refresh often).
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Rotate a refresh token: a new pair; the old refresh token stops working",
        request=s.RefreshInput,
        responses={200: s.TokenPairOutput, **_errors(400, 401, 429)},
    )
    def post(self, request):
        data = _valid(s.RefreshInput, request)
        return Response(_pair(services.token_pair_refresh(refresh=data["refresh"])))


class LogoutView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Revoke a refresh token (log out this session)",
        request=s.RefreshInput,
        responses={204: None, **_errors(400, 401)},
    )
    def post(self, request):
        data = _valid(s.RefreshInput, request)
        services.token_revoke(refresh=data["refresh"], user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(PublicAuthView):
    throttle_classes = [throttles.PasswordResetIPThrottle, throttles.PasswordResetEmailThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Email a password reset link (202 whether or not the address has an account)",
        request=s.PasswordResetInput,
        responses={202: s.DetailOutput, **_errors(400, 429)},
    )
    def post(self, request):
        data = _valid(s.PasswordResetInput, request)
        services.password_reset_request(email=data["email"])
        return Response(
            {"detail": "If an account uses this address, a reset link has been sent to it."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(PublicAuthView):
    throttle_classes = [throttles.PasswordResetConfirmThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Set a new password with the uid and token from the reset link",
        request=s.PasswordResetConfirmInput,
        responses={200: s.DetailOutput, **_errors(400, 429)},
    )
    def post(self, request):
        data = _valid(s.PasswordResetConfirmInput, request)
        services.password_reset_confirm(**data)
        return Response({"detail": "Your password has been changed. Log in with the new one."})


class PasswordChangeView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [throttles.SensitiveUserThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Change the password; other sessions are signed out, a fresh pair is returned",
        request=s.PasswordChangeInput,
        responses={200: s.PasswordChangeOutput, **_errors(400, 401, 429)},
    )
    def post(self, request):
        data = _valid(s.PasswordChangeInput, request)
        pair = services.password_change(user=request.user, **data)
        return Response({"detail": "Your password has been changed.", **_pair(pair)})


class TotpView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [throttles.SensitiveUserThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Start enabling TOTP two-factor authentication",
        description="Returns a pending secret; confirm it with a code within 15 minutes. 409 if already on; "
        '403 "email_unverified" until the email address is verified.',
        request=None,
        responses={
            200: s.TotpSetupOutput,
            403: OpenApiResponse(description="Email address not verified."),
            409: OpenApiResponse(description="Already enabled."),
            **_errors(401),
        },
    )
    def post(self, request):
        secret, uri = services.totp_setup_begin(user=request.user)
        return Response({"secret": secret, "otpauth_uri": uri})

    @extend_schema(
        tags=["auth"],
        summary="Disable two-factor authentication (needs a current code or a recovery code)",
        request=s.TotpCodeInput,
        responses={204: None, **_errors(400, 401, 429)},
    )
    def delete(self, request):
        data = _valid(s.TotpCodeInput, request)
        services.totp_disable(user=request.user, code=data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [throttles.SensitiveUserThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Confirm TOTP with a code from the app; returns recovery codes (shown once)",
        request=s.TotpCodeInput,
        responses={200: s.RecoveryCodesOutput, **_errors(400, 401, 429)},
    )
    def post(self, request):
        data = _valid(s.TotpCodeInput, request)
        codes = services.totp_setup_confirm(user=request.user, code=data["code"])
        return Response({"detail": "Two-factor authentication is on.", "recovery_codes": codes})


class RecoveryCodesView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [throttles.SensitiveUserThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Replace the recovery codes (needs a current TOTP code)",
        request=s.TotpCodeInput,
        responses={200: s.RecoveryCodesOutput, **_errors(400, 401, 429)},
    )
    def post(self, request):
        data = _valid(s.TotpCodeInput, request)
        codes = services.recovery_codes_regenerate(user=request.user, code=data["code"])
        return Response({"detail": "New recovery codes; the old ones no longer work.", "recovery_codes": codes})


class MeView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser, parsers.MultiPartParser, parsers.FormParser]

    def _render(self, request, user):
        account = selectors.own_account_get(user=user)
        return Response(s.MeSerializer(user, context={"request": request, "account": account}).data)

    @extend_schema(tags=["profile"], summary="Own account", responses={200: s.MeSerializer, **_errors(401)})
    def get(self, request):
        return self._render(request, request.user)

    @extend_schema(
        tags=["profile"],
        summary="Edit the own profile (JSON, or multipart with an avatar file)",
        request={"application/json": s.ProfileUpdateInput, "multipart/form-data": s.ProfileUpdateInput},
        responses={200: s.MeSerializer, **_errors(400, 401)},
    )
    def patch(self, request):
        data = _valid(s.ProfileUpdateInput, request, partial=True)
        user = services.user_profile_update(user=request.user, **data)
        return self._render(request, user)

    @extend_schema(
        tags=["profile"],
        summary="Delete the own account (soft now; purged after the grace period)",
        request=None,
        responses={204: None, **_errors(401)},
    )
    def delete(self, request):
        services.user_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserProfileView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["profile"],
        summary="Public profile with counters and the caller's relationship to it",
        responses={200: s.ProfileSerializer, 404: OpenApiResponse(description="No such (visible) user.")},
    )
    def get(self, request, username: str):
        profile = selectors.user_profile_get(username=username, viewer=request.user)
        context = {"request": request, "relationship": profile.relationship}
        return Response(s.ProfileSerializer(profile.user, context=context).data)


def _valid(serializer_class, request, partial: bool = False) -> dict:
    if not isinstance(request.data, dict):
        from rest_framework.exceptions import ParseError

        raise ParseError("Expected a JSON object.", code="parse_error")
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)

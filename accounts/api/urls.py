from django.urls import re_path

from accounts.api import views
from socialflow.api.routers import api_path

urlpatterns = [
    *api_path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    *api_path("auth/email/verify", views.EmailVerifyView.as_view(), name="auth-email-verify"),
    *api_path("auth/email/resend", views.EmailVerifyResendView.as_view(), name="auth-email-resend"),
    *api_path("auth/token", views.TokenView.as_view(), name="auth-token"),
    *api_path("auth/token/refresh", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    *api_path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    *api_path("auth/password/reset", views.PasswordResetView.as_view(), name="auth-password-reset"),
    *api_path(
        "auth/password/reset/confirm", views.PasswordResetConfirmView.as_view(), name="auth-password-reset-confirm"
    ),
    *api_path("auth/password/change", views.PasswordChangeView.as_view(), name="auth-password-change"),
    *api_path("auth/2fa/totp", views.TotpView.as_view(), name="auth-2fa-totp"),
    *api_path("auth/2fa/totp/confirm", views.TotpConfirmView.as_view(), name="auth-2fa-totp-confirm"),
    *api_path("auth/2fa/recovery-codes", views.RecoveryCodesView.as_view(), name="auth-2fa-recovery-codes"),
    *api_path("me", views.MeView.as_view(), name="me"),
    re_path(r"^users/(?P<username>[A-Za-z0-9_@]{1,31})/?$", views.UserProfileView.as_view(), name="user-profile"),
]

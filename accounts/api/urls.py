from accounts.api import views
from socialflow.api.routers import api_route as route

urlpatterns = [
    route("auth/register", views.RegisterView.as_view(), "auth-register"),
    route("auth/email/verify", views.EmailVerifyView.as_view(), "auth-email-verify"),
    route("auth/email/resend", views.EmailVerifyResendView.as_view(), "auth-email-resend"),
    route("auth/token", views.TokenView.as_view(), "auth-token"),
    route("auth/token/refresh", views.TokenRefreshView.as_view(), "auth-token-refresh"),
    route("auth/logout", views.LogoutView.as_view(), "auth-logout"),
    route("auth/password/reset", views.PasswordResetView.as_view(), "auth-password-reset"),
    route("auth/password/reset/confirm", views.PasswordResetConfirmView.as_view(), "auth-password-reset-confirm"),
    route("auth/password/change", views.PasswordChangeView.as_view(), "auth-password-change"),
    route("auth/2fa/totp", views.TotpView.as_view(), "auth-2fa-totp"),
    route("auth/2fa/totp/confirm", views.TotpConfirmView.as_view(), "auth-2fa-totp-confirm"),
    route("auth/2fa/recovery-codes", views.RecoveryCodesView.as_view(), "auth-2fa-recovery-codes"),
    route("me", views.MeView.as_view(), "me"),
    route(r"users/(?P<username>@?[A-Za-z0-9_]{1,30})", views.UserProfileView.as_view(), "user-profile"),
]

from accounts.api import graph_views, views
from socialflow.api.routers import api_route as route

USER = r"users/(?P<username>[^/]+)"

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
    # The graph's ``users/{username}/…`` routes are more specific than the profile route below.
    route(f"{USER}/follow", graph_views.FollowView.as_view(), name="users-follow"),
    route(f"{USER}/block", graph_views.BlockView.as_view(), name="users-block"),
    route(f"{USER}/mute", graph_views.MuteView.as_view(), name="users-mute"),
    route(f"{USER}/followers", graph_views.FollowersView.as_view(), name="users-followers"),
    route(f"{USER}/following", graph_views.FollowingView.as_view(), name="users-following"),
    route("follow-requests", graph_views.FollowRequestsView.as_view(), name="follow-requests"),
    route(
        r"follow-requests/(?P<request_id>[^/]+)/accept",
        graph_views.FollowRequestAcceptView.as_view(),
        name="follow-requests-accept",
    ),
    route(
        r"follow-requests/(?P<request_id>[^/]+)/reject",
        graph_views.FollowRequestRejectView.as_view(),
        name="follow-requests-reject",
    ),
    route(r"users/(?P<username>@?[A-Za-z0-9_]{1,30})", views.UserProfileView.as_view(), "user-profile"),
]

from django.urls import re_path

from moderation.api.views import AccountActionListView, AppealListCreateView, ReportListCreateView, ReportMessagesView

urlpatterns = [
    re_path(r"^reports/?$", ReportListCreateView.as_view(), name="reports"),
    re_path(r"^reports/(?P<report_id>[^/]+)/messages/?$", ReportMessagesView.as_view(), name="report-messages"),
    re_path(r"^moderation/actions/?$", AccountActionListView.as_view(), name="moderation-actions"),
    re_path(r"^appeals/?$", AppealListCreateView.as_view(), name="appeals"),
]

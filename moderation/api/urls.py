from django.urls import re_path

from moderation.api.views import ReportListCreateView

urlpatterns = [
    re_path(r"^reports/?$", ReportListCreateView.as_view(), name="reports"),
]

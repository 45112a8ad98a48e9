"""The report-abuse limit: reports a user may make per window (``THROTTLE_REPORTS``)."""

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from socialflow.api.throttling import FixedWindowThrottle


class ReportCreateThrottle(ScopedRateThrottle, FixedWindowThrottle):
    """The view's ``throttle_scope`` rate, per user, counted for POST only (reading one's own
    reports is free), in a fixed window (``socialflow.api.throttling``). The rate is read per
    request, so tests can override it."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)

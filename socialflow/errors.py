"""Error pages: JSON in the API's format under ``/api/`` (clients parse every answer there), Django's
HTML pages elsewhere. Wired in ``socialflow.urls`` as ``handler404`` and ``handler500``. An
uncaught Redis/broker outage is a 503 with ``Retry-After`` (``socialflow.unavailable``)."""

import sys

from django.http import JsonResponse
from django.views import defaults

from socialflow.unavailable import is_dependency_down, unavailable_response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    # Called while the uncaught exception is being handled: a dependency outage is a 503.
    if is_dependency_down(sys.exc_info()[1]):
        return unavailable_response(request)
    if _is_api(request):
        return JsonResponse({"detail": "A server error occurred.", "code": "server_error"}, status=500)
    return defaults.server_error(request)

"""The project's URLs plus the ``api`` benchmark's bare views: plain Django views answering the
bytes the DRF endpoints answered through this server, fetched once by the bench and read once per
process (files under ``API_BENCH_BODIES``). They go through the same ASGI server and middleware
stack, with no DRF, no query, no throttle."""

import os
from functools import cache
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

from socialflow.urls import urlpatterns as project_urlpatterns


@cache
def _body(name: str) -> bytes:
    return (Path(os.environ["API_BENCH_BODIES"]) / name).read_bytes()


def bare_detail(request):
    return HttpResponse(_body("detail.json"), content_type="application/json")


def bare_list(request):
    return HttpResponse(_body("list.json"), content_type="application/json")


urlpatterns = [
    path("bench/bare/video", bare_detail),
    path("bench/bare/videos", bare_list),
    *project_urlpatterns,
]

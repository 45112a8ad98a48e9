"""The ``api`` benchmark's server: the project's settings with the bench's own URLconf
(``bench.api_urls``: the project's URLs plus the bare baseline views, which the product never serves)."""

from socialflow.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"

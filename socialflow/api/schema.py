"""OpenAPI generation hooks (drf-spectacular)."""


def drop_trailing_slash_twins(endpoints):
    """One operation per endpoint, written as API.md writes paths (without a trailing slash).

    Routes accept both slash forms: ``api_path`` registers ``x`` and ``x/`` (two endpoints here),
    and a ``x/?$`` pattern comes out of drf-spectacular as ``x/``.
    """
    seen, kept = set(), []
    for path, regex, method, view in endpoints:
        path = path.rstrip("/") or "/"
        if (path, method) not in seen:
            seen.add((path, method))
            kept.append((path, regex, method, view))
    return kept

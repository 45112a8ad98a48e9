"""The oEmbed endpoint (https://oembed.com): ``GET /oembed?url=<a watch page or post permalink>``.

Content apps resolve their own kinds through ``socialflow.core.links.register_oembed``; only what
everyone may see is embedded (the resolvers check the access layer as an anonymous viewer)."""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from socialflow.core import links


def _dimension(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or not 0 < int(value) <= 10_000:
        raise ValueError(value)
    return int(value)


@require_GET
def oembed(request):
    url = request.GET.get("url", "")
    fmt = request.GET.get("format", "json")
    if fmt != "json":
        return HttpResponse("Only format=json is served.", status=501, content_type="text/plain")
    if not url or "\x00" in url or len(url) > 2000:
        return JsonResponse({"detail": "Give the url of a public page."}, status=400)
    try:
        maxwidth = _dimension(request.GET.get("maxwidth"))
        maxheight = _dimension(request.GET.get("maxheight"))
    except ValueError:
        return JsonResponse({"detail": "maxwidth and maxheight are positive integers."}, status=400)
    data = links.oembed(url, maxwidth=maxwidth, maxheight=maxheight, hosts=(request.get_host(),))
    if data is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    response = JsonResponse(data)
    response["Access-Control-Allow-Origin"] = "*"
    return response

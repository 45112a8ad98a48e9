"""OpenAPI descriptions of the project's authentication classes (registered on import, from
``AccountsConfig.ready``), so every endpoint's schema names its security schemes."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BannedAwareJWTScheme(SimpleJWTScheme):
    target_class = "accounts.api.authentication.JWTAuthentication"
    name = "jwtAuth"


class BannedAwareSessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.SessionAuthentication"
    name = "cookieAuth"
    priority = -1

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}

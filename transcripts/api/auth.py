"""Bearer tokens for the API: `Authorization: Bearer <token>`, or the token in the
path (/t/<token>/asr) for tools that only let a person set a base URL."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from transcripts.models import ApiToken, hash_api_token

# last_used_at is for people reading the tokens page; a write per request
# would only add database load.
LAST_USED_PRECISION = timedelta(minutes=1)

INVALID_TOKEN = "Invalid, revoked or missing API token."


def user_for_token(token):
    """The owner of an active token, or AuthenticationFailed."""
    api_token = (
        ApiToken.objects.active().select_related("owner").filter(token_hash=hash_api_token(token)).first()
    )
    if api_token is None or not api_token.owner.is_active:
        raise exceptions.AuthenticationFailed(INVALID_TOKEN)
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    return api_token.owner, api_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        path_token = request.parser_context.get("kwargs", {}).get("token") if request.parser_context else None
        if path_token:
            return user_for_token(path_token)
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        try:
            token = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
        return user_for_token(token)

    def authenticate_header(self, request):
        # A WWW-Authenticate header makes DRF answer 401 rather than 403.
        return f'{self.keyword} realm="api"'

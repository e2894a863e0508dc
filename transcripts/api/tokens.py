"""The "API tokens" page: create a named token (shown once), see when each was
last used, revoke it; see and rotate the secret that signs webhooks."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from transcripts.models import ApiToken, WebhookSecret


class NewTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where the token is used, e.g. “Bazarr on the NAS”.")


def page(request, form, new_token=None, status=200):
    context = {
        "form": form,
        "new_token": new_token,
        "tokens": ApiToken.objects.filter(owner=request.user),
        "webhook_secret": WebhookSecret.for_user(request.user).secret,
        "api_base": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "tokens/list.html", context, status=status)


@login_required
def token_list(request):
    if request.method != "POST":
        return page(request, NewTokenForm())
    form = NewTokenForm(request.POST)
    if not form.is_valid():
        return page(request, form, status=400)
    api_token, token = ApiToken.issue(request.user, form.cleaned_data["name"])
    # Rendered, not redirected: the token exists in clear only in this response.
    return page(request, NewTokenForm(), new_token={"token": token, "api_token": api_token})


@login_required
@require_POST
def revoke(request, pk):
    api_token = get_object_or_404(ApiToken.objects.filter(owner=request.user), pk=pk)
    api_token.revoke()
    messages.success(request, f"The token “{api_token.name}” was revoked; programs using it get 401 from now on.")
    return redirect("tokens:list")


@login_required
@require_POST
def rotate_webhook_secret(request):
    WebhookSecret.for_user(request.user).rotate()
    messages.success(request, "New webhook secret made; webhooks are signed with it from now on.")
    return redirect("tokens:list")

"""Sign-up; signing in and out and changing passwords are django.contrib.auth's views."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="For password resets by an administrator; never shown.")

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


@sensitive_post_parameters("password1", "password2")
def signup(request):
    if request.user.is_authenticated:
        return redirect("transcripts:history")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # Several authentication backends (axes first): name the one that applies.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Upload a file to get your first transcript.")
        return redirect("transcripts:new")
    return render(request, "registration/signup.html", {"form": form})

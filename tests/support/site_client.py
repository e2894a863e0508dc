"""A client of the site, run on the web host of the multi-host test: it makes an
account and a token, and uploads files through the API of the site running there.

    python -m tests.support.site_client token
    python -m tests.support.site_client upload URL TOKEN FILE...   (prints the job ids, one a line)
"""

import sys

import requests


def make_token():
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from transcripts.models import ApiToken

    user, _ = get_user_model().objects.get_or_create(username="hosts-test")
    print(ApiToken.issue(user, "hosts-test")[1])


def upload(base_url, token, paths):
    for path in paths:
        with open(path, "rb") as media:
            response = requests.post(
                f"{base_url}/api/transcriptions", files={"file": media},
                headers={"Authorization": f"Bearer {token}"}, timeout=120,
            )
        response.raise_for_status()
        print(response.json()["id"])


if __name__ == "__main__":
    if sys.argv[1] == "token":
        make_token()
    else:
        upload(sys.argv[2], sys.argv[3], sys.argv[4:])

import pytest


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client

"""The app builds, the portal answers, and a published trade shows on it."""
from tests.conftest import api_headers, login


def test_portal_lists_published_trade(client, published_trade):
    html = client.get("/").get_data(as_text=True)
    assert published_trade.ref in html
    assert "Road works lot 1" in client.get(f"/trades/{published_trade.ref}").get_data(as_text=True)


def test_login_and_token(client, users):
    login(client, "staff")
    assert client.get("/workspace/").status_code == 200
    headers = api_headers(client, "staff")
    assert client.get("/api/v1/trades?scope=mine", headers=headers).status_code == 200

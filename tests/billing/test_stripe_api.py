"""The class that talks to Stripe (StripeSdkApi), through the real ``stripe``
SDK, against the development Stripe server, which checks each request's
method, path and form fields against Stripe's documented parameters."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe

from backend.billing.stripe_api import StripeSdkApi
from backend.devserver.fake_stripe import Price, StripeState
from backend.devserver.stripe_forms import StripeRequestError, decode_form
from backend.devserver.stripe_server import DevStripeServer

KEY = "sk_test_h13_api"


@pytest.fixture
def stripe_dev() -> Iterator[DevStripeServer]:
    state = StripeState(KEY, {"price_pro": Price("pro", "price_pro", 900),
                              "price_studio": Price("studio", "price_studio", 2900)})
    with DevStripeServer(state) as server:
        yield server


@pytest.fixture
def api(stripe_dev: DevStripeServer) -> StripeSdkApi:
    return StripeSdkApi(KEY, api_base=stripe_dev.url, max_network_retries=0)


def test_customer_create_sends_documented_fields_and_replays_idempotently(stripe_dev: DevStripeServer,
                                                                          api: StripeSdkApi) -> None:
    cid = api.create_customer(email="a@example.test", user_id="u-1", idempotency_key="cust-u-1")
    again = api.create_customer(email="a@example.test", user_id="u-1", idempotency_key="cust-u-1")
    assert cid == again and cid.startswith("cus_") and len(stripe_dev.state.customers) == 1
    req = stripe_dev.state.requests[0]
    assert (req.method, req.path) == ("POST", "/v1/customers")
    assert req.params == {"email": "a@example.test", "metadata": {"user_id": "u-1"}}
    assert req.idempotency_key == "cust-u-1" and req.stripe_version == stripe._api_version._ApiVersion.CURRENT
    # same key, other parameters: Stripe refuses
    with pytest.raises(stripe.IdempotencyError):
        api.create_customer(email="b@example.test", user_id="u-1", idempotency_key="cust-u-1")
    # no e-mail: the field is left out, not sent empty
    api.create_customer(email=None, user_id="u-2", idempotency_key="cust-u-2")
    assert stripe_dev.state.requests[-1].params == {"metadata": {"user_id": "u-2"}}


def test_checkout_session_form_fields_and_object(stripe_dev: DevStripeServer, api: StripeSdkApi) -> None:
    cid = api.create_customer(email=None, user_id="u-1", idempotency_key="c1")
    session = api.create_checkout_session({
        "mode": "subscription", "customer": cid, "client_reference_id": "u-1",
        "line_items": [{"price": "price_pro", "quantity": 1}],
        "subscription_data": {"metadata": {"user_id": "u-1"}}, "metadata": {"user_id": "u-1"},
        "success_url": "http://127.0.0.1:5000/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://127.0.0.1:5000/billing?checkout=cancel", "allow_promotion_codes": True,
    }, idempotency_key="cs-1")
    req = stripe_dev.state.requests[-1]
    assert (req.method, req.path) == ("POST", "/v1/checkout/sessions")
    # what went over the wire is Stripe's bracketed form encoding
    assert req.params["line_items"] == [{"price": "price_pro", "quantity": "1"}]
    assert req.params["subscription_data"] == {"metadata": {"user_id": "u-1"}}
    assert req.params["allow_promotion_codes"] == "true" and req.params["mode"] == "subscription"
    assert session["object"] == "checkout.session" and session["id"].startswith("cs_")
    assert session["url"] == f"{stripe_dev.url}/c/pay/{session['id']}" and session["status"] == "open"
    assert session["customer"] == cid and session["client_reference_id"] == "u-1"


@pytest.mark.parametrize(("params", "message"), [
    ({"mode": "subscription", "line_items": [{"price": "price_pro", "quantity": 1}], "success_url": "http://x.test/a",
      "customr": "cus_x"}, "Received unknown parameter: customr"),
    ({"mode": "subscriptions", "success_url": "http://x.test/a"}, "Invalid mode"),
    ({"mode": "subscription", "success_url": "http://x.test/a"}, "line_items"),
    ({"mode": "subscription", "line_items": [{"price": "price_gold", "quantity": 1}], "success_url": "http://x.test/a"},
     "No such price: 'price_gold'"),
    ({"mode": "subscription", "line_items": [{"price": "price_pro", "quantity": 0}], "success_url": "http://x.test/a"},
     "Quantity"),
    ({"mode": "subscription", "line_items": [{"price": "price_pro", "quantity": 1}]}, "success_url"),
    ({"mode": "subscription", "line_items": [{"price": "price_pro", "quantity": 1}], "success_url": "http://x.test/a",
      "subscription_data": {"metadata": {"user_id": "u"}, "trial_days": 3}},
     "Received unknown parameter: subscription_data[trial_days"),
    ({"mode": "subscription", "line_items": [{"price": "price_pro", "quantity": 1}], "success_url": "http://x.test/a",
      "customer": "cus_nobody"}, "No such customer"),
])
def test_checkout_session_refuses_what_stripe_refuses(api: StripeSdkApi, params: dict[str, object],
                                                      message: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        api.create_checkout_session(dict(params), idempotency_key=f"bad-{message}")
    assert message in str(err.value)


def test_portal_session_requires_a_known_customer(stripe_dev: DevStripeServer, api: StripeSdkApi) -> None:
    with pytest.raises(stripe.InvalidRequestError, match="customer"):
        api.create_portal_session({"return_url": "http://127.0.0.1:5/x"})
    with pytest.raises(stripe.InvalidRequestError, match="No such customer"):
        api.create_portal_session({"customer": "cus_nobody"})
    cid = api.create_customer(email=None, user_id="u", idempotency_key="c")
    portal = api.create_portal_session({"customer": cid, "return_url": "http://127.0.0.1:5/x"})
    req = stripe_dev.state.requests[-1]
    assert (req.method, req.path, req.params) == ("POST", "/v1/billing_portal/sessions",
                                                  {"customer": cid, "return_url": "http://127.0.0.1:5/x"})
    assert portal["object"] == "billing_portal.session" and portal["url"].startswith(f"{stripe_dev.url}/p/session/")


def test_subscription_and_price_retrieval(stripe_dev: DevStripeServer, api: StripeSdkApi) -> None:
    cid = api.create_customer(email=None, user_id="u", idempotency_key="c")
    session = api.create_checkout_session({"mode": "subscription", "customer": cid,
                                           "line_items": [{"price": "price_studio", "quantity": 1}],
                                           "subscription_data": {"metadata": {"user_id": "u"}},
                                           "success_url": "http://127.0.0.1:5/ok"}, idempotency_key="s")
    done = stripe_dev.state.complete_checkout(session["id"])
    sub = api.retrieve_subscription(done["subscription"])
    req = stripe_dev.state.requests[-1]
    assert (req.method, req.path) == ("GET", f"/v1/subscriptions/{done['subscription']}")
    assert sub["object"] == "subscription" and sub["status"] == "active" and sub["customer"] == cid
    item = sub["items"]["data"][0]
    assert item["price"]["id"] == "price_studio" and item["current_period_end"] > item["current_period_start"]
    assert sub["metadata"] == {"user_id": "u"}
    with pytest.raises(stripe.InvalidRequestError) as err:
        api.retrieve_subscription("sub_nobody")
    assert err.value.code == "resource_missing" and err.value.http_status == 404
    price = api.retrieve_price("price_studio")
    assert (price["unit_amount"], price["currency"], price["recurring"]["interval"]) == (2900, "usd", "month")


def test_wrong_secret_key_is_refused(stripe_dev: DevStripeServer) -> None:
    other = StripeSdkApi("sk_test_wrong", api_base=stripe_dev.url, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError):
        other.create_customer(email=None, user_id="u", idempotency_key="k")
    with pytest.raises(ValueError, match="secret"):
        StripeSdkApi("pk_test_publishable")


def test_server_refuses_json_bodies_and_unknown_routes(stripe_dev: DevStripeServer) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    r = httpx.post(f"{stripe_dev.url}/v1/customers", json={"email": "a@b.c"}, headers=auth)
    assert r.status_code == 400 and "form-encoded" in r.json()["error"]["message"]
    r = httpx.post(f"{stripe_dev.url}/v1/charges", data={"amount": "1"}, headers=auth)
    assert r.status_code == 404 and r.json()["error"]["type"] == "invalid_request_error"


def test_form_decoding() -> None:
    assert decode_form("a[0][b]=1&a[1][b]=2&m[k]=v&e[]=x&e[]=y") == {
        "a": [{"b": "1"}, {"b": "2"}], "m": {"k": "v"}, "e": ["x", "y"]}
    with pytest.raises(StripeRequestError):
        decode_form("a[0]=1&a[2]=2")
    with pytest.raises(StripeRequestError):
        decode_form("a=1&a[b]=2")


def test_subscription_update_and_cancel_through_the_sdk(stripe_dev: DevStripeServer, api: StripeSdkApi) -> None:
    """What the customer portal does to a subscription, over the same wire protocol (SDK calls)."""
    cid = api.create_customer(email=None, user_id="u", idempotency_key="c")
    session = api.create_checkout_session({"mode": "subscription", "customer": cid,
                                           "line_items": [{"price": "price_pro", "quantity": 1}],
                                           "success_url": "http://127.0.0.1:5/ok"}, idempotency_key="s")
    sub_id = stripe_dev.state.complete_checkout(session["id"])["subscription"]
    client = stripe.StripeClient(KEY, base_addresses={"api": stripe_dev.url}, max_network_retries=0)
    sub = client.v1.subscriptions.update(sub_id, {"cancel_at_period_end": True})
    req = stripe_dev.state.requests[-1]
    assert (req.method, req.path, req.params) == ("POST", f"/v1/subscriptions/{sub_id}",
                                                  {"cancel_at_period_end": "true"})
    assert sub.cancel_at_period_end and sub.cancel_at == sub["items"]["data"][0]["current_period_end"]
    sub = client.v1.subscriptions.update(sub_id, {"items": [{"price": "price_studio"}]})
    assert sub["items"]["data"][0]["price"]["id"] == "price_studio"
    with pytest.raises(stripe.InvalidRequestError, match="Received unknown parameter: cancel_now"):
        client.v1.subscriptions.update(sub_id, {"cancel_now": True})  # type: ignore[typeddict-unknown-key]
    sub = client.v1.subscriptions.cancel(sub_id)
    assert stripe_dev.state.requests[-1].method == "DELETE" and sub.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError, match="canceled subscription"):
        client.v1.subscriptions.update(sub_id, {"cancel_at_period_end": False})
    types = [e["type"] for e in stripe_dev.state.events]
    assert types == ["customer.subscription.created", "checkout.session.completed", "invoice.paid",
                     "customer.subscription.updated", "customer.subscription.updated",
                     "customer.subscription.deleted"]

"""Ratings: an adopter (a delivered group purchase) rates a product version once, 1–5 with a comment; nobody else
rates; a city officer hides a comment with a reason (the score still counts); the showcase sorts by rating and by
adoption."""

from __future__ import annotations

import uuid

from catalog.main import create_app
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, DAY, Review, ok, product, seed
from .matching_kit import RATING


async def test_adopters_rate_once_and_the_city_hides_a_comment(stack: Stack) -> None:
    settings = await stack.settings("catalog", business_date=DAY)
    async with service_client(create_app(settings)) as client:
        params, actors = await seed(stack, client, settings.database_url)  # ent-1 adopted version 1 (group purchase)
        pid = params["product_id"]
        review = Review(client, stack)
        unrated = await review.create(product("仓储管理云", scenes=["S09"]))
        await review.through_review(unrated["id"])
        ratings = f"{API}/products/{pid}/ratings"

        def key() -> dict[str, str]:
            return {"Idempotency-Key": str(uuid.uuid4())}

        body = RATING  # the seed's enterprise rated version 1 already
        rated = ok(await client.get(ratings, headers=actors["enterprise"]))["items"][0]
        assert rated["id"] == params["rating_id"] and rated["score"] == 4 and rated["hidden"] is False
        again = await client.post(ratings, json=body, headers={**actors["enterprise"], **key()})
        assert again.status_code == 409 and again.json()["code"] == "already_rated"
        assert (await client.post(ratings, json={**body, "version": 2}, headers={**actors["enterprise"], **key()})).status_code == 403
        stranger = stack.issuer.headers(["enterprise"], org="ent-9")
        assert (await client.post(ratings, json=body, headers={**stranger, **key()})).status_code == 403
        assert (await client.post(ratings, json={**body, "score": 6}, headers={**actors["enterprise"], **key()})).status_code == 422

        # the city hides the comment with a reason; others see the score only, the city the reason
        hide = f"{API}/ratings/{rated['id']}/hide"
        assert (await client.post(hide, json={"reason": "广告"},
                                 headers={**actors["city_officer"], "If-Match": '"9"'})).status_code == 412
        hidden = ok(await client.post(hide, json={"reason": "含不实宣传内容"}, headers={**actors["city_officer"], "If-Match": '"1"'}))
        assert hidden["hidden"] is True and hidden["hidden_reason"] == "含不实宣传内容"
        seen = ok(await client.get(ratings, headers=actors["provider"]))
        assert seen["mean_score"] == "4.00" and seen["items"][0]["comment"] is None and seen["items"][0]["hidden"] is True
        assert ok(await client.get(ratings, headers=actors["auditor"]))["items"][0]["comment"] == body["comment"]
        assert (await client.post(hide, json={"reason": "x"}, headers={**actors["provider"], "If-Match": '"2"'})).status_code == 403

        # rating and adoption feed the showcase's sorting
        for sort in ("rating", "adoption"):
            found = ok(await client.get(f"{API}/showcase/products", params={"sort": sort}))
            assert [i["product_id"] for i in found["items"]] == [pid, unrated["id"]], sort

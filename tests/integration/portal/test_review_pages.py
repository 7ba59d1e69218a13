# ruff: noqa: F811  (the portal fixture imported from the upload module, named as an argument)
"""The review queue server side (issue 22): the portal over the real registry and KPI APIs in
this process, signed in as the admin, a partner reporting over the API with its own key.
A report returned with a reason, answered by the partner and sent again shows the whole
conversation beside the new version: the return and the answer hang on the first version."""

import html
import re

import httpx

from tests.integration.kpi.test_intake_api import partner_key
from tests.integration.kpi.test_review_basis import batch, item
from tests.integration.portal.test_upload_preview import (  # noqa: F401 (fixture used by name)
    RAW,
    Portal,
    hidden,
    portal,
)


def thread_of(page: httpx.Response, report_id: str) -> list[str]:
    """The entries of a queue row's thread (versions and comments), as their text."""
    row = page.text.split(f'<tr data-report="{report_id}"', 1)[1].split("</tr>", 1)[0]
    entries = row.split('<ol class="thread">', 1)[1].split("</ol>", 1)[0]
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", e)).split())
        for e in re.findall(r"<li[^>]*>(.*?)</li>", entries, flags=re.S)
    ]


async def test_a_report_sent_again_shows_the_return_and_the_partners_answer(
    portal: Portal,
) -> None:
    key = await partner_key(portal.kpi, portal.auth, "IBDO BV")
    [first] = await batch(portal.kpi, key, item("ENTREPRENEURS_REACHED", "2019-Q1", 40))
    queue = await portal.client.get("/review")
    assert queue.status_code == 200, queue.text
    returned = await portal.client.post(
        "/review/decisions",
        data={
            "csrf": hidden(queue, "csrf"),
            "back": hidden(queue, "back"),
            "act": f"return:{first['id']}",
            f"reason-{first['id']}": "Graag de deelnemerslijst erbij",
        },
    )
    assert returned.status_code == 303, returned.text
    answered = await portal.kpi.client.post(
        f"/v1/reports/{first['id']}/comments",
        json={"text": "Lijst volgt: 42, niet 40"},
        headers=key,
    )
    assert answered.status_code == 201, answered.text
    [second] = await batch(portal.kpi, key, item("ENTREPRENEURS_REACHED", "2019-Q1", 42))
    assert second["version"] == 2

    page = await portal.client.get("/review")
    assert page.status_code == 200 and not RAW.search(page.text)
    thread = thread_of(page, second["id"])
    assert len(thread) == 4, thread
    # the partner's key reported: named by its organisation where the registry knows it (this
    # registry has none: tests/unit/portal/test_catalogue_names.py), never by its id
    assert thread[0].startswith("v1 : 40 · teruggestuurd · partner,")
    assert thread[1].startswith("admin (programmastaf) stuurde terug")
    assert thread[1].endswith("Graag de deelnemerslijst erbij")
    assert thread[2].startswith("partner reageerde")
    assert thread[2].endswith("Lijst volgt: 42, niet 40")
    assert thread[3].startswith("v2 : 42 · ingediend · partner,")
    assert "organisation:" not in page.text


def waiting_line(page: httpx.Response) -> str:
    line = page.text.split('<p class="waiting">', 1)[1].split("</p>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", line)).split())


async def test_the_queue_says_how_many_wait_and_how_many_the_filter_shows(
    portal: Portal,
) -> None:
    key = await partner_key(portal.kpi, portal.auth, "IBDO BV")
    [_] = await batch(portal.kpi, key, item("ENTREPRENEURS_REACHED", "2019-Q1", 40))
    one = await portal.client.get("/review")
    assert waiting_line(one) == "1 rapportage wacht op een besluit."
    await batch(portal.kpi, key, item("ENTREPRENEURS_REACHED", "2019-Q2", 41))
    everything = await portal.client.get("/review")
    assert waiting_line(everything) == "2 rapportages wachten op een besluit."
    filtered = await portal.client.get("/review?period=2019-Q2")
    assert waiting_line(filtered) == (
        "2 rapportages wachten op een besluit. Het filter toont er 1 van."
    )

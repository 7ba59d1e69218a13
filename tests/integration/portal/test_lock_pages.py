# ruff: noqa: F811  (the portal fixture imported from the upload module, named as an argument)
"""The review page's period locks server side (issue 22): the portal over the real registry
and KPI APIs in this process, signed in as the admin. The page lists the chosen programme's
locks and exceptions by name with Amsterdam times; the lock form offers the programme's own
quarters; a forged period outside its years is refused in words."""

import html
import re
import uuid

import httpx

from services.kpi.consumers import options, registry_handlers
from shared.auth import Role
from tests.integration.portal.test_upload_preview import (  # noqa: F401 (fixture used by name)
    RAW,
    Portal,
    hidden,
    portal,
)
from tests.registry_events import Registry


def cells(page: httpx.Response, table_id: str) -> list[list[str]]:
    """The body rows of the table with that id, as the text of their cells."""
    table = page.text.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


def options_of(page: httpx.Response, action: str, name: str) -> list[str]:
    """The values a form's select offers."""
    form = page.text.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    select = form.split(f'<select name="{name}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"', select)


async def a_programme(portal: Portal, name: str, first: int, last: int) -> str:
    """A programme in the registry, and (as its events would) in the KPI service's replica."""
    created = await portal.services.post(
        "http://projects/v1/programmes",
        json={"name": name, "period_start": first, "period_end": last, "region": "Drenthe"},
        headers=portal.auth(Role.ADMIN),
    )
    assert created.status_code == 201, created.text
    programme = created.json()["id"]
    registry = Registry(programme=uuid.UUID(programme))
    await registry.deliver(registry_handlers(options(portal.kpi.settings)), portal.kpi.uow)
    return str(programme)


async def test_a_locked_quarter_is_listed_and_no_longer_offered(portal: Portal) -> None:
    programme = await a_programme(portal, "Koers Drenthe 2016-2019", 2016, 2019)
    page = await portal.client.get(f"/review?programme={programme}")
    assert page.status_code == 200 and not RAW.search(page.text)
    quarters = options_of(page, "/review/locks", "period")
    assert quarters[0] == "2016-Q1" and quarters[-1] == "2019-Q4" and len(quarters) == 16
    assert cells(page, "locked-periods") == [["Nog geen periode vergrendeld."]]
    assert "Dit programma heeft nog geen projecten." in page.text  # no exception to grant

    locked = await portal.client.post(
        "/review/locks",
        data={"csrf": hidden(page, "csrf"), "programme_id": programme, "period": "2016-Q2"},
    )
    assert locked.status_code == 303, locked.text
    assert locked.headers["location"] == f"/review?programme={programme}&done=lock#locks"
    page = await portal.client.get(locked.headers["location"])
    assert "Periode vergrendeld." in page.text
    [row] = cells(page, "locked-periods")
    assert row[:2] == ["2016-Q2", "admin"]
    assert re.fullmatch(r"\d{1,2} \w+ \d{4},? \d{2}:\d{2}", row[2]), row[2]  # local, in words
    assert "Koers Drenthe 2016-2019" in page.text and programme not in row
    assert "2016-Q2" not in options_of(page, "/review/locks", "period")


async def test_a_forged_period_outside_the_programmes_years_is_refused_in_words(
    portal: Portal,
) -> None:
    programme = await a_programme(portal, "Koers Drenthe 2016-2019", 2016, 2019)
    page = await portal.client.get(f"/review?programme={programme}")
    refused = await portal.client.post(
        "/review/locks",
        data={"csrf": hidden(page, "csrf"), "programme_id": programme, "period": "2020-Q1"},
    )
    assert refused.status_code == 422
    assert not RAW.search(refused.text)
    assert (
        "periode: 2020-Q1 valt buiten de jaren van het programma (2016 tot en met 2019)"
        in html.unescape(refused.text)
    )
    assert cells(refused, "locked-periods") == [["Nog geen periode vergrendeld."]]

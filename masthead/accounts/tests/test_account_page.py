"""The reader's account page, the header's sign-in links, and the sign-in pages in the publication's design."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from masthead.access.enums import UnlockSource
from masthead.access.models import ComplimentaryAccess, GiftLink, InstitutionSeat, MeterUnlock
from masthead.access.tests import factories
from masthead.articles.tests.factories import make_article

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
MID_NOVEMBER = dt.datetime(2026, 11, 15, 12, 0, tzinfo=LONDON)
ACCOUNT_URL = "/account/"


def _signed_in(user, **client_options) -> Client:
    client = Client(**client_options)
    client.force_login(user)
    return client


def _page(client: Client, url: str = ACCOUNT_URL, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _text(html: str) -> str:
    """The page's words with tags removed and whitespace collapsed, as a reader would read them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _unlock(user, article, *, when: dt.datetime, source: str = UnlockSource.METER) -> MeterUnlock:
    return MeterUnlock.objects.create(
        reader=user,
        article=article,
        source=source,
        month=timezone.localtime(when).date().replace(day=1),
        created_at=when,
    )


def test_the_account_page_sends_anonymous_visitors_to_sign_in_and_back():
    response = Client().get(ACCOUNT_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={ACCOUNT_URL}"


@time_machine.travel(MID_NOVEMBER, tick=False)
def test_a_free_reader_sees_their_confirmed_address_and_their_meter_in_words():
    user = factories.reader(email="ada@example.org")
    chosen = [make_article(title="Ports of the Red Sea"), make_article(title="Grain and the Bosphorus")]
    for article in chosen:
        _unlock(user, article, when=MID_NOVEMBER - dt.timedelta(days=2))

    html = _page(_signed_in(user))
    text = _text(html)

    assert "ada@example.org" in text
    assert "Confirmed" in text
    assert "Free reader" in text
    assert "You have used 2 of your 3 free articles in November." in text
    for article in chosen:
        assert f'href="{article.url}"' in html and article.title in html


@time_machine.travel(MID_NOVEMBER, tick=False)
def test_the_meter_counts_this_month_only_while_the_history_keeps_every_unlock():
    user = factories.reader()
    last_month = make_article(title="An October choice")
    registered_on = make_article(title="The article I registered on")
    this_month = make_article(title="A November choice")
    _unlock(user, last_month, when=dt.datetime(2026, 10, 30, 9, 0, tzinfo=LONDON))
    _unlock(user, registered_on, when=MID_NOVEMBER - dt.timedelta(hours=3), source=UnlockSource.REGISTRATION)
    _unlock(user, this_month, when=MID_NOVEMBER - dt.timedelta(hours=1))

    html = _page(_signed_in(user))
    meter_section, history_section = html.split('id="account-meter"')[1].split('id="account-history"')

    assert "You have used 1 of your 3 free articles in November." in _text(meter_section)
    assert "A November choice" in meter_section
    assert "An October choice" not in meter_section and "The article I registered on" not in meter_section
    history = re.findall(r'class="account-article__headline"[^>]*>([^<]+)<', history_section)
    assert history == ["A November choice", "The article I registered on", "An October choice"]
    assert "Unlocked when you registered" in history_section


@time_machine.travel(MID_NOVEMBER, tick=False)
def test_a_reader_who_used_every_free_article_is_told_when_new_ones_arrive():
    user = factories.reader()
    factories.use_meter(user, count=3, now=MID_NOVEMBER)

    text = _text(_page(_signed_in(user)))

    assert "You have used all 3 of your free articles in November. Your next 3 arrive on 1 December." in text


def test_the_reading_history_is_paginated_newest_first():
    user = factories.reader()
    start = timezone.now() - dt.timedelta(days=60)
    for number in range(25):
        _unlock(user, make_article(title=f"History item {number:02d}"), when=start + dt.timedelta(days=number))
    client = _signed_in(user)

    first = _page(client).split('id="account-history"')[1]
    second = _page(client, page=2).split('id="account-history"')[1]

    first_titles = re.findall(r"History item (\d\d)", first)
    second_titles = re.findall(r"History item (\d\d)", second)
    assert first_titles == [f"{n:02d}" for n in range(24, 4, -1)]
    assert second_titles == [f"{n:02d}" for n in range(4, -1, -1)]
    assert "Page 1 of 2" in first and 'href="?page=2"' in first


def test_an_unconfirmed_reader_is_offered_the_confirmation_link_again():
    user = factories.reader(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    html = _page(_signed_in(user))

    assert "Not confirmed yet" in html
    assert f'href="{reverse("account_email")}"' in html
    assert "Confirm your email address to choose 3 free articles this month." in _text(html)


@time_machine.travel(MID_NOVEMBER, tick=False)
def test_complimentary_access_is_stated_with_its_end_date_and_gift_links_are_offered():
    user = factories.reader()
    ComplimentaryAccess.objects.create(
        reader=user,
        starts_at=MID_NOVEMBER - dt.timedelta(days=10),
        ends_at=dt.datetime(2027, 3, 3, 18, 0, tzinfo=LONDON),
    )

    html = _page(_signed_in(user))
    text = _text(html)

    assert "Complimentary access until 3 March 2027" in text
    assert "Free reader" not in text
    assert 'id="account-meter"' not in html  # the meter does not count while access lasts
    assert f'href="{reverse("access:gifts")}"' in html


def test_expired_complimentary_access_leaves_a_free_reader_without_gift_links():
    user = factories.reader()
    now = timezone.now()
    ComplimentaryAccess.objects.create(
        reader=user, starts_at=now - dt.timedelta(days=60), ends_at=now - dt.timedelta(days=1)
    )

    html = _page(_signed_in(user))

    assert "Free reader" in html and "Complimentary access" not in html
    assert reverse("access:gifts") not in html


def test_a_reader_who_shared_gift_links_keeps_the_link_to_them_after_their_access_ends():
    user = factories.reader()
    now = timezone.now()
    GiftLink.objects.create(
        giver=user,
        article=make_article(),
        created_at=now - dt.timedelta(days=40),
        expires_at=now - dt.timedelta(days=26),
    )

    assert reverse("access:gifts") in _page(_signed_in(user))


def test_an_institution_member_sees_the_institution_whose_seat_they_hold():
    user = factories.reader(email="member@uni.example")
    university = factories.institution(name="University of Example", email_domains="uni.example")
    InstitutionSeat.objects.create(institution=university, reader=user)
    lapsed = factories.institution(
        name="Lapsed Institute", starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 12, 31), email_domains="x.example"
    )
    InstitutionSeat.objects.create(institution=lapsed, reader=user)

    text = _text(_page(_signed_in(user)))

    assert "Member of University of Example" in text
    assert "Lapsed Institute" not in text
    assert "Free reader" not in text


def test_staff_see_their_account_but_are_told_an_administrator_closes_it():
    editor = factories.staff()

    html = _page(_signed_in(editor))

    assert "Staff" in html and "you read every article in full" in html
    assert reverse("accounts:delete") not in html
    assert "Staff accounts are closed by an administrator." in html
    assert reverse("access:gifts") in html


def test_the_page_links_to_the_export_deletion_password_and_newsletters():
    html = _page(_signed_in(factories.reader()))
    newsletters = html.split('id="account-newsletters"')[1].split("</section>")[0]

    assert f'href="{reverse("accounts:export")}"' in html
    assert f'href="{reverse("accounts:delete")}"' in html
    assert f'href="{reverse("account_set_password")}"' in html
    assert "<form" not in newsletters
    try:
        preferences = reverse("newsletters:preferences")
    except NoReverseMatch:  # before the newsletters app is routed: a placeholder
        assert "newsletters arrive soon" in newsletters
    else:
        assert f'href="{preferences}"' in newsletters


def test_a_reader_with_a_password_is_offered_to_change_it():
    user = factories.reader(password="a-long-test-password-9")

    assert f'href="{reverse("account_change_password")}"' in _page(_signed_in(user))


def test_the_account_page_is_never_stored_by_a_cache():
    response = _signed_in(factories.reader()).get(ACCOUNT_URL)

    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_account_page_makes_as_many_queries_for_a_long_history_as_for_a_short_one():
    short, long = factories.reader(), factories.reader()
    now = timezone.now()
    _unlock(short, make_article(), when=now)
    for days in range(15):
        _unlock(long, make_article(), when=now - dt.timedelta(days=days))
    short_client, long_client = _signed_in(short), _signed_in(long)
    _page(short_client), _page(long_client)  # warm the caches both pages share (site root paths)

    with CaptureQueriesContext(connection) as short_queries:
        _page(short_client)
    with CaptureQueriesContext(connection) as long_queries:
        _page(long_client)

    assert len(long_queries) == len(short_queries)


def test_the_header_offers_sign_in_back_to_the_current_page_to_anonymous_readers():
    html = _page(Client(), "/")

    assert f'href="{reverse("account_login")}?next=/"' in html
    assert ">Your account<" not in html


def test_a_signed_in_reader_signs_out_from_the_header_with_a_csrf_protected_post():
    client = _signed_in(factories.reader(), enforce_csrf_checks=True)
    html = _page(client, "/")
    header = html.split('class="reader-nav"')[1].split("</nav>")[0]
    assert f'href="{ACCOUNT_URL}"' in header and "Your account" in header
    assert f'action="{reverse("account_logout")}"' in header
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', header).group(1)

    assert client.post(reverse("account_logout")).status_code == 403  # no token, no sign-out
    signed_out = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})

    assert signed_out.status_code == 302
    assert client.get(ACCOUNT_URL).status_code == 302


def test_the_sign_in_page_asks_for_an_email_address_only():
    html = _page(Client(), reverse("account_login"))
    form = html.split('class="account-form"')[1].split("</form>")[0]

    assert 'type="email"' in form and 'autocomplete="email"' in form
    assert 'type="password"' not in form
    assert "Email me a sign-in code" in form
    assert '<label class="account-field__label" for="id_login">Email address</label>' in form
    assert 'class="site-header"' in html  # the publication's design, not allauth's bare layout


@pytest.mark.parametrize(
    "url_name",
    ["account_login", "account_request_login_code", "account_signup"],
)
def test_the_entrance_pages_keep_the_reader_on_the_page_they_came_from(url_name):
    html = _page(Client(), reverse(url_name), next="/analysis/")

    assert '<input type="hidden" name="next" value="/analysis/">' in html


def test_asking_for_a_sign_in_code_leads_to_the_code_page_in_the_publications_design():
    factories.reader(email="code@example.org")
    client = Client(enforce_csrf_checks=True)
    login_page = _page(client, reverse("account_login"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)

    response = client.post(reverse("account_login"), {"login": "code@example.org", "csrfmiddlewaretoken": token})
    code_page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert "Enter your sign-in code" in code_page
    assert "code@example.org" in code_page
    assert 'autocomplete="one-time-code"' in code_page
    assert "Use a different address" in code_page


def test_a_wrong_code_is_reported_next_to_the_field():
    factories.reader(email="wrong@example.org")
    client = Client()
    client.post(reverse("account_login"), {"login": "wrong@example.org"})

    html = client.post(reverse("account_confirm_login_code"), {"code": "NOPE-NOPE"}).content.decode()

    assert 'aria-invalid="true"' in html
    assert 'id="id_code_error"' in html and 'aria-describedby="id_code_error"' in html


def test_the_email_addresses_page_works_without_javascript():
    user = factories.reader(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client = _signed_in(user, enforce_csrf_checks=True)
    html = _page(client, reverse("account_email"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    assert "<script" not in html.split('id="main"')[1]
    assert f'value="{user.email}"' in html and 'name="action_send"' in html
    resent = client.post(
        reverse("account_email"), {"email": user.email, "action_send": "", "csrfmiddlewaretoken": token}
    )
    assert resent.status_code == 302


def test_a_single_confirmed_address_is_shown_without_pointless_buttons():
    user = factories.reader()

    html = _page(_signed_in(user), reverse("account_email"))
    main = html.split('id="main"')[1]

    assert user.email in main and "Confirmed" in main
    assert 'name="action_send"' not in main and 'name="action_remove"' not in main
    assert 'name="action_add"' in main


def test_a_reader_waiting_for_a_code_can_start_again_with_a_different_address():
    factories.reader(email="first@example.org")
    client = Client()
    client.post(reverse("account_login"), {"login": "first@example.org"})

    response = client.post(reverse("account_logout"), {"next": reverse("account_login")})

    assert response.status_code == 302 and response["Location"] == reverse("account_login")
    assert "account_login" not in client.session
    assert client.get(reverse("account_confirm_login_code")).status_code == 302  # no code pending any more

"""Institutions: access by IP range or confirmed email domain, with seats, dates and clear errors."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from masthead.access.enums import Reason
from masthead.access.models import InstitutionSeat, validate_domains, validate_networks
from masthead.access.tests import factories

pytestmark = pytest.mark.django_db


def _reason(client: Client, article, **extra) -> Reason:
    return client.get(article.url, **extra).access_decision.reason


def test_anyone_on_an_institutions_ipv4_range_reads_everything():
    factories.institution(ip_ranges="203.0.113.0/24")
    secret = factories.marker()
    article = factories.gated_article(secret)

    inside = Client(REMOTE_ADDR="203.0.113.77").get(article.url)
    outside = Client(REMOTE_ADDR="198.51.100.7").get(article.url)

    assert inside.access_decision.reason == Reason.INSTITUTION
    assert secret in inside.content.decode()
    assert secret not in outside.content.decode()


def test_an_ipv6_range_admits_its_addresses():
    factories.institution(ip_ranges="# campus\n2001:db8:1234::/48\n")
    article = factories.gated_article(factories.marker())
    assert _reason(Client(REMOTE_ADDR="2001:db8:1234:5::9"), article) == Reason.INSTITUTION
    assert _reason(Client(REMOTE_ADDR="2001:db8:9999::1"), article) == Reason.ANONYMOUS


def test_a_forged_forwarding_header_does_not_admit_anyone():
    factories.institution(ip_ranges="203.0.113.0/24")
    article = factories.gated_article(factories.marker())
    client = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert _reason(client, article) == Reason.ANONYMOUS


@override_settings(ACCESS_TRUSTED_PROXIES=1)
def test_behind_a_configured_proxy_the_forwarded_address_counts():
    factories.institution(ip_ranges="203.0.113.0/24")
    article = factories.gated_article(factories.marker())
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert _reason(client, article) == Reason.INSTITUTION


def test_an_institution_outside_its_dates_or_switched_off_admits_no_one():
    today = timezone.localdate()
    factories.institution(ip_ranges="203.0.113.0/24", ends_on=today - dt.timedelta(days=1))
    factories.institution(ip_ranges="198.51.100.0/24", is_active=False)
    factories.institution(ip_ranges="192.0.2.0/24", starts_on=today + dt.timedelta(days=1))
    article = factories.gated_article(factories.marker())
    for address in ("203.0.113.5", "198.51.100.5", "192.0.2.5"):
        assert _reason(Client(REMOTE_ADDR=address), article) == Reason.ANONYMOUS


def test_a_reader_with_a_confirmed_address_at_the_domain_reads_everything_and_takes_a_seat():
    place = factories.institution(email_domains="example.edu\n@Ministry.example.gov")
    article = factories.gated_article(factories.marker())
    member = factories.reader(email="scholar@example.edu")
    official = factories.reader(email="clerk@ministry.example.gov")

    for user in (member, official):
        client = Client()
        client.force_login(user)
        assert _reason(client, article) == Reason.INSTITUTION

    assert InstitutionSeat.objects.filter(institution=place).count() == 2


def test_an_unconfirmed_address_at_the_domain_is_not_enough():
    factories.institution(email_domains="example.edu")
    client = Client()
    client.force_login(factories.reader(email="claims@example.edu", verified=False))
    assert _reason(client, factories.gated_article(factories.marker())) == Reason.UNVERIFIED


def test_when_the_seats_are_taken_a_new_member_is_on_the_meter_and_existing_members_keep_theirs():
    factories.institution(email_domains="example.edu", seat_limit=1)
    article = factories.gated_article(factories.marker())
    first, second = factories.reader(email="a@example.edu"), factories.reader(email="b@example.edu")
    first_client, second_client = Client(), Client()
    first_client.force_login(first)
    second_client.force_login(second)

    assert _reason(first_client, article) == Reason.INSTITUTION
    assert _reason(second_client, article) == Reason.METER_AVAILABLE
    assert _reason(first_client, article) == Reason.INSTITUTION


def test_institution_ip_ranges_must_be_ip_ranges():
    validate_networks("192.0.2.0/24\n2001:db8::/32\n198.51.100.7\n# a comment\n")
    with pytest.raises(ValidationError) as raised:
        validate_networks("192.0.2.0/24\nnot-a-range\n300.1.1.1/8\n0.0.0.0/0")
    messages = " ".join(raised.value.messages)
    assert "Line 2" in messages and "Line 3" in messages
    assert "whole internet" in messages


def test_institution_email_domains_must_be_domains():
    validate_domains("example.edu\n@ministry.example.gov")
    with pytest.raises(ValidationError, match="Line 1"):
        validate_domains("not a domain")


def test_a_malformed_range_stored_by_hand_admits_no_one_and_breaks_nothing():
    factories.institution(ip_ranges="garbage\n203.0.113.0/24")
    article = factories.gated_article(factories.marker())
    assert _reason(Client(REMOTE_ADDR="203.0.113.5"), article) == Reason.INSTITUTION
    assert _reason(Client(REMOTE_ADDR="198.51.100.5"), article) == Reason.ANONYMOUS


def test_editors_export_monthly_reads_per_institution_as_csv(admin_client):
    place = factories.institution(name="University of Testing", ip_ranges="203.0.113.0/24")
    articles = [factories.gated_article(factories.marker()) for _ in range(2)]
    campus = Client(REMOTE_ADDR="203.0.113.5")
    campus.get(articles[0].url)
    campus.get(articles[0].url)
    campus.get(articles[1].url)

    response = admin_client.get(reverse("access_institution_reads_csv"))

    assert response.status_code == 200
    lines = response.content.decode().strip().splitlines()
    month = timezone.localdate().strftime("%Y-%m")
    assert lines[0] == "month,institution,full_text_reads,distinct_articles"
    assert f"{month},{place.name},3,2" in lines


def test_the_csv_export_refuses_bad_months_and_readers(admin_client):
    assert admin_client.get(reverse("access_institution_reads_csv"), {"from": "2026-13"}).status_code == 400
    client = Client()
    client.force_login(factories.reader())
    assert client.get(reverse("access_institution_reads_csv")).status_code in (302, 403)


def test_an_institution_edited_in_the_admin_applies_at_once(admin_client):
    place = factories.institution(ip_ranges="198.51.100.0/24")
    article = factories.gated_article(factories.marker())
    assert _reason(Client(REMOTE_ADDR="203.0.113.5"), article) == Reason.ANONYMOUS

    response = admin_client.post(
        reverse("institutions:edit", args=(place.pk,)),
        {
            "name": place.name,
            "starts_on": place.starts_on.isoformat(),
            "ends_on": place.ends_on.isoformat(),
            "is_active": "on",
            "ip_ranges": "203.0.113.0/24",
            "email_domains": "",
            "seat_limit": "",
            "contact_email": "",
        },
    )

    assert response.status_code == 302
    assert _reason(Client(REMOTE_ADDR="203.0.113.5"), article) == Reason.INSTITUTION


def test_the_admin_shows_a_clear_error_for_a_bad_range(admin_client):
    response = admin_client.post(
        reverse("institutions:add"),
        {"name": "Bad ranges", "starts_on": "2026-01-01", "ends_on": "2027-01-01", "ip_ranges": "10.0.0.0/33"},
    )
    assert response.status_code == 200
    assert "is not an IP address or CIDR range" in response.content.decode()


def test_an_institutions_last_day_is_a_day_in_the_publications_time_zone(settings):
    import zoneinfo

    import time_machine

    settings.TIME_ZONE = "Pacific/Auckland"
    factories.institution(ip_ranges="203.0.113.0/24", ends_on=dt.date(2026, 11, 21))
    article = factories.gated_article(factories.marker())
    auckland = zoneinfo.ZoneInfo("Pacific/Auckland")
    # 00:30 on the 22nd in Auckland is still the 21st in UTC: access must end by the local calendar.
    with time_machine.travel(dt.datetime(2026, 11, 21, 23, 30, tzinfo=auckland)):
        assert _reason(Client(REMOTE_ADDR="203.0.113.5"), article) == Reason.INSTITUTION
    with time_machine.travel(dt.datetime(2026, 11, 22, 0, 30, tzinfo=auckland)):
        assert _reason(Client(REMOTE_ADDR="203.0.113.5"), article) == Reason.ANONYMOUS

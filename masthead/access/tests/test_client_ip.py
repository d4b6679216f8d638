import ipaddress

import pytest
from django.test import RequestFactory, override_settings

from masthead.access.client_ip import client_ip


def _request(remote: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_without_trusted_proxies_the_socket_address_is_the_client_and_forwarding_headers_are_ignored():
    assert client_ip(_request("203.0.113.9", forwarded="198.51.100.1")) == ipaddress.ip_address("203.0.113.9")


@override_settings(ACCESS_TRUSTED_PROXIES=1)
def test_behind_one_proxy_the_last_forwarded_hop_is_the_client_and_spoofed_hops_are_ignored():
    request = _request("10.0.0.2", forwarded="198.51.100.1, 203.0.113.9")
    assert client_ip(request) == ipaddress.ip_address("203.0.113.9")


@override_settings(ACCESS_TRUSTED_PROXIES=2)
def test_behind_two_proxies_the_client_is_two_hops_from_the_right():
    request = _request("10.0.0.3", forwarded="198.51.100.1, 203.0.113.9, 10.0.0.2")
    assert client_ip(request) == ipaddress.ip_address("203.0.113.9")


@override_settings(ACCESS_TRUSTED_PROXIES=1)
@pytest.mark.parametrize("forwarded", ["", "not-an-ip", "203.0.113.9; drop table", "999.1.1.1"])
def test_a_missing_or_malformed_forwarding_header_gives_no_address(forwarded):
    assert client_ip(_request("10.0.0.2", forwarded=forwarded)) is None


def test_an_ipv4_mapped_ipv6_socket_address_is_read_as_ipv4():
    assert client_ip(_request("::ffff:203.0.113.9")) == ipaddress.ip_address("203.0.113.9")


def test_an_ipv6_client_is_understood():
    assert client_ip(_request("2001:db8::5")) == ipaddress.ip_address("2001:db8::5")

"""Which webhook URLs are taken before anything is sent: the same answer at every door."""

from __future__ import annotations

import pytest

from notifier.webhook_targets import MAX_URL_CHARS, UrlProblem, check_webhook_url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.example.com/in", None),
        ("http://hooks.example.com:8080/in", None),
        ("ftp://hooks.example.com/in", UrlProblem.MALFORMED),
        ("hooks.example.com/in", UrlProblem.MALFORMED),
        ("https:///no-host", UrlProblem.MALFORMED),
        ("http://[::1", UrlProblem.MALFORMED),
        ("http://example.com:99999/", UrlProblem.MALFORMED),
        ("https://example.com/" + "a" * MAX_URL_CHARS, UrlProblem.MALFORMED),
        ("http://127.0.0.1:8080/hook", UrlProblem.PRIVATE),
        ("http://localhost/hook", UrlProblem.PRIVATE),
        ("http://10.1.2.3/hook", UrlProblem.PRIVATE),
        ("http://[::ffff:192.168.0.1]/hook", UrlProblem.PRIVATE),
    ],
)
def test_urls_are_judged_without_raising(url: str, problem: UrlProblem | None) -> None:
    assert check_webhook_url(url, allow_private=False) is problem


def test_private_hosts_pass_when_the_operator_allows_them() -> None:
    assert check_webhook_url("http://127.0.0.1:8080/hook", allow_private=True) is None

"""Consumer domains by registrable domain; flows; org-domain inference."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from tracecheck.domains import ConsumerDomains, classify, infer_org
from tracecheck.model import Address, Flow
from tracecheck.shipped_rules import consumer_list_path

CONSUMER = ConsumerDomains.load_default()


def test_shipped_list_is_versioned_and_large_enough() -> None:
    data = yaml.safe_load(consumer_list_path().read_text())
    assert data["schema_version"] == 1 and data["list_version"]
    assert len(data["domains"]) >= 100
    assert len(set(data["domains"])) == len(data["domains"])


@pytest.mark.parametrize(
    ("addr", "consumer"),
    [
        ("a@gmail.com", True),
        ("a@GoogleMail.com", True),
        ("a@hotmail.co.uk", True),
        ("a@hotmail.fr", True),
        ("a@live.co.uk", True),
        ("a@yahoo.co.uk", True),
        ("a@btinternet.com", True),
        ("a@proton.me", True),
        ("a@mail.gmail.com", True),
        ("a@nhs.net", False),
        ("a@leedsth.nhs.uk", False),
        ("a@dhsc.gov.uk", False),
        ("a@gmail-services.co.uk", False),
        ("a@outlookconsulting.com", False),
        ("a@mygmail.com", False),
        ("a@tracecall.co.uk", False),
    ],
)
def test_is_consumer(addr: str, consumer: bool) -> None:
    assert CONSUMER.is_consumer(addr) is consumer


def test_idna_domains_compare_after_punycode() -> None:
    extra = CONSUMER.with_extra(["xn--bcher-kva.de"])
    assert extra.is_consumer("x@xn--bcher-kva.de")


def A(addr: str, field: str = "to") -> Address:
    return Address(addr=addr, field=field)


@pytest.mark.parametrize(
    ("senders", "recipients", "flow"),
    [
        (["a@org.co.uk"], ["b@gmail.com"], Flow.TO_CONSUMER),
        (["a@org.co.uk"], ["b@org.co.uk", "c@hotmail.com"], Flow.TO_CONSUMER),
        (["a@gmail.com"], ["b@org.co.uk"], Flow.FROM_CONSUMER),
        (["a@gmail.com"], ["b@yahoo.com"], Flow.CONSUMER_TO_CONSUMER),
        (["a@org.co.uk"], ["b@sub.org.co.uk"], Flow.INTERNAL),
        (["a@org.co.uk"], ["b@nhs.net"], Flow.EXTERNAL_OTHER),
        ([], [], Flow.UNKNOWN),
    ],
)
def test_classify(senders: list[str], recipients: list[str], flow: Flow) -> None:
    got, involved = classify([A(s, "from") for s in senders], [A(r) for r in recipients],
                             CONSUMER, ["org.co.uk"])
    assert got is flow
    assert set(involved) == {a for a in senders + recipients if CONSUMER.is_consumer(a)}


def test_org_inference_keeps_frequent_sender_domains_and_reports_them() -> None:
    org = infer_org(Counter({"tracecall.co.uk": 40, "tracecall-ops.co.uk": 25, "vendor.com": 3}))
    assert org.inferred and org.domains == ("tracecall-ops.co.uk", "tracecall.co.uk")
    assert org.evidence[0] == ("tracecall.co.uk", 40)
    given = infer_org(Counter({"x.com": 9}), ["Org.co.uk"])
    assert not given.inferred and given.domains == ("org.co.uk",)


@pytest.mark.parametrize("text", [
    consumer_list_path().read_text(encoding="utf-8"),
    "schema_version: 1\ndomains: [a.com, b.com\n",  # invalid: the pure-Python error
    "schema_version: 1\n\tdomains: []\n",  # a tab: invalid
    "a: 1\na: 2\n", "", "x: !!binary aGk=\n",
])
def test_yaml_is_read_as_the_pure_python_parser_reads_it(text: str) -> None:
    """The consumer list (and the packs) are parsed with libyaml where PyYAML has it: same
    document, and for a document either rejects, the pure-Python parser's error."""
    from tracecheck.yaml_reader import safe_load

    def read(load: object) -> object:
        try:
            return load(text)  # type: ignore[operator]
        except yaml.YAMLError as exc:
            return ("error", str(exc))

    assert read(safe_load) == read(lambda t: yaml.load(t, Loader=yaml.SafeLoader))


def test_the_shipped_list_is_read_once() -> None:
    assert ConsumerDomains.load_default() is ConsumerDomains.load_default()
    assert ConsumerDomains.load_default(("x.example",)) is not ConsumerDomains.load_default()
    assert ConsumerDomains.load_default(("x.example",)).is_consumer("a@x.example")

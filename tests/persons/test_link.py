"""People, not hits: mentions linked into persons within and across messages
(`tracecheck.persons.link`)."""

from __future__ import annotations

from tracecheck.persons.link import MessageFacts, link, staff_names
from tracecheck.persons.mentions import Mention

NHS1, NHS2 = "9434765919", "4010232137"


def facts(key: str, *mentions: Mention, ids: tuple[str, ...] = (), health: bool = True,
          date: str = "2021-03-01", confirmed: bool = False) -> MessageFacts:
    return MessageFacts(key, date, ids, health, confirmed, mentions)


def test_three_messages_about_one_named_patient_without_a_number_count_once() -> None:
    ann = Mention("Ann Example", "1950-02-03")
    people = link([facts("m1", ann, date="2021-03-01"),
                   facts("m2", Mention("ANN EXAMPLE", "1950-02-03"), date="2021-03-02"),
                   facts("m3", ann, date="2021-03-04", confirmed=True)])
    (person,) = people
    assert person.messages == ("m1", "m2", "m3")
    assert (person.linked_by, person.first, person.last) == (
        "name and date of birth", "2021-03-01", "2021-03-04")
    assert person.confirmed


def test_a_name_with_a_case_reference_links_and_a_name_alone_does_not() -> None:
    people = link([facts("m1", Mention("Bo Sample", "", ("TC-123456",))),
                   facts("m2", Mention("Bo Sample", "", ("TC-123456",))),
                   facts("m3", Mention("Cy Person", "")),
                   facts("m4", Mention("Cy Person", ""))])
    assert sorted(len(p.messages) for p in people) == [1, 1, 2]
    assert {p.linked_by for p in people} == {"name and case reference", "message"}


def test_a_number_seen_with_two_names_is_flagged_for_review_not_merged() -> None:
    people = link([facts("m1", Mention("Ann Example", "", (), (NHS1,)), ids=(NHS1,)),
                   facts("m2", Mention("Dee Other", "", (), (NHS1,)), ids=(NHS1,))])
    assert len(people) == 2
    assert all(p.review and p.identifiers == (NHS1,) for p in people)
    assert {p.name for p in people} == {"Ann Example", "Dee Other"}


def test_a_reply_that_quotes_a_counted_number_is_about_the_same_person() -> None:
    quoted = Mention("Ann Example", "", (), (NHS1,))
    people = link([facts("m1", quoted, ids=(NHS1,)),
                   facts("reply", quoted, ids=())])  # its new text: symptoms, no number
    (person,) = people
    assert person.messages == ("m1", "reply")


def test_numbers_not_counted_link_nobody_and_unnamed_messages_count_once_each() -> None:
    people = link([facts("m1", Mention("", "", (), ("9990000018",))),
                   facts("m2", Mention("", "", (), (NHS2,)), ids=(NHS2,), health=False)])
    assert [(p.messages, p.identifiers) for p in people] == [(("m1",), ()), (("m2",), (NHS2,))]
    assert [p.key for p in people] == ["P0001", "P0002"]


def test_staff_names_come_from_their_addresses() -> None:
    assert staff_names(["wesley.gorton@tracecall.co.uk", "a@gmail.com", "jo_b@x.org"]) == {
        "wesley gorton", "jo b"}


# --- two different people are never merged (issue 17 review) ---------------------------------

NHS3, NHS4 = "4505577104", "4857773457"
ORG = "tracecall.co.uk"


def spaced(n: str) -> str:
    return f"{n[:3]} {n[3:6]} {n[6:]}"


def scanned_persons(tmp_path, messages):  # type: ignore[no-untyped-def]
    """The report's figures for EML files written from (sender, to, body), in date order."""
    from tracecheck import api
    from tracecheck.case.snapshot import CaseSnapshot
    from tracecheck.reports.ico.numbers import compute

    folder = tmp_path / "mail"
    folder.mkdir()
    for i, (sender, to, body) in enumerate(messages, start=1):
        (folder / f"m{i}.eml").write_text(
            f"Date: Mon, {i} Mar 2021 10:00:00 +0000\nFrom: {sender}\nTo: {to}\n"
            f"Subject: case\nMessage-ID: <m{i}@x>\nMIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=utf-8\n\n{body}\n", encoding="utf-8")
    result = api.scan([str(folder)], api.ScanOptions(org_domains=(ORG,)))
    snapshot = CaseSnapshot.from_scan(result, mentions=api.flagged_mentions(result))
    return compute(snapshot)


def never_fewer_than_identifiers_unflagged(n) -> None:  # type: ignore[no-untyped-def]
    if n.data_subjects_estimate < n.distinct_identifiers:
        assert any(p.review for p in n.persons), "fewer people than numbers, none flagged"


def test_a_list_of_numbers_signed_by_the_sender_is_two_people_not_the_sender(tmp_path):
    n = scanned_persons(tmp_path, [(
        f"Wesley Gorton <wesley.gorton@{ORG}>", "wes.home@gmail.com",
        f"Cases for today:\n{spaced(NHS2)} PCR positive\n{spaced(NHS3)} PCR negative\n"
        "Thanks\nWesley Gorton")])
    assert (n.distinct_identifiers, n.data_subjects_estimate) == (2, 2)
    assert all(p.name != "Wesley Gorton" for p in n.persons)
    assert sorted(p.identifiers for p in n.persons) == [(NHS2,), (NHS3,)]


def test_a_household_with_two_numbers_beside_one_name_is_two_people_flagged(tmp_path):
    n = scanned_persons(tmp_path, [(
        f"Amy Lomax <amy.lomax@{ORG}>", "amy.home@gmail.com",
        f"Hi\n\nHousehold of Peter Brown: NHS {spaced(NHS4)} positive, his son "
        f"{spaced(NHS3)} negative.\n\nAmy")])
    assert (n.distinct_identifiers, n.data_subjects_estimate) == (2, 2)
    assert any(p.review for p in n.persons)


def test_a_number_signed_by_the_sender_and_named_elsewhere_is_one_person(tmp_path):
    n = scanned_persons(tmp_path, [
        (f"Wesley Gorton <wesley.gorton@{ORG}>", "wes.home@gmail.com",
         f"NHS {spaced(NHS1)} tested positive for COVID, please call back.\nWesley Gorton"),
        (f"Amy Lomax <amy.lomax@{ORG}>", "amy.home@gmail.com",
         f"Hi\n\nJohn Smith NHS {spaced(NHS1)} tested positive for COVID.\n\nAmy")])
    (person,) = n.persons
    assert (person.name, person.identifiers, person.review) == ("John Smith", (NHS1,), "")


def test_the_reviewers_four_messages_count_four_people(tmp_path):
    n = scanned_persons(tmp_path, [
        (f"Wesley Gorton <wesley.gorton@{ORG}>", "jsmith.home@hotmail.co.uk",
         f"Hi\n\nPatient John Smith, DOB 01/02/1960, NHS {spaced(NHS1)}, tested positive for "
         "COVID.\n\nWesley"),
        (f"Wesley Gorton <wesley.gorton@{ORG}>", "wes.home@gmail.com",
         f"Cases for today:\n{spaced(NHS2)} PCR positive\n{spaced(NHS3)} PCR negative\n"
         "Thanks\nWesley Gorton"),
        (f"Amy Lomax <amy.lomax@{ORG}>", "amy.home@gmail.com",
         f"Hi\n\nMary Jones NHS {spaced(NHS2)} tested positive for COVID.\n\nAmy"),
        (f"Amy Lomax <amy.lomax@{ORG}>", "amy.home@gmail.com",
         f"Hi\n\nHousehold of Peter Brown: NHS {spaced(NHS4)} positive, his son "
         f"{spaced(NHS3)} negative.\n\nAmy")])
    assert (n.distinct_identifiers, n.data_subjects_estimate) == (4, 4)
    never_fewer_than_identifiers_unflagged(n)
    assert not any(p.name in ("Wesley Gorton", "Amy Lomax") for p in n.persons)


def test_two_numbers_joined_by_a_name_and_birth_date_are_flagged_for_review() -> None:
    people = link([
        facts("m1", Mention("Ann Example", "1950-02-03", (), (NHS1,)), ids=(NHS1,)),
        facts("m2", Mention("Ann Example", "1950-02-03", (), (NHS2,)), ids=(NHS2,))])
    (person,) = people
    assert set(person.identifiers) == {NHS1, NHS2} and person.review

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

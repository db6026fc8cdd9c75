"""Who a message's text is about: names, dates of birth, references and identifiers, grouped
as they sit together (`tracecheck.persons.mentions`)."""

from __future__ import annotations

from tracecheck.persons.mentions import Mention, mentions_in, names_in, normal_name

NHS1, NHS2 = "9434765919", "4010232137"
KNOWN = frozenset({NHS1, NHS2})


def test_a_case_block_is_one_mention_and_the_signature_another() -> None:
    text = ("Hi Aaron,\n\nName: Bethan Mottram\nDOB: 03/10/1951\nNHS number: 943 476 5919\n"
            "PCR test result: positive\n\nThanks,\nWesley Gorton\nCall Handler | Tracecall Ltd\n")
    assert mentions_in(text, "body", KNOWN) == [
        Mention("Bethan Mottram", "1951-10-03", (), (NHS1,), "body"),
        Mention("Wesley Gorton", "", (), (), "body")]


def test_table_rows_each_give_their_own_person() -> None:
    text = ("TC-405198 Imogen Quayle 444-444-1275 PCR Positive\n"
            "TC-805495 Faisal Ellery 401-023-2137 LFD Negative\n")
    found = mentions_in(text, "body", frozenset({"4444441275", NHS2}))
    assert [(m.name, m.refs, m.identifiers) for m in found] == [
        ("Imogen Quayle", ("TC-405198",), ("4444441275",)),
        ("Faisal Ellery", ("TC-805495",), (NHS2,))]


def test_a_csv_attachment_is_read_row_by_row_by_its_header() -> None:
    csv = ("NHS Number,Surname,Forename,DOB,Test,Result\r\n"
           f"{NHS1},Hartigan,Gareth,29/06/1994,PCR,Positive\r\n"
           f"{NHS2},Castleton,Bethan,08/10/1990,LFD,Negative\r\n")
    assert mentions_in(csv, "attachment:cases.csv", KNOWN) == [
        Mention("Gareth Hartigan", "1994-06-29", (), (NHS1,), "attachment:cases.csv"),
        Mention("Bethan Castleton", "1990-10-08", (), (NHS2,), "attachment:cases.csv")]


def test_only_numbers_the_scan_reported_are_kept_and_only_labelled_dates_are_births() -> None:
    text = "Sophie Stansfield, phone 0161 496 0000 1, swab 12/03/2021, DOB 15/11/1948"
    (m,) = mentions_in(text, "body", KNOWN)
    assert m == Mention("Sophie Stansfield", "1948-11-15", (), (), "body")


def test_names_leave_out_greetings_labels_and_weekdays() -> None:
    text = "Hi Aaron, Update on Jade Naylor: Monday Morning Team says Case Notes are late."
    assert [n for _, _, n in names_in(text)] == ["Jade Naylor"]
    assert [n for _, _, n in names_in("Spoke to Renée Brontë's daughter")] == ["Renée Brontë"]


def test_names_compare_without_accents_case_or_titles() -> None:
    assert normal_name("Dr  Zoë Brontë") == normal_name("zoe BRONTE") == "zoe bronte"


def test_a_record_round_trips_through_its_dict() -> None:
    m = Mention("Ann Example", "1950-02-03", ("TC-1",), (NHS1,), "subject")
    assert Mention.from_dict(m.as_dict()) == m

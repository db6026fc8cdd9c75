"""The same message found in several exports is one disclosure, with its copies listed."""

from __future__ import annotations

from tracecheck.case.dedup import group, index
from tracecheck.model import MessageRef


def ref(loc: str, sha: str, mid: str, date: str | None = None) -> MessageRef:
    return MessageRef(loc, sha, mid, date, True)


def test_copies_join_by_raw_hash_or_message_id_transitively():
    refs = [
        ref("vault.mbox@0", "h1", "<A@x.example>", "2021-03-02T00:00:00Z"),
        ref("purview/a.eml", "h1", ""),  # same bytes, Message-ID lost
        ref("maildir/cur/a", "h2", "<a@X.EXAMPLE>", "2021-03-01T00:00:00Z"),  # re-exported
        ref("vault.mbox@900", "h3", "<b@x.example>"),
    ]
    groups = group(refs)
    assert [d.locators for d in groups] == [
        ("maildir/cur/a", "purview/a.eml", "vault.mbox@0"),
        ("vault.mbox@900",),
    ]
    first = groups[0]
    assert first.copies == 3 and first.sha256s == ("h1", "h2")
    assert first.date == "2021-03-01T00:00:00Z"  # earliest copy
    assert index(groups)["purview/a.eml"] is first


def test_messages_without_message_id_are_not_merged_by_the_empty_id():
    groups = group([ref("a", "h1", ""), ref("b", "h2", ""), ref("c", "h3", "  ")])
    assert len(groups) == 3


def test_grouping_does_not_depend_on_input_order():
    refs = [ref(f"m{i}", f"h{i % 3}", f"<{i % 2}@x>") for i in range(8)]
    assert group(refs) == group(list(reversed(refs)))
    assert len(group(refs)) == 1

"""The independent corpus scoring: the fixed split and identifier scores (issue 16)."""

from __future__ import annotations


def test_the_independent_corpus_splits_by_file_number() -> None:
    from tracecheck.evaluation import HELD_OUT, TUNE, half_of

    assert half_of("0001.eml") == TUNE and half_of("0002.eml") == HELD_OUT
    assert half_of("eval/independent/B/0170.eml") == HELD_OUT


def test_identifier_scores_count_missed_and_bogus_values() -> None:
    from tracecheck.evaluation import score_identifiers

    labels: list[dict[str, object]] = [
        {"message_id": "<a>", "positive": True, "kind": "k", "identifiers": ["401 023 2137"]},
        {"message_id": "<b>", "positive": False, "kind": "n", "identifiers": []},
        {"message_id": "<c>", "positive": True, "kind": "k",
         "identifiers": ["9434765919", "4010232137"]},
    ]
    s = score_identifiers(labels, {"<a>", "<b>"}, {"<a>": {"4010232137"}, "<b>": {"1234567881"}})
    assert (s.identifiers, s.identifiers_found, s.bogus_identifiers) == (3, 1, 1)
    assert (s.evaluation.true_positives, s.evaluation.false_positives,
            s.evaluation.false_negatives) == (1, 1, 1)

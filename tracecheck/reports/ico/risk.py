"""The risk assessment behind the notify / tell-the-people decisions (UK GDPR Art. 33, 34).

Owns the mapping from what the evidence shows to the ICO's likelihood scale (very likely …
very unlikely) and a severity (high, medium, low), and from those to two answers: must the ICO
be told (Art. 33: unless the breach is unlikely to result in a risk), and must the people be
told (Art. 34: when the risk is high). Settings in the config override the computed values and
the report says so. Never formats text for a particular output.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracecheck.reports.ico.config import IcoConfig
from tracecheck.reports.ico.numbers import Numbers

NOT_A_RISK = ("unlikely", "very unlikely")
HIGH_LIKELIHOOD = ("very likely", "likely")
_STOPPED = ("bounced", "failed", "quarantined", "filtered", "rejected")
"""Log statuses that show a message did not reach the mailbox; anything else (delivered,
deferred, pending, unknown, no log record) may have."""


@dataclass(frozen=True, slots=True)
class Risk:
    """The assessment and how it was reached."""

    likelihood: str
    severity: str
    notify_ico: bool
    tell_data_subjects: bool
    reasons: tuple[str, ...]
    overridden: tuple[str, ...] = ()
    """Which of likelihood/severity came from the config rather than the evidence."""


def assess(numbers: Numbers, config: IcoConfig) -> Risk:
    """Likelihood and severity from the evidence (or the config), and what follows."""
    reasons: list[str] = []
    if numbers.messages_flagged == 0:
        likelihood = "very unlikely"
        severity = "low"
        reasons.append(
            "No message carrying health data to or from a consumer mailbox remains after review."
        )
    else:
        if numbers.has_health_content:
            severity = "high"
            reasons.append(
                "Health data is special category data (UK GDPR Art. 9) and now sits in "
                "personal mailboxes outside the organisation's control."
            )
        else:
            severity = "medium"
            reasons.append(
                "Health identifiers (e.g. NHS numbers) were disclosed without further health "
                "details."
            )
        logs = numbers.logs
        if logs is not None and logs.forwarding_rules > 0:
            likelihood = "very likely"
            reasons.append(
                f"{logs.forwarding_rules} forwarding rule(s) to external addresses were found "
                "in the audit logs: disclosure may be continuing."
            )
        elif logs is None:
            likelihood = "likely"
            reasons.append(
                "No mail-server logs were part of the case, so delivery is assumed: the "
                "messages are in mailboxes the organisation cannot control."
            )
        else:
            reached = sum(n for status, n in logs.delivery if status not in _STOPPED)
            if reached:
                likelihood = "likely"
                reasons.append(
                    f"The logs show {reached} flagged message(s) delivered or possibly delivered "
                    "(deferred, pending or with no log record)."
                )
            else:
                likelihood = "unlikely"
                reasons.append(
                    "The logs show every flagged message bounced, failed or was filtered."
                )
    overridden = []
    if config.likelihood:
        likelihood = config.likelihood
        overridden.append("likelihood")
    if config.severity:
        severity = config.severity
        overridden.append("severity")
    if overridden:
        reasons.append(f"Set in the configuration: {', '.join(overridden)}.")
    notify = likelihood not in NOT_A_RISK
    tell = severity == "high" and likelihood in HIGH_LIKELIHOOD
    return Risk(
        likelihood=likelihood,
        severity=severity,
        notify_ico=notify,
        tell_data_subjects=tell,
        reasons=tuple(reasons),
        overridden=tuple(overridden),
    )

"""Data subjects as people, not hits: who a flagged message is about, linked across messages.

`mentions` finds the people a message's text names (a name, a date of birth, a case
reference, the identifiers the scan found) and groups them by where they sit (`tracecheck.reread`
reads flagged messages again from their sources for it, outside this package so that reports
can link people without importing the sources); `link` joins mentions within and across
messages into persons. Never decides what counts as a finding (the rule packs do) and never
formats output.
"""

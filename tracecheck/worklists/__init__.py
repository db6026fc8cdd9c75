"""Worklists: the case as the lists a responder works through after the report.

`rows` builds the three lists (consumer mailboxes to contain, people to tell, staff accounts
for HR) from the same figures as the ICO report; `formats` writes them as CSV, JSON or XLSX.
Never reads the case store itself (the api hands it a snapshot) and never writes a value
unmasked unless revealed.
"""

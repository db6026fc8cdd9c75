"""Reporters: one module per format behind one `Reporter` interface and one registry
(`reports.base`), for `tracecheck scan` (a `ScanResult`) and the ICO report (`reports.ico`)."""

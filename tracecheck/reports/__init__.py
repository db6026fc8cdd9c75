"""Scan-result reporters: one module per format behind one `Reporter` interface."""

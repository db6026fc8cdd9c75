"""Sources: finding input files, detecting their type from content, and reading messages."""

"""Sources: finding input files, detecting their type from content, and reading messages.

One `Source` per input type (`base.SourceType`), registered in `registry` in a fixed
precedence order; `files` walks and sniffs, `evidence` opens read-only.
"""

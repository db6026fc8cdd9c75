"""Makes the hand-built case scenario importable by the worklist tests."""

from __future__ import annotations

import sys
from pathlib import Path

CASE = str(Path(__file__).resolve().parents[1] / "case")
if CASE not in sys.path:
    sys.path.insert(0, CASE)

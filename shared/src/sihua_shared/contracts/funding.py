"""Facts published by funding. Payloads are added here as the funding service grows its features."""

from __future__ import annotations

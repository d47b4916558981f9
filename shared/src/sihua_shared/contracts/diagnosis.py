"""Facts published by diagnosis. Payloads are added here as the diagnosis service grows its features."""

from __future__ import annotations

"""Facts published by catalog. Payloads are added here as the catalog service grows its features."""

from __future__ import annotations

"""The sampling audit's draw (抽样评估), reproducible by anyone without this software.

Each cycle publishes a seed (a hex string) when it opens. For each provider, take the enterprises it served in the
cycle (their registry ids), compute for each the hexadecimal HMAC-SHA256 with the key = the seed's text encoded as
UTF-8 and the message = the enterprise id encoded as UTF-8, sort the enterprises by that hex digest ascending
(ties, which do not happen in practice, by id) and take the first n (the model's ``sample_size``; all of them when
fewer). In Python::

    import hmac, hashlib
    ranked = sorted(ids, key=lambda e: (hmac.new(seed.encode(), e.encode(), hashlib.sha256).hexdigest(), e))
    sample = ranked[:n]

Pure: no framework, no database.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


def rank_key(seed: str, enterprise_id: str) -> str:
    return hmac.new(seed.encode("utf-8"), enterprise_id.encode("utf-8"), hashlib.sha256).hexdigest()


def draw(seed: str, enterprise_ids: Iterable[str], n: int) -> list[str]:
    """The first ``n`` of the distinct enterprise ids ranked by HMAC-SHA256(seed, id)."""
    ranked = sorted(set(enterprise_ids), key=lambda e: (rank_key(seed, e), e))
    return ranked[:n]

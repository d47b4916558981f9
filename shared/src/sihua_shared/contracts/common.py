"""Field types shared by payloads of several producers."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

Uscc = Annotated[str, Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$", description="统一社会信用代码 (GB 32100-2015)")]
EntityId = Annotated[str, Field(min_length=1, max_length=100, description="UUID string")]

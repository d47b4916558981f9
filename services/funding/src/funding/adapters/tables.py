"""Tables of the funding service (beside the common ones and the organisations read model)."""

from sqlalchemy import MetaData

metadata = MetaData()

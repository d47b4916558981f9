"""Tables of the evaluation service (beside the common ones and the organisations read model)."""

from sqlalchemy import MetaData

metadata = MetaData()

"""Arrow (Parquet) schemas derived from the pandera models: types, nullability, descriptions."""
from __future__ import annotations

from functools import lru_cache

import pandera.pandas as pa
import pyarrow


@lru_cache(maxsize=None)
def arrow_schema(model: type[pa.DataFrameModel]) -> pyarrow.Schema:
    """The Parquet schema of `model`, each column's description kept as field metadata."""
    fields = []
    for name, column in model.to_schema().columns.items():
        arrow_type = getattr(column.dtype.type, "pyarrow_dtype", None)
        if arrow_type is None:
            raise TypeError(f"{model.__name__}.{name}: dtype {column.dtype} has no Arrow type")
        meta = {"description": column.description} if column.description else None
        fields.append(pyarrow.field(name, arrow_type, nullable=column.nullable, metadata=meta))
    return pyarrow.schema(fields, metadata={"schema": f"newsclean.{model.__name__}"})

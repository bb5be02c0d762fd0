"""Pure transforms: DataFrame(s) -> DataFrame, keyword-only parameters, no IO, no clock."""

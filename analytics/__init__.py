"""Models on the warehouse: exceedances, trends, series (later issues)."""

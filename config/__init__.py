"""Settings: typed models (``settings``), loading with precedence (``loader``)."""

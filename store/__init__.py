"""All SQL lives here: the schema, its migrations, and the queries other parts use."""

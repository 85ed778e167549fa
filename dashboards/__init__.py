"""The faces of plait: the `plait` command, the dashboard and the report."""

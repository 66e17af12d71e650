"""Daily activities of a school, one module per system: each plans a day's events on a Schedule."""

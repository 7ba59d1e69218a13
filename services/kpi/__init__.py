"""KPI intake for partner systems and aggregation along the programme logic."""

"""The KPI service's rules, free of any framework: periods, indicators, series, progress."""

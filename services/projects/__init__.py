"""The project registry: programmes and their goal trees, organisations, projects."""

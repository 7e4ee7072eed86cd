"""Topics (议题): drafted from the pool, published, voted on, deliberated by a panel, decided."""

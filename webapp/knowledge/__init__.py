"""Knowledge: sources synced from Front Help Centers, articles, and retrieval over them."""

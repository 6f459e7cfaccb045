"""Knowledge base models (known errors, articles)."""

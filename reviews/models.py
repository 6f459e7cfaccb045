"""Post-incident review models."""

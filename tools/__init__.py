"""Development tools of the project (linters' plug-ins). Nothing of the product imports this."""

"""tlsfault's checker: serve scenarios, run real TLS clients, read events."""

"""A person's data in matching: the access export and the erasure (GDPR articles 15 and 17), and
the retention purges consent's policies ask for."""

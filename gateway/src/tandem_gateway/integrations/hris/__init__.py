"""Pull connectors for HRIS that push nothing (Workday, BambooHR): OAuth 2.0 authorization code,
incremental sync by "changed since" into the people directory, scheduled and on demand."""

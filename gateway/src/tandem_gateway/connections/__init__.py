"""External connections: OAuth grants at third parties (people's calendars, organisations' HRIS) whose
tokens the gateway keeps sealed, refreshes under a lock, and revokes on disconnect."""

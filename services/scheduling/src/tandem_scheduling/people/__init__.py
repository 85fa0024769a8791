"""People as the HRIS sees them: who is deactivated, so nobody books a session with them."""

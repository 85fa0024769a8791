"""The people directory: who works here, their job facts and every version of them (issue 12)."""

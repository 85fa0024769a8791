"""Calendars: free/busy for slot search, session events written to both calendars, change notifications."""

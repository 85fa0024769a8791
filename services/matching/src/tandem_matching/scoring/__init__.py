"""Scoring: explainable, consent-aware match scores (pure domain logic, see ``domain.py``)."""

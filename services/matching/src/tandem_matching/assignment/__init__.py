"""Assignment: capacity-constrained cohort assignment (pure domain logic, see ``domain.py``)."""

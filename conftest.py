from hypothesis import HealthCheck, settings

pytest_plugins = ["tandem_kit.testing"]

# Speed is held by the benchmarks under bench/, not by tests: on a shared two-core machine a
# per-example deadline or a "generation is slow" health check fails for load, not for a defect.
settings.register_profile("tandem", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("tandem")

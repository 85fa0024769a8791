from tandem_kit.migrations import run_env
from tandem_scheduling.models import Base

run_env(Base.metadata)

from tandem_kit.migrations import run_env
from tandem_matching.models import Base

run_env(Base.metadata)

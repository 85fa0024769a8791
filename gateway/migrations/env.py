from tandem_gateway.models import Base
from tandem_kit.migrations import run_env

run_env(Base.metadata)

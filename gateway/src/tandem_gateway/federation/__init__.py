"""Embedded Apollo Federation v2 gateway: compose subgraph SDLs, plan and execute client operations.

`compose()` turns the subgraphs' `{ _service { sdl } }` into a `Supergraph`; `FederatedExecutor` answers
client operations against its API schema through a `Fetch` callable the gateway builds per request.
See docs/federation.md for what is supported.
"""

from tandem_gateway.federation.compose import CompositionError, Supergraph, compose
from tandem_gateway.federation.executor import FederatedExecutor, Fetch

__all__ = ["CompositionError", "FederatedExecutor", "Fetch", "Supergraph", "compose"]

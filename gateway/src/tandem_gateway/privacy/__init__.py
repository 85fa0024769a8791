"""The gateway's answers to consent's access and erasure requests (its modules register their parts)."""

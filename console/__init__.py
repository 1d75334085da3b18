"""Dispatch console (operators, live over SSE) and patrol-team task API.

Both sit on the pipeline's topics: they read `dispatch`, `team-status`,
`conditions` and `clock`, and every action is a TaskAck on `task-acks`.
"""

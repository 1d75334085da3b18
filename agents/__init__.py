"""Thin Faust agents: read a stream, call plain functions, write a stream."""

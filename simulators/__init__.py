"""Simulators: seeded generators of drills and sensor data with ground truth."""

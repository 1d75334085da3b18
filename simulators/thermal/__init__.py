"""Seeded thermal-frame generator with ground truth, for tests and the benchmark."""

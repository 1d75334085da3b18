"""Thermal detection: radiometric frames in, people on the map out.

`frames` decodes and validates frames and metadata, `detector` finds people,
`tracking` follows them across frames, `offline` runs a folder, `bench`
scores the detector against the seeded generator.
"""

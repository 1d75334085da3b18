"""Geometry of the city: distances, zones, gazetteer, georeferencing."""

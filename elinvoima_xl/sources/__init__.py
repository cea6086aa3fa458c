"""Readers that turn input files into the core's `Review`: published review text, data CSV/.xlsx."""

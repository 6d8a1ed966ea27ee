"""Weights of the shipped style networks (`.keras` files), found by `kstyle.feedforward.shipped`."""

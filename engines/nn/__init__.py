"""Shared network layers for the learned engines (PyTorch, no Qt)."""

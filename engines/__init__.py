"""Inpainting engines: PyTorch and numpy only, never Qt. See engines/contract.py for the contract."""

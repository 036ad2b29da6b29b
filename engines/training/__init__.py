"""One training loop for every engine family; each family brings a small trainer (engines/<family>/trainer.py)."""

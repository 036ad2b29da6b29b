"""Losses for the learned engines. Each returns (loss, metrics) with metric names prefixed gen_ or dis_."""

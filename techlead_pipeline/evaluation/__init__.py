"""Does an adapter sound like the lead? Measured on held-out pull requests, against baselines."""

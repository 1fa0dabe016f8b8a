"""Training: fit() (the loop), CPU threads, distributed runs, TensorBoard run logs."""

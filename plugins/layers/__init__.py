"""Built-in layer plugins: one file each, formula in the docstring."""

"""Built-in activation plugins: one file each, formula in the docstring."""

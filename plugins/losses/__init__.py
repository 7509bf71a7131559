"""Built-in loss plugins: one file each, formula in the docstring."""

"""The built-in plugins, by kind. Each file holds the math of one plugin and nothing else."""

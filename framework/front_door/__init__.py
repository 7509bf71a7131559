"""The config front door, torch-free: every command-line mistake caught before anything heavy is
imported (``gate``), from one source of truth: the parsed command line (``overrides``), the rules
of each value (``rules``, ``validation``), the plugin catalog read from the plugin files
(``plugin_catalog``, ``class_signature``), did-you-mean (``suggest``), the config nodes Hydra
composes (``config_nodes``), the run's own directory (``run_dir``), continuing a run (``resume``,
``requeue``), trainer arguments (``trainer_args``), metrics and their direction (``monitor``)
and sweep directory names (``sweep_summary``).
"""

"""nn-train's Hydra search-path plugin (``nn_train_options.py``)."""

"""Training a network: the run (``run``), its LightningModule (``task``), the dry run of the
plugins (``dry_run``), loggers (``loggers``), checkpoints written atomically
(``checkpoint_writer``, ``temporary``) and read back (``checkpoint``), the end-of-run summary
(``summary``), and a trained model on raw inputs (``inference``, ``raw_input``). The data sets,
networks and callbacks are the packages ``framework.data``, ``framework.models`` and
``framework.callbacks``.
"""

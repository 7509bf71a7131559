"""The command-line programs: ``nn-train`` (``train``), ``nn-plugins`` (``plugins``, ``scaffold``),
``nn-board`` (``board``), ``nn-predict`` (``predict``), ``nn-export`` (``export``); what they share
(``model_files``, ``version``, ``console``). ``nn-bench`` is ``framework.verification.bench``.
"""

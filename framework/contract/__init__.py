"""The plugin contract: what a plugin is and how it becomes a Module.

Registries (``registry``, ``registries``), the Function base classes (``function``), the Module
wrappers (``module``, ``recurrent`` for cells unrolled over a sequence, ``parameters`` for what
both share), signatures (``signature``), compact-mode declarations and bit packing (``compact``,
``bits``), finding users' plugins (``discovery``) and recording where they came from
(``provenance``).
"""

"""The torch-free catalog (config validation, --help) agrees with the runtime registries."""

from __future__ import annotations

from framework.catalog import REQUIRED, build_catalog
from framework.registries import REGISTRIES
from framework.signature import REQUIRED as SIG_REQUIRED
from framework.signature import signature_of


def test_catalog_matches_registry_for_every_builtin() -> None:
    catalog = build_catalog()
    for kind, registry in REGISTRIES.items():
        builtins = [e for e in registry.entries() if e.origin == "built-in"]
        assert sorted(i.name for i in catalog.canonical(kind)) == sorted(e.name for e in builtins)
        for entry in builtins:
            info = catalog.get(kind, entry.name)
            assert info is not None
            assert set(info.aliases) == set(entry.aliases), entry.name
            expected = {
                k: (REQUIRED if v is SIG_REQUIRED else v)
                for k, v in signature_of(entry.cls).parameters.items()
            }
            assert info.params == expected, entry.name


def test_catalog_reads_user_files(bent_file) -> None:
    catalog = build_catalog([str(bent_file)])
    info = catalog.get("activation", "bent_identity")
    assert info is not None and info.origin == f"file:{bent_file}" and info.params == {}

"""The example catalog.yaml and contacts.yaml, shipped inside the package (SPEC 16), and
putting them where a site's files go when it has none yet (`pd init`)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..config import EXAMPLES_DIR, SITE_FILES, Settings, config_dir
from ..i18n import gettext_in

def place(settings: Settings, env: dict[str, str] | None = None) -> list[Path]:
    """Copy each example whose site file is missing to the configuration directory, when the
    settings point there (a PD_CATALOG/PD_CONTACTS elsewhere that does not exist stays an error).
    The files are readable by their owner and group only: contacts.yaml holds people's details."""
    target = config_dir(env)
    placed: list[Path] = []
    for name, path in zip(SITE_FILES, (settings.catalog_path, settings.contacts_path)):
        p = Path(path)
        if p.exists() or p != target / name:
            continue
        target.mkdir(mode=0o750, parents=True, exist_ok=True)
        tmp = p.with_name(f".{name}.{os.getpid()}.tmp")
        shutil.copyfile(EXAMPLES_DIR / name, tmp)
        os.chmod(tmp, 0o640)
        os.replace(tmp, p)  # whole or not at all
        placed.append(p)
    return placed


def notice(placed: list[Path], lang: str) -> str:
    """What pd init says about the examples it placed, in `lang` (PD_LANG)."""
    return gettext_in(lang, "Examples placed in {dir}: {files}. They are EXAMPLES (made-up institutions and "
                            "staff): edit them for your desk before using it (raise the version with every "
                            "change).").format(dir=placed[0].parent, files=", ".join(p.name for p in placed))

"""Make the repository importable when pytest runs without an installed package."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def count_loads(monkeypatch):
    """Counts reads of dataset files: every dataset load ends in ``dataset_files.read_table``."""
    from lifecycle.store import dataset_files
    calls = []
    read = dataset_files.read_table

    def counted(path):
        calls.append(path)
        return read(path)

    monkeypatch.setattr(dataset_files, "read_table", counted)
    return calls

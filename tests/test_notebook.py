"""notebooks/quickstart.ipynb, executed for real in a Jupyter kernel."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kg.parse import compact_dir

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "quickstart.ipynb"
KERNEL = "kg-test-python"


def _code_cells() -> list[dict]:
    return [c for c in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def test_notebook_is_committed_without_outputs():
    # outputs hold the whole inlined HTML view and would bloat every diff
    for cell in _code_cells():
        assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"][:1]


def test_facts_cell_is_tagged():
    # the execution test below finds the facts table by this tag
    assert sum("facts" in c["metadata"].get("tags", []) for c in _code_cells()) == 1


@pytest.fixture
def kernel_of_this_python(tmp_path, monkeypatch) -> str:
    """A kernelspec that runs this very interpreter.  The spec ipykernel
    installs says just "python", and a user-level python3 spec would win over
    it, so either could start an interpreter without kg."""
    from ipykernel.kernelspec import write_kernel_spec

    write_kernel_spec(tmp_path / "kernels" / KERNEL)
    spec = json.loads((tmp_path / "kernels" / KERNEL / "kernel.json").read_text(encoding="utf-8"))
    assert spec["argv"][0] == sys.executable
    # JUPYTER_PATH comes first in the kernelspec search path
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    return KERNEL


@pytest.mark.models
@pytest.mark.skipif(not (compact_dir() / "tokenizer.pt").is_file(),
                    reason="the compact models are not in kg/models/compact")
def test_quickstart_runs(kernel_of_this_python, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    work = tmp_path / "work"
    work.mkdir()
    # the notebook writes out/ under its working directory: keep that out of the checkout
    NotebookClient(notebook, kernel_name=kernel_of_this_python, timeout=900,
                   resources={"metadata": {"path": str(work)}}).execute()

    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, "\n".join(f"{e['ename']}: {e['evalue']}" for e in errors)
    facts = next(c for c in notebook.cells if "facts" in c.metadata.get("tags", []))
    tables = "".join(o.get("data", {}).get("text/html", "") for o in facts.outputs)
    assert "<td>meets</td>" in tables
    assert (work / "out").is_dir()

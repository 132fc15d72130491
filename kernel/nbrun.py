"""Executes one notebook headless for `go run ./kernel exec` (which embeds this file and runs it).

Usage: python3 nbrun.py CONFIG.json

CONFIG holds: input, output, result (paths), kernel (kernelspec name), timeout and startup_timeout
(seconds), marker (a regular expression for runtime failures on stderr; see kernel/notebook).

The executed notebook is always written to `output`, also when a cell fails, so the failure can be
read in context. Execution stops at the first cell that fails: an error reply, a stderr line matching
`marker` (GoNB can report a panicking cell as "ok"), a timeout or a dead kernel. For the last three a
short error output is added to the cell. Cells tagged "raises-exception" may fail.

The result file is JSON: {"status", "cell" (1-based or null), "message", "seconds"} where status is
ok, failed, timeout, dead, start_failed, no_jupyter, no_kernel or error. Progress goes to stdout; the
kernel's own log (stderr) goes wherever the caller sends this process's stderr.
"""

import json
import os
import re
import sys
import time


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


class RuntimeFailure(Exception):
    """A cell whose reply was "ok" but whose stderr shows a runtime failure."""


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cfg = json.load(f)
    result = {"status": "error", "cell": None, "message": "", "seconds": 0.0}
    try:
        run(cfg, result)
    except Exception as e:  # anything unexpected is reported, not lost
        result.update(status="error", message="%s: %s" % (type(e).__name__, e))
    write_json(cfg["result"], result)


def run(cfg, result):
    try:
        import nbformat
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    except ImportError as e:
        result.update(status="no_jupyter", message=str(e))
        return

    try:
        KernelSpecManager().get_kernel_spec(cfg["kernel"])
    except NoSuchKernel:
        from jupyter_core.paths import jupyter_path

        result.update(status="no_kernel", message=", ".join(jupyter_path("kernels")))
        return

    nb = nbformat.read(cfg["input"], as_version=4)
    # Outputs of cells after a failure would otherwise survive from the input file.
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    marker = re.compile(cfg["marker"])
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    state = {"index": None, "start": 0.0}

    def on_cell_start(cell, cell_index):
        state["index"], state["start"] = cell_index, time.monotonic()

    def on_cell_executed(cell, cell_index, execute_reply):
        elapsed = time.monotonic() - state["start"]
        status = execute_reply["content"].get("status", "?")
        stderr = "".join(
            o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"
        )
        tags = cell.get("metadata", {}).get("tags", [])
        failed = status != "ok" or bool(marker.search(stderr))
        pos = code_cells.index(cell_index) + 1 if cell_index in code_cells else 0
        print(
            "  cell %d (%d/%d code cells): %s in %.1f s"
            % (cell_index + 1, pos, len(code_cells), "FAILED" if failed else "ok", elapsed),
            flush=True,
        )
        if status == "ok" and failed and "raises-exception" not in tags:
            raise RuntimeFailure()

    def add_error(ename, evalue):
        i = state["index"]
        if i is not None:
            nb.cells[i].outputs.append(
                nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[ename + ": " + evalue])
            )

    def cell_no():
        return None if state["index"] is None else state["index"] + 1

    client = NotebookClient(
        nb,
        kernel_name=cfg["kernel"],
        timeout=cfg["timeout"],
        startup_timeout=cfg["startup_timeout"],
        allow_errors=False,
        record_timing=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(cfg["input"]))}},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    start = time.monotonic()
    try:
        client.execute()
        result.update(status="ok")
    except RuntimeFailure:
        result.update(status="failed", cell=cell_no(), message="runtime failure on stderr")
    except CellExecutionError as e:
        result.update(status="failed", cell=cell_no(), message=str(e).strip().splitlines()[-1] if str(e).strip() else "")
    except CellTimeoutError:
        msg = "cell did not finish within %g s (raise --timeout, or make the cell faster)" % cfg["timeout"]
        add_error("CellTimeoutError", msg)
        result.update(status="timeout", cell=cell_no(), message=msg)
    except DeadKernelError as e:
        msg = "the kernel died while running the cell (%s); out of memory?" % e
        add_error("DeadKernelError", msg)
        result.update(status="dead", cell=cell_no(), message=msg)
    except RuntimeError as e:
        if state["index"] is None:  # nbclient raises RuntimeError when the kernel does not start
            result.update(status="start_failed", message=str(e))
        else:
            result.update(status="error", cell=cell_no(), message=str(e))
    finally:
        result["seconds"] = time.monotonic() - start
        # GoNB's kernel_info leaves these empty: name Go, as `kernel slim` does, so nbconvert
        # highlights the cells as Go and JupyterLab's editor has a Go mode.
        li = nb.metadata.get("language_info")
        if li is not None:
            for key in ("pygments_lexer", "codemirror_mode"):
                if not li.get(key):
                    li[key] = "go"
        tmp = cfg["output"] + ".tmp"
        nbformat.write(nb, tmp)
        os.replace(tmp, cfg["output"])


if __name__ == "__main__":
    main()

"""Measures the warm-cell latency of an installed MixFlow kernel.

    /usr/bin/python3 tests/kernel/latency.py [--kernel mixflow] [--cells 8]

It starts the kernel, runs one warm-up cell that imports mixflowlib/backend, then N cells that each
change a constant and call backend.Describe() (so every cell is compiled, linked and run), and prints
each cell's wall time (execute request to reply), the median, and the CPU time the kernel's process tree
(GoNB, gopls, the go command, compiler, linker and the cell) used per cell. On a busy machine the wall
times grow with the load; the CPU time does not.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

from jupyter_client.manager import start_new_kernel

TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid):
    """CPU seconds of pid and its descendants (children of every thread), reaped children included."""
    total = 0.0
    try:
        fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        total += sum(int(x) for x in fields[11:15]) / TICK  # utime, stime, cutime, cstime
        for task in os.listdir("/proc/%d/task" % pid):
            for child in open("/proc/%d/task/%s/children" % (pid, task)).read().split():
                total += tree_cpu(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", default=os.environ.get("MIXFLOW_KERNEL", "mixflow"))
    ap.add_argument("--cells", type=int, default=8)
    args = ap.parse_args()

    log = tempfile.NamedTemporaryFile("w", prefix="mixflow-latency-", suffix=".log", delete=False)
    km, kc = start_new_kernel(kernel_name=args.kernel, startup_timeout=120, stderr=log)
    try:

        def run(code):
            start = time.monotonic()
            reply = kc.execute_interactive(code, timeout=600, output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                sys.exit("cell failed: %s (kernel log: %s)" % (reply["content"].get("evalue"), log.name))
            return time.monotonic() - start

        first = run('import "github.com/mixflow/mixflow/mixflowlib/backend"\n\n%%\nfmt.Println(backend.Describe())')
        pid = km.provisioner.process.pid
        cpu0 = tree_cpu(pid)
        walls = [run("%%%%\nfmt.Println(%d, backend.Describe())" % i) for i in range(args.cells)]
        cpu = (tree_cpu(pid) - cpu0) / args.cells
    finally:
        kc.stop_channels()
        km.shutdown_kernel()
    log.close()
    os.unlink(log.name)  # kept only when a cell failed (sys.exit above)
    print("kernel %s: first cell %.2f s; warm cells %s s; median %.2f s; CPU %.2f s per cell; load average %s"
          % (args.kernel, first, " ".join("%.2f" % w for w in walls), statistics.median(walls), cpu,
             " ".join(open("/proc/loadavg").read().split()[:3])))


if __name__ == "__main__":
    main()

"""Jupyter's kernel conformance test (jupyter_kernel_test) against the installed MixFlow kernel.

Run with Debian's Python after `go run ./kernel install` (scripts/test.sh installs into a temporary
JUPYTER_DATA_DIR first):

    /usr/bin/python3 -m unittest -v tests/kernel/test_conformance.py

MIXFLOW_KERNEL names the kernelspec to test (default "mixflow"). It covers every message type GoNB
supports: kernel_info, execute (stdout, stderr), display_data (HTML, Markdown, PNG), error,
completion and inspect (both need gopls in the kernelspec). GoNB has no execute_result, history,
pager or clear_output; is_complete is deliberately absent: GoNB ignores that request and the test
would wait forever.
"""

import base64
import os
import sys
import tempfile
import unittest

import jupyter_kernel_test as jkt
from jupyter_client.manager import start_new_kernel

# Cells are compiled before they run: allow more than jupyter_kernel_test's 15 s per reply (the first
# cell may compile library packages, and gopls starts in the background).
TIMEOUT = int(os.environ.get("MIXFLOW_CONFORMANCE_TIMEOUT", "120"))
jkt.TIMEOUT = TIMEOUT  # read at call time by test_inspect

# A 1x1 PNG, so the display test does not depend on an image library.
PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


class MixFlowKernelTests(jkt.KernelTests):
    kernel_name = os.environ.get("MIXFLOW_KERNEL", "mixflow")
    language_name = "go"
    file_extension = ".go"

    code_hello_world = '%%\nfmt.Println("hello, world")'
    code_stderr = '%%\nfmt.Fprintln(os.Stderr, "to stderr")'
    # A compile error: one "error" message and an "error" reply (needs the default --raw_error install).
    code_generate_error = "%%\nundefinedIdentifier()"

    # gonbui.Sync() waits until GoNB has published what the cell sent: without it, output sent just
    # before the process exits can reach Jupyter after the idle status and be dropped (GoNB's documented
    # use of Sync; widgets/internal/nb.Flush does the same for every widget). Seen about once in a dozen runs.
    code_display_data = [
        {"code": '%%\ngonbui.DisplayHTML("<b>bold</b>")\ngonbui.Sync()', "mime": "text/html"},
        {"code": '%%\ngonbui.DisplayMarkdown("*markdown*")\ngonbui.Sync()', "mime": "text/markdown"},
        {
            "code": '%%%%\ngonbui.DisplayPNG([]byte{%s})\ngonbui.Sync()' % ", ".join(str(b) for b in PNG_1x1),
            "mime": "image/png",
        },
    ]

    # Completion and inspect are answered by gopls; the cell must be parsed first, which is quick.
    completion_samples = [{"text": "fmt.Print"}]
    code_inspect_sample = "fmt.Println"

    @classmethod
    def setUpClass(cls):
        # The kernel logs every step to stderr; keep that out of the test report, in
        # $MIXFLOW_CONFORMANCE_LOG (scripts/test.sh: build/conformance-kernel.log) or a temporary file.
        path = os.environ.get("MIXFLOW_CONFORMANCE_LOG")
        if path:
            cls.log = open(path, "w")
        else:
            cls.log = tempfile.NamedTemporaryFile("w", prefix="mixflow-conformance-", suffix=".log", delete=False)
        print("kernel %s log: %s" % (cls.kernel_name, cls.log.name), file=sys.stderr)
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, startup_timeout=TIMEOUT, stderr=cls.log)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.log.close()

    def execute_helper(self, code, timeout=None, **kwargs):
        return super().execute_helper(code, timeout=timeout or TIMEOUT, **kwargs)

    def test_mixflow_library_import(self):
        """A cell imports the library with no set-up (the kernel wires the repository into go.work)."""
        self.flush_channels()
        reply, output_msgs = self.execute_helper(
            code='import "github.com/mixflow/mixflow/mixflowlib/backend"\n\n%%\nfmt.Println("backend:", backend.Current().Config)'
        )
        self.assertEqual(reply["content"]["status"], "ok")
        text = "".join(m["content"].get("text", "") for m in output_msgs if m["msg_type"] == "stream")
        self.assertIn("backend: ", text)

    def test_runtime_panic_is_an_error(self):
        """A panicking cell ends with an error reply and the panic on stderr."""
        self.flush_channels()
        reply, output_msgs = self.execute_helper(code='%%\npanic("boom")')
        self.assertEqual(reply["content"]["status"], "error")
        stderr = "".join(
            m["content"].get("text", "")
            for m in output_msgs
            if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"
        )
        self.assertIn("panic: boom", stderr)


if __name__ == "__main__":
    unittest.main()

"""Processes tests start do not outlive the test run, even when pytest is killed."""
import subprocess
import sys
import textwrap

from tests.fixtures.procs import REPO, pid_alive, wait_for


def test_a_test_process_dies_with_its_parent(tmp_path):
    parent = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from tests.fixtures.procs import Process
        child = Process([sys.executable, "-c", "import time; time.sleep(60)"],
                        Path({str(tmp_path / 'child.log')!r}))
        print(child.proc.pid, flush=True)
    """)
    result = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True,
                            timeout=30)
    pid = int(result.stdout.strip())

    wait_for(lambda: not pid_alive(pid), timeout=10, what=f"child {pid} to exit with its parent")

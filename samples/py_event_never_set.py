"""py_event_never_set: a worker waits for an Event that nobody sets.

The main thread starts the worker and joins it; the worker calls
`ready.wait()` without a timeout, and the code that should call
`ready.set()` never runs.  The program hangs (the test harness kills it
after 2 s).

The report on the trace of the killed process must show: a hang
(deadlock/self-wait: CPython's Event.wait is a Condition wait, which blocks
by acquiring a fresh lock it already holds) of the worker, with main
waiting for it; exit code 1.
"""
import threading

ready = threading.Event()


def worker():
    ready.wait()  # nobody sets it


t = threading.Thread(target=worker, name="worker")
t.start()
print("py_event_never_set: about to hang (kill me)", flush=True)
t.join()

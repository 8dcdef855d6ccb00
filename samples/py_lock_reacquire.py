"""py_lock_reacquire: a threading.Lock re-acquired by the thread that holds it.

`update()` takes `cache_lock` and calls `refresh()`, which takes it again.
A Lock is not reentrant (an RLock would be): the worker waits for itself
forever, and main waits in join (the test harness kills it after 2 s).

The report on the trace of the killed process must show: a hang
(deadlock/self-wait) of the worker on the lock it holds, with main waiting
for it; exit code 1.
"""
import threading

cache_lock = threading.Lock()
cache = {}


def refresh():
    with cache_lock:  # the bug: the caller holds cache_lock already
        cache["fresh"] = True


def update():
    with cache_lock:
        cache["stale"] = False
        refresh()


t = threading.Thread(target=update, name="updater")
t.start()
print("py_lock_reacquire: about to hang (kill me)", flush=True)
t.join()

#!/usr/bin/python3
"""py_gil: two CPU-bound Python threads fight over the GIL.

CPython's GIL is a pthread mutex plus a condition variable; a thread that
wants it waits on the condvar with a 5 ms timeout and then asks the holder
to drop it.  Two threads that only compute make that happen hundreds of
times a second.  That is how CPython works, not a bug in the program.

The report must show: no findings; the GIL's mutex and condvar are
recognised and labelled "GIL" (not reported as a contention hotspot);
exit code 0.
"""
import threading
import time


def spin(seconds):
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
    return n


threads = [threading.Thread(target=spin, args=(0.3,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("py_gil: done")

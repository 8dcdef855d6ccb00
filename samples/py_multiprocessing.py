#!/usr/bin/python3
"""py_multiprocessing: a multiprocessing.Lock shared by forked children.

The parent makes a multiprocessing.Lock (a named POSIX semaphore, unlinked
at once under the fork start method) and forks four children; each takes the
lock, appends to a shared counter and ends with os._exit (no exit handlers
run).  Every child writes its own trace; the process-shared lock must be
the same lock in all of them.

The report over all traces of the run must show: no findings; exit 0.
"""
import multiprocessing as mp
import os


def child(lock, counter):
    for _ in range(20):
        with lock:
            counter.value += 1
    os._exit(0)


if __name__ == "__main__":
    mp.set_start_method("fork")
    lock = mp.Lock()
    counter = mp.Value("i", 0, lock=False)
    procs = [mp.Process(target=child, args=(lock, counter)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("py_multiprocessing: counter", counter.value)
    assert counter.value == 80, counter.value
    assert all(p.exitcode == 0 for p in procs)

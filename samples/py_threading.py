#!/usr/bin/python3
"""py_threading: CPython's threading primitives, used correctly.

threading.Lock and RLock (sem_t with value 1 inside CPython), Condition
(a Lock plus one short-lived per-waiter lock that the notifier releases and
the waiter then drops), Semaphore and Event (built on Condition), with two
worker threads.  The GIL underneath is a pthread mutex + condvar pair.

The report must show: no findings (the per-waiter locks of Condition are
legal, the GIL is labelled, not reported); exit code 0.
"""
import threading

counter_lock = threading.Lock()
reentrant = threading.RLock()
items_cond = threading.Condition()
slots = threading.Semaphore(2)
done = threading.Event()
items = []
counter = 0


def bump():
    global counter
    with reentrant:
        with reentrant:  # re-entered by its owner: legal for an RLock
            with counter_lock:
                counter += 1


def producer():
    for i in range(50):
        with slots:
            bump()
        with items_cond:
            items.append(i)
            items_cond.notify()
    done.set()


def consumer():
    taken = 0
    while taken < 50:
        with items_cond:
            while not items:
                items_cond.wait(timeout=1.0)
            items.pop(0)
            taken += 1
    done.wait(timeout=5.0)


threads = [threading.Thread(target=producer), threading.Thread(target=consumer)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("py_threading: counter", counter)
assert counter == 50

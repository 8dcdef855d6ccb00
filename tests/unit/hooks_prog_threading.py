"""The CPython threading primitives that test_hooks_python checks in the
trace: Lock, RLock, Condition, Semaphore and Event.  In CPython 3.11 every
one of them is built on sem_t locks of value 1 (architecture.md fact 16): acquire is
sem_trywait, then sem_wait or sem_clockwait when it must wait; release is
sem_post, by any thread.  Exits non-zero if a result is wrong."""
import sys
import threading
import time

lock = threading.Lock()
rlock = threading.RLock()
cond = threading.Condition()
sema = threading.Semaphore(2)
event = threading.Event()

# Lock: uncontended, then a timed acquire that times out behind a holder.
with lock:
    pass
lock.acquire()
result = []
t = threading.Thread(target=lambda: result.append(lock.acquire(timeout=0.02)))
t.start()
t.join()
lock.release()
if result != [False]:
    sys.exit(1)

# RLock: re-entered by its owner.
with rlock:
    with rlock:
        pass

# Semaphore: two permits.
sema.acquire()
sema.acquire()
sema.release()
sema.release()

# Condition + Event: a waiter blocks on its waiter lock, which the main
# thread releases when it notifies (a release by another thread).
def waiter():
    if not event.wait(timeout=30):
        sys.exit(1)

t = threading.Thread(target=waiter)
t.start()
while not event._cond._waiters:
    time.sleep(0.001)
event.set()
t.join()

with cond:
    cond.notify_all()
    if cond.wait(timeout=0.001):
        sys.exit(1)
sys.exit(0)

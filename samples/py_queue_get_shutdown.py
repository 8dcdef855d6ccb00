"""py_queue_get_shutdown: a consumer blocks in queue.get() at shutdown.

The producer puts three items and ends without a shutdown sentinel; the
consumer takes them and calls `q.get()` once more, without a timeout.
Nobody will ever put again: the consumer waits forever and main waits in
join (the test harness kills the process after 2 s).

The report on the trace of the killed process must show: a hang
(deadlock/... on the queue's condition, whose only producer has ended);
exit code 1.
"""
import queue
import threading

q = queue.Queue()


def producer():
    for i in range(3):
        q.put(i)
    # the bug: no sentinel (q.put(None)) for the consumer to stop on


def consumer():
    while True:
        q.get()  # the fourth get() never returns
        q.task_done()


p = threading.Thread(target=producer, name="producer")
c = threading.Thread(target=consumer, name="consumer")
c.start()
p.start()
p.join()
print("py_queue_get_shutdown: about to hang (kill me)", flush=True)
c.join()

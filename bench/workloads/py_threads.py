"""Python threading workload for bench/driver.py: producers feed a bounded
queue.Queue, consumers take items and add them to tallies guarded by a few
shared threading.Lock objects.  CPython 3.11 implements threading.Lock as a
sem_t and the GIL as a mutex plus condvar, so this exercises the shim's
semaphore, mutex and condvar paths the way real Python services do.  Bounded
by --items; prints one JSON line and exits non-zero if a tally is wrong."""
import argparse
import json
import queue
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=200000)
    ap.add_argument("--producers", type=int, default=2)
    ap.add_argument("--consumers", type=int, default=4)
    ap.add_argument("--locks", type=int, default=8)
    args = ap.parse_args()

    work = queue.Queue(maxsize=1000)
    locks = [threading.Lock() for _ in range(args.locks)]
    tallies = [0] * args.locks

    def produce(first, count):
        for item in range(first, first + count):
            work.put(item)

    def consume():
        while True:
            item = work.get()
            if item is None:
                return
            slot = (item * 2654435761) % args.locks
            with locks[slot]:
                tallies[slot] += item & 0xFF

    t0 = time.perf_counter()
    share = args.items // args.producers
    producers = [
        threading.Thread(target=produce, args=(i * share, share)) for i in range(args.producers)
    ]
    consumers = [threading.Thread(target=consume) for _ in range(args.consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    for _ in consumers:
        work.put(None)
    for t in consumers:
        t.join()
    elapsed = time.perf_counter() - t0

    total = share * args.producers
    expected = sum(i & 0xFF for i in range(total))
    print(json.dumps({"items": total, "elapsed_s": elapsed, "ok": sum(tallies) == expected}))
    return 0 if sum(tallies) == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())

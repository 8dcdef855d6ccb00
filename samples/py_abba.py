#!/usr/bin/python3
"""py_abba: the abba lock-order inversion in Python.

Two threads, alive together, take lock_a then lock_b, and lock_b then
lock_a (threading.Lock, a binary sem_t inside CPython).  They take turns
through a plain variable (no lock), so this run never hangs.

The report must show: one potential deadlock through two locks (CPython
locks have no symbol; they are named by site), with two threads; exit 1.
"""
import threading
import time

lock_a = threading.Lock()
lock_b = threading.Lock()
turn = 0


def wait_turn(t):
    while turn != t:
        time.sleep(0.001)


def a_then_b():
    global turn
    wait_turn(0)
    with lock_a:
        with lock_b:
            pass
    turn = 1


def b_then_a():
    wait_turn(1)
    with lock_b:
        with lock_a:
            pass


t1 = threading.Thread(target=a_then_b)
t2 = threading.Thread(target=b_then_a)
t1.start()
t2.start()
t1.join()
t2.join()
print("py_abba: done (no hang this time)")

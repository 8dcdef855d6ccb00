// The C++ standard primitives that test_hooks_cpp checks in the trace:
// std::mutex (pthread_mutex_lock), std::timed_mutex::try_lock_for
// (pthread_mutex_clocklock), std::shared_mutex (pthread_rwlock_*) and
// std::condition_variable::wait_for (pthread_cond_clockwait), architecture.md fact 4.
// Prints the address of each object; exits non-zero if a result is wrong.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <shared_mutex>
#include <thread>

static std::mutex m;
static std::timed_mutex tm;
static std::shared_mutex sm;
static std::mutex cvm;
static std::condition_variable cv;

int main()
{
    std::printf("m=%p\ntm=%p\nsm=%p\ncvm=%p\ncv=%p\n", static_cast<void *>(&m),
                static_cast<void *>(&tm), static_cast<void *>(&sm), static_cast<void *>(&cvm),
                static_cast<void *>(&cv));

    {
        std::lock_guard<std::mutex> g(m);
    }

    // try_lock_for times out while main holds the timed mutex.
    tm.lock();
    bool got = true;
    std::thread t([&] { got = tm.try_lock_for(std::chrono::milliseconds(20)); });
    t.join();
    tm.unlock();
    if (got)
        return 1;

    sm.lock_shared();
    sm.unlock_shared();
    sm.lock();
    sm.unlock();

    // wait_for with a predicate that never becomes true: one or more
    // timed waits, the last ending in a timeout.
    std::unique_lock<std::mutex> lk(cvm);
    if (cv.wait_for(lk, std::chrono::milliseconds(5), [] { return false; }))
        return 1;
    return 0;
}

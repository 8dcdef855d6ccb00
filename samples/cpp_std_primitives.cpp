// cpp_std_primitives: the C++ standard library's locks, used correctly.
//
// std::mutex (pthread_mutex_lock), std::timed_mutex::try_lock_for
// (pthread_mutex_clocklock), std::shared_mutex (pthread_rwlock_*) and
// std::condition_variable::wait_for (pthread_cond_clockwait): libstdc++ 12
// reaches each through a different glibc entry point, and the shim must see
// all of them.  Two threads take turns, always in one order.
//
// The report must show: no findings; exit code 0.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <shared_mutex>
#include <thread>

std::mutex plain_mutex;
std::timed_mutex timed_mutex;
std::shared_mutex table_mutex;
std::mutex ready_mutex;
std::condition_variable ready_cv;
static bool ready;
static int table[4];
static std::atomic<int> turn{0};

static void wait_turn(int t)
{
    while (turn.load() != t)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
}

static void worker(int me)
{
    wait_turn(me);
    for (int i = 0; i < 50; i++) {
        {
            std::lock_guard<std::mutex> g(plain_mutex);
            std::unique_lock<std::timed_mutex> t(timed_mutex, std::defer_lock);
            if (t.try_lock_for(std::chrono::milliseconds(50)))
                table[0]++;
        }
        {
            std::shared_lock<std::shared_mutex> r(table_mutex);
            (void)table[1];
        }
        {
            std::unique_lock<std::shared_mutex> w(table_mutex);
            table[1]++;
        }
    }
    if (me == 0) {
        std::lock_guard<std::mutex> g(ready_mutex);
        ready = true;
        ready_cv.notify_all();
    } else {
        std::unique_lock<std::mutex> g(ready_mutex);
        while (!ready_cv.wait_for(g, std::chrono::milliseconds(10), [] { return ready; })) {
        }
    }
    turn.store(me + 1);
}

int main()
{
    std::thread a(worker, 0), b(worker, 1);
    a.join();
    b.join();
    std::printf("cpp_std_primitives: %d %d\n", table[0], table[1]);
    return table[0] == 100 && table[1] == 100 ? 0 : 3;
}

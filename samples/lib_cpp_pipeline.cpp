// lib_cpp_pipeline: a clean producer/consumer on libsyncwatch-sync's C++
// classes: sw::mutex "queue_lock" with std::condition_variable_any, an
// sw::event "started", a bounded sw::counting_semaphore "slots", an
// sw::shared_mutex "config_lock" read by both threads.  Every lock is
// taken in one order; under the shim they appear in the trace by their
// declared names.
//
// The report must show: no findings; queue_lock and config_lock by name;
// exit code 0.
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "syncwatch/sync.hpp"

int main()
{
    sw::mutex queue_lock("queue_lock");
    std::condition_variable_any nonempty;
    std::deque<int> queue;
    sw::event started("started");
    sw::counting_semaphore slots(4, "slots", 4);
    sw::shared_mutex config_lock("config_lock");
    int config = 3;
    long sum = 0;

    std::thread consumer([&] {
        started.set();
        for (int i = 0; i < 200; i++) {
            int item;
            {
                std::unique_lock<sw::mutex> l(queue_lock);
                nonempty.wait(l, [&] { return !queue.empty(); });
                item = queue.front();
                queue.pop_front();
            }
            slots.release();
            std::shared_lock<sw::shared_mutex> r(config_lock);
            sum += item * config;
        }
    });
    started.wait();
    for (int i = 0; i < 200; i++) {
        slots.acquire();
        {
            std::shared_lock<sw::shared_mutex> r(config_lock);
            (void)config;
        }
        std::lock_guard<sw::mutex> g(queue_lock);
        queue.push_back(i);
        nonempty.notify_one();
    }
    consumer.join();
    std::printf("lib_cpp_pipeline: sum %ld\n", sum);
    return sum == 3L * 199 * 200 / 2 ? 0 : 1;
}

// Unit tests of sync.hpp: the C++ classes work with the standard lock
// types (lock_guard, scoped_lock, unique_lock, shared_lock,
// condition_variable_any), and misuse throws std::system_error with the
// SW_E* code when the violation handler returns.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" { // cmocka.h declares no C linkage of its own
#include <cmocka.h>
}

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "syncwatch/sync.hpp"

using namespace std::chrono_literals;

static void mutex_with_std_guards(void **)
{
    sw::mutex a("a"), b("b");
    long n = 0;
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; t++)
        ts.emplace_back([&] {
            for (int i = 0; i < 5000; i++) {
                std::scoped_lock both(a, b);
                n++;
            }
            for (int i = 0; i < 5000; i++) {
                std::lock_guard<sw::mutex> g(a);
                n++;
            }
        });
    for (auto &t : ts)
        t.join();
    assert_int_equal(n, 40000);
    std::unique_lock<sw::mutex> u(a, std::try_to_lock);
    assert_true(u.owns_lock());
    a.assert_held();
    u.unlock();
    assert_true(a.try_lock_for(1ms));
    a.unlock();
}

static void recursive_and_spin(void **)
{
    sw::recursive_mutex r("r");
    {
        std::lock_guard<sw::recursive_mutex> g1(r);
        std::lock_guard<sw::recursive_mutex> g2(r);
    }
    sw::spinlock s("s");
    long n = 0;
    std::thread t([&] {
        for (int i = 0; i < 10000; i++) {
            std::lock_guard<sw::spinlock> g(s);
            n++;
        }
    });
    for (int i = 0; i < 10000; i++) {
        std::lock_guard<sw::spinlock> g(s);
        n++;
    }
    t.join();
    assert_int_equal(n, 20000);
}

static void shared_mutex_with_shared_lock(void **)
{
    sw::shared_mutex m("table");
    int value = 0;
    {
        std::unique_lock<sw::shared_mutex> w(m);
        value = 1;
    }
    std::shared_lock<sw::shared_mutex> r1(m);
    std::thread t([&] {
        std::shared_lock<sw::shared_mutex> r2(m); // readers share
        assert_int_equal(value, 1);
        assert_false(m.try_lock());
    });
    t.join();
}

static void condition_variable_any_with_sw_mutex(void **)
{
    sw::mutex m("queue_lock");
    std::condition_variable_any cv;
    int items = 0, taken = 0;
    std::thread consumer([&] {
        for (int i = 0; i < 50; i++) {
            std::unique_lock<sw::mutex> l(m);
            cv.wait(l, [&] { return items > 0; });
            items--;
            taken++;
        }
    });
    for (int i = 0; i < 50; i++) {
        std::lock_guard<sw::mutex> g(m);
        items++;
        cv.notify_one();
    }
    consumer.join();
    assert_int_equal(taken, 50);
}

static void semaphore_and_event(void **)
{
    sw::counting_semaphore slots(2, "slots");
    slots.acquire();
    assert_true(slots.try_acquire());
    assert_false(slots.try_acquire());
    assert_false(slots.try_acquire_for(1ms));
    slots.release(2);
    assert_int_equal(slots.value(), 2);

    sw::event ready("ready");
    assert_false(ready.wait_for(1ms));
    int payload = 0;
    std::thread t([&] {
        ready.wait();
        assert_int_equal(payload, 7);
    });
    payload = 7;
    ready.set();
    t.join();
    assert_true(ready.is_set());
    ready.clear();
    assert_false(ready.is_set());
}

static void quiet(const sw_violation_t *, void *) {}

static void misuse_throws_when_handler_returns(void **)
{
    sw_set_violation_handler(quiet, nullptr);
    sw::mutex m("relocked");
    m.lock();
    bool thrown = false;
    try {
        m.lock();
    } catch (const std::system_error &e) {
        thrown = true;
        assert_int_equal(e.code().value(), -SW_EDEADLK);
        assert_true(e.code().category() == sw::error_category());
    }
    assert_true(thrown);
    m.unlock();
    sw::counting_semaphore one(1, "one", 1);
    thrown = false;
    try {
        one.release();
    } catch (const std::system_error &e) {
        thrown = e.code().value() == -SW_EOVERFLOW;
    }
    assert_true(thrown);
    sw_set_violation_handler(nullptr, nullptr);
}

int main()
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mutex_with_std_guards),
        cmocka_unit_test(recursive_and_spin),
        cmocka_unit_test(shared_mutex_with_shared_lock),
        cmocka_unit_test(condition_variable_any_with_sw_mutex),
        cmocka_unit_test(semaphore_and_event),
        cmocka_unit_test(misuse_throws_when_handler_returns),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}

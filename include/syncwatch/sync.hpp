// syncwatch-sync for C++: the named, checked primitives of sync.h as
// standard-library-shaped classes.  sw::mutex, sw::recursive_mutex and
// sw::spinlock are Lockable (std::lock_guard, std::scoped_lock,
// std::unique_lock, std::condition_variable_any); sw::shared_mutex is
// SharedLockable (std::shared_lock); sw::counting_semaphore and sw::event
// complete the set.  Every class is a clang thread-safety capability, and
// sw::lock_guard / sw::shared_lock_guard are annotated scoped locks, so
// clang -Wthread-safety checks lock discipline at compile time (the
// standard guards of libstdc++ carry no annotations).
//
// A failing lock (a violation reported with SYNCWATCH_ON_VIOLATION=report
// or by a handler that returns) throws std::system_error with the SW_E*
// code in sw::error_category(); unlock never throws.
#ifndef SYNCWATCH_SYNC_HPP
#define SYNCWATCH_SYNC_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

#include "syncwatch/sync.h"

namespace sw {

class error_category_impl : public std::error_category {
public:
    const char *name() const noexcept override { return "syncwatch"; }
    std::string message(int code) const override { return sw_strerror(-code); }
};

inline const std::error_category &error_category()
{
    static const error_category_impl category;
    return category;
}

namespace detail {
inline void check(int rc, const char *what)
{
    if (rc < 0)
        throw std::system_error(-rc, error_category(), what);
}

template <class Rep, class Period>
inline std::uint64_t to_ns(const std::chrono::duration<Rep, Period> &d)
{
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    return ns > 0 ? static_cast<std::uint64_t>(ns) : 0;
}
} // namespace detail

class SW_CAPABILITY("mutex") mutex {
public:
    explicit mutex(const char *name = "sw::mutex", const sw_lock_class_t *cls = nullptr)
        : mutex(0u, name, cls)
    {
    }
    ~mutex() { sw_mutex_destroy(&m_); }
    mutex(const mutex &) = delete;
    mutex &operator=(const mutex &) = delete;

    void lock() SW_ACQUIRE() SW_NO_THREAD_SAFETY_ANALYSIS
    {
        detail::check(sw_mutex_lock(&m_), "sw::mutex::lock");
    }
    bool try_lock() SW_TRY_ACQUIRE(true) SW_NO_THREAD_SAFETY_ANALYSIS
    {
        return sw_mutex_trylock(&m_) == 0;
    }
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period> &d) SW_TRY_ACQUIRE(true)
        SW_NO_THREAD_SAFETY_ANALYSIS
    {
        return sw_mutex_timedlock(&m_, detail::to_ns(d)) == 0;
    }
    void unlock() SW_RELEASE() SW_NO_THREAD_SAFETY_ANALYSIS { sw_mutex_unlock(&m_); }
    // A violation (the default handler aborts) unless this thread holds it.
    void assert_held() const SW_ASSERT_CAPABILITY(this) { sw_mutex_assert_held(&m_); }
    void assert_not_held() const { sw_mutex_assert_not_held(&m_); }
    sw_mutex_t *native_handle() { return &m_; }

protected:
    mutex(unsigned flags, const char *name, const sw_lock_class_t *cls)
    {
        sw_mutex_init(&m_, name, flags);
        if (cls)
            sw_mutex_set_class(&m_, cls);
    }

private:
    sw_mutex_t m_;
};

class SW_CAPABILITY("mutex") recursive_mutex : public mutex {
public:
    explicit recursive_mutex(const char *name = "sw::recursive_mutex",
                             const sw_lock_class_t *cls = nullptr)
        : mutex(SW_MUTEX_RECURSIVE, name, cls)
    {
    }
};

class SW_CAPABILITY("mutex") shared_mutex {
public:
    explicit shared_mutex(const char *name = "sw::shared_mutex",
                          const sw_lock_class_t *cls = nullptr)
    {
        sw_rwlock_init(&rw_, name, 0);
        if (cls)
            sw_rwlock_set_class(&rw_, cls);
    }
    ~shared_mutex() { sw_rwlock_destroy(&rw_); }
    shared_mutex(const shared_mutex &) = delete;
    shared_mutex &operator=(const shared_mutex &) = delete;

    void lock() SW_ACQUIRE() SW_NO_THREAD_SAFETY_ANALYSIS
    {
        detail::check(sw_rwlock_wrlock(&rw_), "sw::shared_mutex::lock");
    }
    bool try_lock() SW_TRY_ACQUIRE(true) SW_NO_THREAD_SAFETY_ANALYSIS
    {
        return sw_rwlock_trywrlock(&rw_) == 0;
    }
    void unlock() SW_RELEASE() SW_NO_THREAD_SAFETY_ANALYSIS { sw_rwlock_unlock(&rw_); }
    void lock_shared() SW_ACQUIRE_SHARED() SW_NO_THREAD_SAFETY_ANALYSIS
    {
        detail::check(sw_rwlock_rdlock(&rw_), "sw::shared_mutex::lock_shared");
    }
    bool try_lock_shared() SW_TRY_ACQUIRE_SHARED(true) SW_NO_THREAD_SAFETY_ANALYSIS
    {
        return sw_rwlock_tryrdlock(&rw_) == 0;
    }
    void unlock_shared() SW_RELEASE_SHARED() SW_NO_THREAD_SAFETY_ANALYSIS
    {
        sw_rwlock_unlock(&rw_);
    }
    sw_rwlock_t *native_handle() { return &rw_; }

private:
    sw_rwlock_t rw_;
};

class SW_CAPABILITY("mutex") spinlock {
public:
    explicit spinlock(const char *name = "sw::spinlock", const sw_lock_class_t *cls = nullptr)
    {
        sw_spin_init(&s_, name, 0);
        if (cls)
            sw_spin_set_class(&s_, cls);
    }
    ~spinlock() { sw_spin_destroy(&s_); }
    spinlock(const spinlock &) = delete;
    spinlock &operator=(const spinlock &) = delete;

    void lock() SW_ACQUIRE() SW_NO_THREAD_SAFETY_ANALYSIS
    {
        detail::check(sw_spin_lock(&s_), "sw::spinlock::lock");
    }
    bool try_lock() SW_TRY_ACQUIRE(true) SW_NO_THREAD_SAFETY_ANALYSIS
    {
        return sw_spin_trylock(&s_) == 0;
    }
    void unlock() SW_RELEASE() SW_NO_THREAD_SAFETY_ANALYSIS { sw_spin_unlock(&s_); }
    sw_spin_t *native_handle() { return &s_; }

private:
    sw_spin_t s_;
};

// max == 0: unbounded; otherwise a release past max is an OVER_RELEASE
// violation (and throws when the handler returns).
class counting_semaphore {
public:
    explicit counting_semaphore(std::ptrdiff_t initial, const char *name = "sw::counting_semaphore",
                                std::ptrdiff_t max = 0)
    {
        detail::check(sw_sem_init_bounded(&s_, name, static_cast<unsigned>(initial),
                                          static_cast<unsigned>(max)),
                      "sw::counting_semaphore");
    }
    ~counting_semaphore() { sw_sem_destroy(&s_); }
    counting_semaphore(const counting_semaphore &) = delete;
    counting_semaphore &operator=(const counting_semaphore &) = delete;

    void release(std::ptrdiff_t n = 1)
    {
        for (; n > 0; n--)
            detail::check(sw_sem_post(&s_), "sw::counting_semaphore::release");
    }
    void acquire() { detail::check(sw_sem_wait(&s_), "sw::counting_semaphore::acquire"); }
    bool try_acquire() { return sw_sem_trywait(&s_) == 0; }
    template <class Rep, class Period>
    bool try_acquire_for(const std::chrono::duration<Rep, Period> &d)
    {
        return sw_sem_timedwait(&s_, detail::to_ns(d)) == 0;
    }
    std::ptrdiff_t value() const { return sw_sem_value(&s_); }

private:
    sw_sem_t s_;
};

class event {
public:
    explicit event(const char *name = "sw::event") { sw_event_init(&e_, name, 0); }
    ~event() { sw_event_destroy(&e_); }
    event(const event &) = delete;
    event &operator=(const event &) = delete;

    void set() { sw_event_set(&e_); }
    void clear() { sw_event_clear(&e_); }
    bool is_set() const { return sw_event_is_set(&e_) == 1; }
    void wait() { detail::check(sw_event_wait(&e_), "sw::event::wait"); }
    template <class Rep, class Period> bool wait_for(const std::chrono::duration<Rep, Period> &d)
    {
        return sw_event_timedwait(&e_, detail::to_ns(d)) == 0;
    }

private:
    sw_event_t e_;
};

// Annotated scoped locks for -Wthread-safety (std::lock_guard works too,
// unchecked).
template <class Mutex> class SW_SCOPED_CAPABILITY lock_guard {
public:
    explicit lock_guard(Mutex &m) SW_ACQUIRE(m) : m_(m) { m_.lock(); }
    ~lock_guard() SW_RELEASE() { m_.unlock(); }
    lock_guard(const lock_guard &) = delete;
    lock_guard &operator=(const lock_guard &) = delete;

private:
    Mutex &m_;
};

template <class Mutex> class SW_SCOPED_CAPABILITY shared_lock_guard {
public:
    explicit shared_lock_guard(Mutex &m) SW_ACQUIRE_SHARED(m) : m_(m) { m_.lock_shared(); }
    ~shared_lock_guard() SW_RELEASE() { m_.unlock_shared(); }
    shared_lock_guard(const shared_lock_guard &) = delete;
    shared_lock_guard &operator=(const shared_lock_guard &) = delete;

private:
    Mutex &m_;
};

} // namespace sw

#endif

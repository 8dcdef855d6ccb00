// Breaks the lock discipline of sync.hpp's annotated classes: clang
// -Wthread-safety must warn on every line marked EXPECT-WARNING and on no
// other (test_lib_tsa.sh).
#include "syncwatch/sync.hpp"

class account {
public:
    void deposit(long n)
    {
        balance_ += n; // EXPECT-WARNING
    }
    void record_under_read()
    {
        sw::shared_lock_guard<sw::shared_mutex> g(history_lock_);
        entries_++; // EXPECT-WARNING
    }
    void keeps_lock()
    {
        lock_.lock();
        balance_++;
    } // EXPECT-WARNING
    void tick()
    {
        spin_.try_lock();
        ticks_++;       // EXPECT-WARNING
        spin_.unlock(); // EXPECT-WARNING
    }

private:
    sw::mutex lock_{"account_lock"};
    long balance_ SW_GUARDED_BY(lock_) = 0;
    sw::shared_mutex history_lock_{"history_lock"};
    long entries_ SW_GUARDED_BY(history_lock_) = 0;
    sw::spinlock spin_{"tick_spin"};
    long ticks_ SW_GUARDED_BY(spin_) = 0;
};

// Follows the lock discipline of sync.hpp's annotated classes: clang
// -Wthread-safety must say nothing (test_lib_tsa.sh).
#include "syncwatch/sync.hpp"

class account {
public:
    void deposit(long n)
    {
        sw::lock_guard<sw::mutex> g(lock_);
        balance_ += n;
    }
    long balance()
    {
        sw::shared_lock_guard<sw::shared_mutex> g(history_lock_);
        sw::lock_guard<sw::mutex> g2(lock_);
        return balance_ + entries_;
    }
    void record()
    {
        history_lock_.lock();
        entries_++;
        history_lock_.unlock();
    }
    void tick()
    {
        if (spin_.try_lock()) {
            ticks_++;
            spin_.unlock();
        }
    }

private:
    sw::mutex lock_{"account_lock"};
    long balance_ SW_GUARDED_BY(lock_) = 0;
    sw::shared_mutex history_lock_{"history_lock"};
    long entries_ SW_GUARDED_BY(history_lock_) = 0;
    sw::spinlock spin_{"tick_spin"};
    long ticks_ SW_GUARDED_BY(spin_) = 0;
};

long use()
{
    account a;
    a.deposit(1);
    a.record();
    a.tick();
    return a.balance();
}

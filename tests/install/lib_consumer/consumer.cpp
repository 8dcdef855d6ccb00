// The C++ side of the installed-library test: sw::mutex with std guards.
#include <cstdio>
#include <mutex>

#include <syncwatch/sync.hpp>

int main()
{
    sw::mutex m("cpp_lock");
    int n = 0;
    {
        std::lock_guard<sw::mutex> g(m);
        n++;
    }
    std::printf("cpp consumer: %d\n", n);
    return n == 1 ? 0 : 1;
}

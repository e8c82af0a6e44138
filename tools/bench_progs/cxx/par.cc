#include <atomic>
#include <mutex>
#include <thread>

#include "app.h"

namespace xcc {

// FNV-1a of every item, combined order-independently by several threads
std::uint64_t parallel_hash(const std::vector<std::string> &items, int threads)
{
    std::atomic<std::uint64_t> sum{0};
    std::mutex m;
    std::uint64_t x = 0;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; t++) {
        pool.emplace_back([&, t] {
            std::uint64_t local = 0;
            for (std::size_t i = t; i < items.size(); i += threads) {
                std::uint64_t h = 0xcbf29ce484222325ULL;
                for (unsigned char c : items[i])
                    h = (h ^ c) * 0x100000001b3ULL;
                local += h;
            }
            sum += local;
            std::lock_guard<std::mutex> g(m);
            x ^= local * 0x9e3779b97f4a7c15ULL;
        });
    }
    for (auto &th : pool)
        th.join();
    return sum.load() ^ x;
}

}  // namespace xcc

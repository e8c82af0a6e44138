#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

// a tiny thread pool: workers take jobs from a queue under a mutex + condition variable
class Pool {
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    std::vector<std::thread> workers;
    bool done = false;
public:
    explicit Pool(int n) {
        for (int i = 0; i < n; i++)
            workers.emplace_back([this] {
                for (;;) {
                    std::function<void()> job;
                    {
                        std::unique_lock<std::mutex> lk(m);
                        cv.wait(lk, [this] { return done || !jobs.empty(); });
                        if (jobs.empty()) return;
                        job = std::move(jobs.front());
                        jobs.pop_front();
                    }
                    job();
                }
            });
    }
    void submit(std::function<void()> f) {
        { std::lock_guard<std::mutex> lk(m); jobs.push_back(std::move(f)); }
        cv.notify_one();
    }
    ~Pool() {
        { std::lock_guard<std::mutex> lk(m); done = true; }
        cv.notify_all();
        for (auto &w : workers) w.join();
    }
};

thread_local int tl = 0;

int main() {
    std::atomic<long> atom{0};
    long plain = 0;
    std::mutex pm;
    {
        std::vector<std::thread> ts;
        for (int t = 0; t < 4; t++)
            ts.emplace_back([&, t] {
                tl = t + 1;
                for (int i = 0; i < 20000; i++) {
                    atom.fetch_add(1, std::memory_order_relaxed);
                    std::lock_guard<std::mutex> lk(pm);
                    plain += tl;
                }
            });
        for (auto &t : ts) t.join();
    }
    std::printf("atomic %ld plain %ld\n", atom.load(), plain);
    std::atomic<int> sum{0};
    {
        Pool pool(3);
        for (int i = 1; i <= 100; i++) pool.submit([&sum, i] { sum += i; });
    }
    std::printf("pool sum %d\n", sum.load());
    std::printf("hardware_concurrency>0: %d\n", std::thread::hardware_concurrency() > 0);
    return 0;
}

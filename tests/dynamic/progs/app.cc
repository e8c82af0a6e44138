// C++ against libstdc++.so: iostream, exceptions across the boundary, thread_local,
// std::thread, virtual calls, std::string and containers.
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct Shape { virtual ~Shape() = default; virtual double area() const = 0; };
struct Sq : Shape { double s; explicit Sq(double s) : s(s) {} double area() const override { return s * s; } };
thread_local int per_thread = 1;

static int risky(int x) {
    if (x > 2) throw std::runtime_error("too big: " + std::to_string(x));
    return x;
}

int main() {
    std::vector<std::unique_ptr<Shape>> v;
    v.push_back(std::make_unique<Sq>(3));
    std::cout << "area " << v[0]->area() << std::endl;
    try { risky(5); } catch (const std::exception &e) { std::cout << "caught " << e.what() << "\n"; }
    std::map<std::string, int> m{{"a", 1}, {"b", 2}};
    std::cout << "map " << m["b"] << "\n";
    int seen = 0;
    std::thread t([&] { per_thread = 5; seen = per_thread; });
    t.join();
    std::cout << "thread " << seen << " main " << per_thread << std::endl;
    return 0;
}

// C++: iostream, containers, strings, exceptions across frames, static constructors.
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>
#include <algorithm>
#include <sstream>
#include <memory>

struct Global {
    Global() { std::cout << "static constructor\n"; }
    ~Global() { std::cout << "static destructor\n"; }
} global;

static int thrower(int depth)
{
    if (depth == 0)
        throw std::runtime_error("deep error");
    return thrower(depth - 1) + 1;
}

int main(int argc, char **argv)
{
    std::vector<std::string> words = {"pear", "apple", "fig", "banana"};
    std::sort(words.begin(), words.end());
    std::map<std::string, size_t> lens;
    for (auto &w : words)
        lens[w] = w.size();
    for (auto &kv : lens)
        std::cout << kv.first << "=" << kv.second << "\n";
    try {
        thrower(10);
    } catch (const std::exception &e) {
        std::cout << "caught: " << e.what() << "\n";
    }
    try {
        std::vector<int> v(3);
        v.at(7) = 1;
    } catch (const std::out_of_range &) {
        std::cout << "out_of_range\n";
    }
    auto p = std::make_unique<std::ostringstream>();
    *p << 1.5 << " " << 1e-3 << " " << argc;
    std::cout << p->str() << std::endl;
    std::cerr << "cerr works\n";
    return 0;
}

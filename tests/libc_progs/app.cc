#include <iostream>
#include <map>
#include <memory>
#include <vector>
#include "shapes.h"
thread_local int tl_calls = 0;
struct Global { Global() { std::cout << "global ctor\n"; } ~Global() { std::cout << "global dtor\n"; } } global;
int main() {
    std::map<std::string, int> m{{"a", 1}, {"b", 2}};
    std::vector<std::unique_ptr<Box<double>>> boxes;
    for (int i = 0; i < 3; i++) boxes.push_back(std::make_unique<Box<double>>(Box<double>{i + 0.5}));
    for (auto &b : boxes) { tl_calls++; std::cout << b->twice() << " "; }
    std::cout << "\n" << describe(7) << " " << shared_inline(2) << " m=" << m["b"] << "\n";
    try { throw_from_other_tu(5); } catch (const Oops &e) { std::cout << "caught: " << e.what() << "\n"; }
    try { throw_from_other_tu(3); } catch (const std::exception &e) { std::cout << "caught base: " << e.what() << " tl=" << tl_calls << "\n"; }
    return 3;
}

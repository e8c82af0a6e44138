// shapes.cc: a static C++ program: virtual calls, the STL, static constructors, exceptions
// (unwinding through .eh_frame), iostream.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct Shape {
    virtual ~Shape() = default;
    virtual double area() const = 0;
    virtual std::string name() const = 0;
};
struct Square : Shape {
    double s;
    explicit Square(double s) : s(s) {}
    double area() const override { return s * s; }
    std::string name() const override { return "square"; }
};
struct Rect : Shape {
    double w, h;
    Rect(double w, double h) : w(w), h(h) {}
    double area() const override { return w * h; }
    std::string name() const override { return "rect"; }
};

static std::map<std::string, int> registry = {{"alpha", 1}, {"beta", 2}};  // static init

static int thrower(int x)
{
    if (x > 2)
        throw std::runtime_error("too big: " + std::to_string(x));
    return x * 10;
}

int main(int argc, char **argv)
{
    std::vector<std::unique_ptr<Shape>> v;
    v.emplace_back(new Square(3));
    v.emplace_back(new Rect(2, 5));
    v.emplace_back(new Square(1.5));
    std::sort(v.begin(), v.end(), [](auto &a, auto &b) { return a->area() < b->area(); });
    for (auto &s : v)
        std::cout << s->name() << " " << s->area() << "\n";
    for (int i = 0; i < 5; i++) {
        try {
            int r = thrower(i + argc - 1);
            std::cout << "ok " << r << "\n";
        } catch (const std::exception &e) {
            std::cout << "caught " << e.what() << "\n";
        }
    }
    registry["gamma"] = argc;
    for (auto &kv : registry)
        std::cout << kv.first << "=" << kv.second << "\n";
    std::cerr << "bye from " << (argv[1] ? argv[1] : "nobody") << "\n";
    return static_cast<int>(registry.size());
}

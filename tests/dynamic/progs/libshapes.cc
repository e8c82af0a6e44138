// A C++ shared library: a class hierarchy, std::string, an exception thrown across the
// library boundary, a function-local static, and a global constructor.
#include "libshapes.h"
#include <cmath>
#include <stdexcept>

static int constructed = 0;
struct Init { Init() { constructed = 7; } } init_once;

double Circle::area() const { return 3.0 * r * r; }
std::string Circle::name() const { return "circle"; }
double Rect::area() const { return w * h; }
std::string Rect::name() const { return "rect"; }

Shape *make_shape(const std::string &kind, double a, double b) {
    if (kind == "circle") return new Circle(a);
    if (kind == "rect") return new Rect(a, b);
    throw std::invalid_argument("no such shape: " + kind);
}

int shapes_made() { static int counter = 100; return ++counter + constructed; }

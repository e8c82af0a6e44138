#include <cmath>
#include <sstream>

#include "app.h"

namespace xcc {

namespace {
struct Circle : Shape {
    double r;
    explicit Circle(double r) : r(r) {}
    double area() const override { return M_PI * r * r; }
    std::string name() const override { return "circle"; }
};
struct Rect : Shape {
    double w, h;
    Rect(double w, double h) : w(w), h(h) {}
    double area() const override { return w * h; }
    std::string name() const override { return "rect"; }
};
struct Tri : Shape {
    double a, b, c;
    Tri(double a, double b, double c) : a(a), b(b), c(c)
    {
        if (a + b <= c || a + c <= b || b + c <= a)
            throw std::domain_error("not a triangle");
    }
    double area() const override
    {
        double s = (a + b + c) / 2;
        return std::sqrt(s * (s - a) * (s - b) * (s - c));
    }
    std::string name() const override { return "triangle"; }
};
}  // namespace

// "circle 2; rect 3 4; tri 3 4 5" -> shapes; a bad line throws parse_error
std::vector<std::unique_ptr<Shape>> parse_shapes(const std::string &spec)
{
    std::vector<std::unique_ptr<Shape>> out;
    std::istringstream in(spec);
    std::string item;
    int line = 0;
    while (std::getline(in, item, ';')) {
        line++;
        std::istringstream words(item);
        std::string kind;
        words >> kind;
        double a = 0, b = 0, c = 0;
        try {
            if (kind == "circle" && words >> a)
                out.push_back(std::make_unique<Circle>(a));
            else if (kind == "rect" && words >> a >> b)
                out.push_back(std::make_unique<Rect>(a, b));
            else if (kind == "tri" && words >> a >> b >> c)
                out.push_back(std::make_unique<Tri>(a, b, c));
            else
                throw parse_error("cannot parse '" + item + "'", line);
        } catch (const std::domain_error &e) {
            throw parse_error(std::string(e.what()) + " in '" + item + "'", line);
        }
    }
    return out;
}

}  // namespace xcc

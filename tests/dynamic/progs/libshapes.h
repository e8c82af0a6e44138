#include <string>
struct Shape { virtual ~Shape() = default; virtual double area() const = 0; virtual std::string name() const = 0; };
struct Circle : Shape { double r; explicit Circle(double r) : r(r) {} double area() const override; std::string name() const override; };
struct Rect : Shape { double w, h; Rect(double w, double h) : w(w), h(h) {} double area() const override; std::string name() const override; };
Shape *make_shape(const std::string &kind, double a, double b);
int shapes_made();

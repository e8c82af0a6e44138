#include <iostream>
#include <memory>
#include <stdexcept>
#include "libshapes.h"

int main() {
    std::unique_ptr<Shape> c(make_shape("circle", 2, 0)), r(make_shape("rect", 2, 5));
    std::cout << c->name() << " " << c->area() << " " << r->name() << " " << r->area() << "\n";
    try { make_shape("hexagon", 1, 1); }
    catch (const std::invalid_argument &e) { std::cout << "caught " << e.what() << "\n"; }
    std::cout << "made " << shapes_made() << " " << shapes_made() << std::endl;
    return 0;
}

// C++ exceptions through the merged .eh_frame CIEs, and iostream strings through merged .rodata.
#include <iostream>
#include <stdexcept>
#include <string>
struct E : std::runtime_error { using std::runtime_error::runtime_error; };
int f(int x) { if (x > 2) throw E("too big: " + std::to_string(x)); return x * 2; }
int main() {
  int s = 0;
  for (int i = 0; i < 5; i++) {
    try { s += f(i); } catch (const std::exception &e) { std::cout << "caught " << e.what() << "\n"; }
  }
  try { throw 42; } catch (int v) { std::cout << "int " << v << "\n"; }
  std::cout << "sum " << s << std::endl;
  return 0;
}

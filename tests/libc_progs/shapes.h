#include <string>
#include <stdexcept>
template <typename T> struct Box { T v; T twice() const { return v + v; } };
inline int shared_inline(int x) { return x * 3; }
struct Oops : std::runtime_error { explicit Oops(const std::string &m) : std::runtime_error(m) {} };
void throw_from_other_tu(int n);
std::string describe(int n);

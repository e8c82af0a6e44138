#include <cstdio>
#include <regex>
#include <string>
std::string dq_report(int n);
int main(int argc, char **) {
  static const std::regex date(R"((\d{4})-(\d{2})-(\d{2}))");
  std::string out = std::regex_replace(std::string("on 2026-12-05 and 1999-01-02"), date, "$3/$2/$1");
  std::printf("%s %s\n", out.c_str(), dq_report(40 * argc).c_str());
  return 0;
}

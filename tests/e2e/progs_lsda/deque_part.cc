#include <algorithm>
#include <deque>
#include <string>
std::string dq_report(int n) {
  std::deque<long> dq;
  for (int i = 0; i < n; i++) dq.push_back(i * 7 % 13);
  std::deque<long> copy(dq.begin(), dq.begin() + n / 2);
  std::rotate(copy.begin(), copy.begin() + 3, copy.end());
  long s = 0; for (long x : copy) s = s * 31 + x;
  return std::to_string(s);
}

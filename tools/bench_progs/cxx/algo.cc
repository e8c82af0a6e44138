#include <algorithm>
#include <deque>
#include <functional>
#include <iomanip>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <variant>

#include "app.h"

namespace xcc {

std::string algorithms_report(unsigned seed)
{
    std::vector<long> v(5000);
    std::uint32_t s = seed | 1;
    for (auto &x : v) {
        s ^= s << 13; s ^= s >> 17; s ^= s << 5;
        x = static_cast<long>(s % 100000) - 50000;
    }
    std::ostringstream out;
    auto sorted = v;
    std::sort(sorted.begin(), sorted.end());
    std::partial_sort(v.begin(), v.begin() + 10, v.end(), std::greater<long>());
    std::set<long> uniq(sorted.begin(), sorted.end());
    std::deque<long> dq(sorted.begin(), sorted.begin() + 100);
    std::rotate(dq.begin(), dq.begin() + 17, dq.end());
    long acc = std::accumulate(sorted.begin(), sorted.end(), 0L);
    auto [mn, mx] = std::minmax_element(sorted.begin(), sorted.end());
    auto it = std::lower_bound(sorted.begin(), sorted.end(), 0L);
    std::vector<std::function<long(long)>> fs = {
        [](long x) { return x * 3; }, [](long x) { return x - 7; }, [acc](long x) { return x ^ acc; }};
    long chain = 1;
    for (int i = 0; i < 300; i++)
        chain = fs[i % fs.size()](chain) % 1000003;
    std::variant<long, double, std::string> var = std::to_string(chain);
    std::optional<long> first_pos = it != sorted.end() ? std::optional<long>(*it) : std::nullopt;
    out << "algo: sum " << acc << " min " << *mn << " max " << *mx << " unique " << uniq.size()
        << " top " << v[0] << "," << v[9] << " dq " << dq.front() << " chain " << std::get<std::string>(var)
        << " first>=0 " << first_pos.value_or(-1) << " mean " << std::fixed << std::setprecision(3)
        << static_cast<double>(acc) / sorted.size() << '\n';
    return out.str();
}

}  // namespace xcc

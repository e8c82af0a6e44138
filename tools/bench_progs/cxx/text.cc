#include <algorithm>
#include <cctype>
#include <sstream>
#include <unordered_map>

#include "app.h"

namespace xcc {

static const char *const kWords[] = {
    "alpha", "beta", "gamma", "delta", "linker", "section", "symbol", "archive", "object",
    "thread", "regex", "stream", "vector", "map", "string", "exception", "template", "lambda",
    "2024-01-17", "v1.2.3", "0x7fff", "user@example.org", "path/to/file.c", "ERROR", "warning",
};

std::string make_text(unsigned seed, int lines)
{
    std::ostringstream out;
    std::uint32_t s = seed | 1;
    auto next = [&s] { s ^= s << 13; s ^= s >> 17; s ^= s << 5; return s; };
    for (int l = 0; l < lines; l++) {
        int n = 3 + next() % 9;
        for (int i = 0; i < n; i++)
            out << (i ? " " : "") << kWords[next() % (sizeof kWords / sizeof kWords[0])];
        out << (next() % 5 == 0 ? "." : "") << '\n';
    }
    return out.str();
}

std::map<std::string, int> word_counts(const std::string &text)
{
    std::unordered_map<std::string, int> fast;
    std::istringstream in(text);
    std::string w;
    while (in >> w) {
        w.erase(std::remove_if(w.begin(), w.end(), [](unsigned char c) { return c == '.'; }), w.end());
        std::transform(w.begin(), w.end(), w.begin(), [](unsigned char c) { return std::tolower(c); });
        ++fast[w];
    }
    return {fast.begin(), fast.end()};
}

std::vector<std::pair<std::string, int>> top_words(const std::map<std::string, int> &counts, std::size_t n)
{
    std::vector<std::pair<std::string, int>> v(counts.begin(), counts.end());
    std::stable_sort(v.begin(), v.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
    if (v.size() > n)
        v.resize(n);
    return v;
}

}  // namespace xcc

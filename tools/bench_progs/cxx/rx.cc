#include <ostream>
#include <regex>

#include "app.h"

namespace xcc {

std::string rewrite(const std::string &text)
{
    static const std::regex date(R"((\d{4})-(\d{2})-(\d{2}))");
    static const std::regex hex("0x([0-9a-f]+)", std::regex::icase);
    std::string out = std::regex_replace(text, date, "$3/$2/$1");
    return std::regex_replace(out, hex, "#$1");
}

int regex_report(const std::string &text, std::ostream &out)
{
    static const std::regex email(R"(([a-z]+)@([a-z]+\.[a-z]+))");
    static const std::regex version(R"(v(\d+)\.(\d+)\.(\d+))");
    int emails = 0, versions = 0, sum = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), email); it != std::sregex_iterator(); ++it)
        emails++, sum += static_cast<int>((*it)[2].length());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), version); it != std::sregex_iterator(); ++it)
        versions++, sum += std::stoi((*it)[3].str());
    std::smatch m;
    bool err = std::regex_search(text, m, std::regex("ERROR [a-z]+"));
    out << "regex: " << emails << " emails, " << versions << " versions, sum " << sum
        << ", first error: " << (err ? m.str() : std::string("none")) << '\n';
    return emails + versions;
}

}  // namespace xcc

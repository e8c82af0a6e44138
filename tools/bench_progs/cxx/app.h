// xcc: the benchmark's C++ program: libstdc++ in depth (iostream, string, map, unordered_map,
// regex, algorithm, exceptions across files, virtual classes, threads).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace xcc {

struct parse_error : std::runtime_error {
    int line;
    parse_error(const std::string &what, int line) : std::runtime_error(what), line(line) {}
};

std::string make_text(unsigned seed, int lines);
std::map<std::string, int> word_counts(const std::string &text);
std::vector<std::pair<std::string, int>> top_words(const std::map<std::string, int> &counts, std::size_t n);
std::string rewrite(const std::string &text);          // <regex>
int regex_report(const std::string &text, std::ostream &out);

struct Shape {
    virtual ~Shape() = default;
    virtual double area() const = 0;
    virtual std::string name() const = 0;
};
std::vector<std::unique_ptr<Shape>> parse_shapes(const std::string &spec);   // throws parse_error
std::uint64_t parallel_hash(const std::vector<std::string> &items, int threads);
std::string algorithms_report(unsigned seed);

}  // namespace xcc

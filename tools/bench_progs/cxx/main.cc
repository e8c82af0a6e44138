#include <iostream>

#include "app.h"

int main()
{
    using namespace xcc;
    std::string text = make_text(12345, 400);
    auto counts = word_counts(text);
    std::cout << "words: " << counts.size() << " distinct\n";
    for (const auto &[w, n] : top_words(counts, 5))
        std::cout << "  " << w << ' ' << n << '\n';
    std::string changed = rewrite(text);
    std::cout << "rewrite: " << text.size() << " -> " << changed.size() << " bytes, "
              << changed.substr(0, changed.find('\n')) << '\n';
    regex_report(text, std::cout);
    const char *specs[] = {"circle 2; rect 3 4; tri 3 4 5", "rect 1 2; tri 1 1 5", "circle 1; hexagon 3"};
    for (const char *spec : specs) {
        try {
            double total = 0;
            for (const auto &s : parse_shapes(spec))
                total += s->area();
            std::cout << "shapes: total area " << total << '\n';
        } catch (const parse_error &e) {
            std::cout << "shapes: error on item " << e.line << ": " << e.what() << '\n';
        }
    }
    std::vector<std::string> items;
    for (const auto &kv : counts)
        items.push_back(kv.first + "=" + std::to_string(kv.second));
    std::cout << "parallel hash: " << std::hex << parallel_hash(items, 3) << std::dec << '\n';
    std::cout << algorithms_report(777);
    return 0;
}

// std::filesystem (mkdir, statx, getdents64, rename, unlink), std::random_device, std::chrono.
#include <filesystem>
#include <iostream>
#include <fstream>
#include <random>
#include <chrono>
#include <algorithm>
#include <vector>
namespace fs = std::filesystem;
int main() {
    fs::create_directories("fsx/a/b");
    std::ofstream("fsx/a/f1.txt") << "one\n";
    std::ofstream("fsx/a/b/f2.txt") << "two two\n";
    std::vector<std::string> names;
    for (auto &e : fs::recursive_directory_iterator("fsx"))
        names.push_back(e.path().string() + (e.is_directory() ? "/" : " " + std::to_string(e.file_size())));
    std::sort(names.begin(), names.end());
    for (auto &n : names) std::cout << n << "\n";
    std::cout << "exists " << fs::exists("fsx/a/f1.txt") << " cwd-abs " << fs::current_path().is_absolute() << "\n";
    fs::rename("fsx/a/f1.txt", "fsx/f1.txt");
    std::cout << "removed " << fs::remove_all("fsx") << "\n";
    std::random_device rd; std::mt19937 g(rd()); (void)g();
    auto t0 = std::chrono::steady_clock::now();
    std::cout << "clock ok " << (std::chrono::steady_clock::now() >= t0) << "\n";
}

#include <cstdio>
#include <cstdlib>
#include <string>
extern "C" { int api_add(int); int api_scaled(void); const char *api_version(void); int core_scale(int); }
int main(int argc, char **argv) {
    int s = 0;
    for (int i = 1; i < argc; i++) s = api_add(std::atoi(argv[i]));
    std::string v = api_version();
    std::printf("sum %d scaled %d api %s core %d\n", s, api_scaled(), v.c_str(), core_scale(1));
    return 0;
}

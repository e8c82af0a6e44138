"""link/script_layout.DescMatcher: the first input description an input section matches, with
one regular expression over all of them, is the one trying desc_matches on each in turn finds
(file patterns, EXCLUDE_FILE before a file or a pattern, archive:member, wildcards with several
stars, sets, COMMON left out), over random descriptions and names."""
import random

from xld.link import script as sc
from xld.link import script_layout as sl


class _Obj:
    def __init__(self, name):
        self.name = name


PATTERNS = ["*", ".text", ".text.*", "*.a*b*c", ".data.rel.ro*", "?x*", "[abc]*.o", ".bss*[0-9]",
            "*foo*bar*", "COMMON", ".init_array.*", "*(*", ".rodata.str1.[18]"]
NAMES = [".text", ".text.foo", ".xa.b.c", ".data.rel.ro.local", "ax", ".bss7", "afoozbar", "COMMON",
         ".init_array.00100", "a(b", ".bss", "zzz", "x", ".axbxc", ".rodata.str1.8", ".rodata.str1.4", ""]
FILES = ["a.o", "b.o", "libfoo.a(m.o)", "dir/crtbegin.o", "zx.o", "/abs/path/libc.a(printf.o)"]


def _descs(rng):
    out = []
    for _ in range(rng.randint(1, 30)):
        ps = rng.sample(PATTERNS, rng.randint(1, 3))
        out.append(sc.InputDesc(file_pattern=rng.choice(["*", "*", "*", "a.o", "lib*.a:*", "*crt*", "libc.a:p*"]),
                                patterns=ps, exclude_files=rng.choice([[], [], ["b.o"], ["*c.a:*"]]),
                                pattern_excludes=[rng.choice([[], [], ["*x.o"]]) for _ in ps]))
    return out


def test_the_matcher_finds_what_trying_each_description_finds():
    rng = random.Random(22)
    common_only = lambda d: d.patterns == ["COMMON"]        # noqa: E731 (as script_layout.assign)
    checked = 0
    for _ in range(60):
        descs = _descs(rng)
        first = sl.DescMatcher(descs, skip=common_only).first
        for name in NAMES:
            for f in FILES:
                obj = _Obj(f)
                want = next((k for k, d in enumerate(descs) if not common_only(d) and sl.desc_matches(d, name, obj)), None)
                assert first(name, obj) == want, (name, f, [(d.file_pattern, d.patterns) for d in descs])
                checked += 1
    assert checked == 60 * len(NAMES) * len(FILES)

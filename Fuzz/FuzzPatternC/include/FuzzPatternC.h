/* An instrumented copy of Lunar's pattern functions (Sources/CLua/pattern.h) for FuzzPattern.
 *
 * pattern.h is a header of static inline functions. Where Swift code calls them, the Swift
 * compiler emits them itself, and it applies neither AddressSanitizer nor libFuzzer's coverage
 * to code it imports from C. Compiled here, as a C file of a target that SwiftPM builds with
 * --sanitize=fuzzer,address, the same functions are instrumented: the fuzzer sees their
 * branches and ASan checks their every memory access. */
#ifndef FUZZ_PATTERN_C_H
#define FUZZ_PATTERN_C_H

typedef struct lua_State lua_State;

/* swl_install_patterns from this file's instrumented copy: sets find, match, gmatch and gsub
 * in the table on top of the stack. */
void fuzz_install_patterns(lua_State *L);

#endif

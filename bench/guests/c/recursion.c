/*
 * Call-heavy recursion: Fibonacci, Takeuchi, Ackermann and a recursive walk of a
 * binary tree. noipa keeps each function a real call with its own frame, as an
 * unoptimised recursive program has.
 */
#include "bench.h"

const char bench_name[] = "recursion";
const u32 bench_default_iters = 120;

#define CALL __attribute__((noipa))

CALL static u32 fib(u32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

CALL static i32 tak(i32 x, i32 y, i32 z) { return y < x ? tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y)) : z; }

CALL static u32 ack(u32 m, u32 n) {
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

#define TREE 1023
static u32 left[TREE], right[TREE], value[TREE];

CALL static u32 tree_sum(u32 k, u32 depth) {
    if (k >= TREE) return depth;
    return value[k] * depth + tree_sum(left[k], depth + 1) + tree_sum(right[k], depth + 1);
}

CALL static int is_even(u32 n);
CALL static int is_odd(u32 n) { return n == 0 ? 0 : is_even(n - 1); }
CALL static int is_even(u32 n) { return n == 0 ? 1 : is_odd(n - 1); }

u32 bench_run(u32 iters) {
    for (u32 k = 0; k < TREE; k++) {
        left[k] = 2 * k + 1;
        right[k] = 2 * k + 2;
        value[k] = k * 2654435761u >> 20;
    }
    u32 sum = 0;
    for (u32 it = 0; it < iters; it++) {
        u32 n = 18 + (it & 1);
        OPAQUE(n);
        sum += fib(n);
        sum ^= (u32)tak(12 + (i32)(it & 3), 8, 4) << 3;
        sum += ack(2, 100 + (it & 7));
        sum = (sum << 7 | sum >> 25) + tree_sum(0, it & 3);
        sum += (u32)is_even(1000 + it);
    }
    return sum;
}

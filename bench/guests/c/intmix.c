/*
 * Integer mix of the kinds CoreMark measures: linked-list processing, a small
 * matrix multiply, a byte-driven state machine and CRC. All state is small and
 * static, so in the packed build it sits on the code's last page.
 */
#include "bench.h"

const char bench_name[] = "intmix";
const u32 bench_default_iters = 1200;

#define NODES 64
#define N 12
#define TEXT 256

struct node {
    struct node *next;
    i32 key;
    i32 val;
};

static struct node pool[NODES];
static i32 ma[N][N], mb[N][N], mc[N][N];
static u8 text[TEXT];
static u32 seed;

static u32 rnd(void) {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static u16 crc16_step(u16 crc, u8 b) {
    crc ^= b;
    for (int k = 0; k < 8; k++) crc = (crc & 1) ? (u16)((crc >> 1) ^ 0xA001) : (u16)(crc >> 1);
    return crc;
}

static u16 crc16_u32(u16 crc, u32 v) {
    crc = crc16_step(crc, (u8)v);
    crc = crc16_step(crc, (u8)(v >> 8));
    crc = crc16_step(crc, (u8)(v >> 16));
    return crc16_step(crc, (u8)(v >> 24));
}

static struct node *list_build(void) {
    struct node *head = 0;
    for (int k = 0; k < NODES; k++) {
        pool[k].key = (i32)(rnd() & 0x3FF);
        pool[k].val = k;
        pool[k].next = head;
        head = &pool[k];
    }
    return head;
}

static struct node *list_reverse(struct node *h) {
    struct node *r = 0;
    while (h) {
        struct node *n = h->next;
        h->next = r;
        r = h;
        h = n;
    }
    return r;
}

/* Merge sort by key, stable, without recursion depth beyond log2(NODES). */
static struct node *list_sort(struct node *h) {
    if (!h || !h->next) return h;
    struct node *slow = h, *fast = h->next;
    while (fast && fast->next) {
        slow = slow->next;
        fast = fast->next->next;
    }
    struct node *b = slow->next;
    slow->next = 0;
    struct node *a = list_sort(h);
    b = list_sort(b);
    struct node head, *t = &head;
    while (a && b) {
        if (a->key <= b->key) {
            t->next = a;
            a = a->next;
        } else {
            t->next = b;
            b = b->next;
        }
        t = t->next;
    }
    t->next = a ? a : b;
    return head.next;
}

static u16 list_work(u16 crc) {
    struct node *h = list_build();
    h = list_reverse(h);
    h = list_sort(h);
    i32 found = 0;
    for (i32 want = 0; want < 1024; want += 97)
        for (struct node *p = h; p; p = p->next)
            if (p->key >= want) {
                found += p->val;
                break;
            }
    for (struct node *p = h; p; p = p->next) crc = crc16_u32(crc, (u32)(p->key ^ (p->val << 16)));
    return crc16_u32(crc, (u32)found);
}

static u16 matrix_work(u16 crc) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            ma[i][j] = (i32)(rnd() & 0xFFFF) - 0x8000;
            mb[i][j] = (i32)(rnd() & 0xFFF);
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            i32 s = 0;
            for (int k = 0; k < N; k++) s += ma[i][k] * mb[k][j];
            mc[i][j] = s;
        }
    i32 acc = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) acc += (mc[i][j] >> 3) ^ (i32)(i * N + j);
    return crc16_u32(crc, (u32)acc);
}

enum { S_START, S_INT, S_FRAC, S_EXP, S_EXPSIGN, S_EXPNUM, S_INVALID, S_COUNT };

/* Classifies the comma-separated tokens of `text` as integers, decimals, floats or invalid. */
static u16 state_work(u16 crc) {
    static const char alphabet[] = "0123456789.,eE-+x";
    for (int k = 0; k < TEXT; k++) text[k] = (u8)alphabet[rnd() % (sizeof alphabet - 1)];
    u32 counts[S_COUNT] = {0};
    int st = S_START;
    u32 transitions = 0;
    for (int k = 0; k < TEXT; k++) {
        u8 c = text[k];
        if (c == ',') {
            counts[st]++;
            st = S_START;
            continue;
        }
        int next = S_INVALID;
        int digit = c >= '0' && c <= '9';
        switch (st) {
        case S_START: next = digit ? S_INT : (c == '-' || c == '+') ? S_INT : c == '.' ? S_FRAC : S_INVALID; break;
        case S_INT: next = digit ? S_INT : c == '.' ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_INVALID; break;
        case S_FRAC: next = digit ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_INVALID; break;
        case S_EXP: next = digit ? S_EXPNUM : (c == '-' || c == '+') ? S_EXPSIGN : S_INVALID; break;
        case S_EXPSIGN:
        case S_EXPNUM: next = digit ? S_EXPNUM : S_INVALID; break;
        default: break;
        }
        if (next != st) transitions++;
        st = next;
    }
    counts[st]++;
    for (int k = 0; k < S_COUNT; k++) crc = crc16_u32(crc, counts[k]);
    return crc16_u32(crc, transitions);
}

u32 bench_run(u32 iters) {
    u32 sum = 0;
    seed = 1;
    for (u32 it = 0; it < iters; it++) {
        u16 crc = (u16)it;
        crc = list_work(crc);
        crc = matrix_work(crc);
        crc = state_work(crc);
        sum = (sum << 5 | sum >> 27) ^ crc;
    }
    return sum;
}

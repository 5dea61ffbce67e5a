/*
 * x87 floating point: a Mandelbrot set (escape counts) and a five-body
 * gravitational simulation (square roots, divisions), all in double precision
 * on the x87 stack (built with -mfpmath=387). The checksum folds the escape
 * counts with the exact bits of the final energy.
 */
#include "bench.h"

const char bench_name[] = "x87";
const u32 bench_default_iters = 32;

static u32 mandelbrot(u32 w, u32 h, u32 maxit) {
    u32 total = 0;
    for (u32 y = 0; y < h; y++) {
        double ci = -1.2 + 2.4 * (double)y / (double)h;
        for (u32 x = 0; x < w; x++) {
            double cr = -2.1 + 3.0 * (double)x / (double)w;
            double zr = 0, zi = 0;
            u32 k = 0;
            while (k < maxit && zr * zr + zi * zi < 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                k++;
            }
            total = total * 31 + k;
        }
    }
    return total;
}

#define BODIES 5
struct body {
    double x, y, z, vx, vy, vz, m;
};

static const struct body initial[BODIES] = {
    {0, 0, 0, 0, 0, 0, 39.47841760435743},
    {4.84143144246472090, -1.16032004402742839, -0.103622044471123109, 0.606326392995832, 2.81198684491626, -0.02521836165988763, 0.03769367487038949},
    {8.34336671824457987, 4.12479856412430479, -0.403523417114321381, -1.010774346178792, 1.825662371230411, 0.008415761376584154, 0.011286326131968767},
    {12.894369562139131, -15.111151401698631, -0.22330757889265573, 1.0827910064415354, 0.8687130181696082, -0.010832637401363636, 0.0017237240570597112},
    {15.379697114850917, -25.919314609987964, 0.17925877295037118, 0.979090732243898, 0.5946989986476762, -0.034755955504078104, 0.0020336868699246304},
};
static struct body bodies[BODIES];

static void advance(double dt) {
    for (int i = 0; i < BODIES; i++)
        for (int j = i + 1; j < BODIES; j++) {
            double dx = bodies[i].x - bodies[j].x, dy = bodies[i].y - bodies[j].y, dz = bodies[i].z - bodies[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            bodies[i].vx -= dx * bodies[j].m * mag;
            bodies[i].vy -= dy * bodies[j].m * mag;
            bodies[i].vz -= dz * bodies[j].m * mag;
            bodies[j].vx += dx * bodies[i].m * mag;
            bodies[j].vy += dy * bodies[i].m * mag;
            bodies[j].vz += dz * bodies[i].m * mag;
        }
    for (int i = 0; i < BODIES; i++) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

static double energy(void) {
    double e = 0;
    for (int i = 0; i < BODIES; i++) {
        e += 0.5 * bodies[i].m * (bodies[i].vx * bodies[i].vx + bodies[i].vy * bodies[i].vy + bodies[i].vz * bodies[i].vz);
        for (int j = i + 1; j < BODIES; j++) {
            double dx = bodies[i].x - bodies[j].x, dy = bodies[i].y - bodies[j].y, dz = bodies[i].z - bodies[j].z;
            e -= bodies[i].m * bodies[j].m / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

u32 bench_run(u32 iters) {
    u32 sum = 0;
    memcpy(bodies, initial, sizeof bodies);
    for (u32 it = 0; it < iters; it++) {
        sum = sum * 7 + mandelbrot(24 + (it & 7), 16, 200);
        for (int s = 0; s < 250; s++) advance(0.01);
        double e = energy();
        u64 bits;
        memcpy(&bits, &e, 8);
        sum ^= (u32)bits ^ (u32)(bits >> 32);
        sum += (u32)(i32)(e * -1e9);
    }
    return sum;
}

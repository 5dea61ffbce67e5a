/** The part of benchmark.js 2.1.4 (which ships no types) that bench:micro uses. */
declare module "benchmark" {
  interface BenchmarkOptions {
    minSamples?: number;
    maxTime?: number;
  }
  interface BenchmarkStats {
    /** Relative margin of error, in percent. */
    rme: number;
    /** Mean seconds per operation. */
    mean: number;
    sample: number[];
  }
  class Benchmark {
    constructor(name: string, fn: () => void, options?: BenchmarkOptions);
    name: string;
    /** Operations per second. */
    hz: number;
    stats: BenchmarkStats;
    error?: Error;
    run(options?: { async?: boolean }): Benchmark;
  }
  export = Benchmark;
}
